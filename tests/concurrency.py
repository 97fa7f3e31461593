"""Run the same call from several threads at the same instant, as simultaneous requests would."""

import threading

from django.db import connections


def run_at_once(call, *, times: int = 4) -> tuple[list, list[Exception]]:
    """Start ``call`` in ``times`` threads released together; return (results, errors)."""
    barrier = threading.Barrier(times)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(call())
        except Exception as error:  # the caller asserts on them
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors

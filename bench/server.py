"""The benchmark's server and what it reads: gunicorn on 127.0.0.1, one request at a time
as a browser sends it, and the CPU time of the processes serving it.

bench/run.py's scenarios and bench/exam_day.py share these.
"""

import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def line(path: str, browser=None, *, method: str = "GET", body: str = "", htmx=False) -> str:
    """One request as bench/requests.lua and ``Server.request`` read it (tab-separated), as
    ``browser`` (a ``prepare.Browser``: cookies and CSRF token) or anonymous."""
    cookie, csrf = (browser.cookie, browser.csrf) if browser else ("", "")
    return "\t".join([method, path, cookie, csrf, "htmx" if htmx else "", body])


class Server:
    """gunicorn on 127.0.0.1 with the project's gunicorn.conf.py (two workers by default)."""

    def __init__(self, port: int, log: Path, workers: int = 2):
        self.port, self.log, self.worker_count = port, log, workers

    def __enter__(self):
        env = {
            **os.environ,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": str(self.worker_count),
            # No worker recycling mid-measurement: at 1,000 requests/s it would restart
            # each worker every few seconds (see docs/benchmarks.md).
            "GUNICORN_MAX_REQUESTS": "0",
            # Database connections that outlive a run, so that the CPU time of the
            # backends serving it can be read (a closed backend takes its figures along).
            "CONN_MAX_AGE": os.environ.get("CONN_MAX_AGE", "600"),
        }
        command = [sys.executable, "-m", "gunicorn", "courseware.wsgi:application"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(self.worker_count)]
        command += ["--max-requests", "0"]
        self.process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            # Gone already (the port taken, say): whatever answers there is not this server.
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn stopped at start: see {self.log}")
            try:
                self.request(line("/"))
                return self
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"gunicorn did not start: see {self.log}")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)

    def workers(self) -> list[int]:
        master = str(self.process.pid)
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if stat.read_text().rsplit(")", 1)[1].split()[1] == master:
                    pids.append(int(stat.parent.name))
            except (OSError, IndexError):
                continue
        return pids

    def request(
        self, request_line: str, *, chunks: list | None = None, answered: dict | None = None
    ) -> int:
        """Send one request line; returns the status (and the body's chunks and, in
        ``answered``, the response's headers, if asked)."""
        method, path, cookie, csrf, htmx, body = request_line.split("\t")
        headers = {"Cookie": cookie} if cookie else {}
        if method == "POST":
            headers |= {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": csrf}
        if htmx:
            headers["HX-Request"] = "true"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        if answered is not None:
            answered.update(response.getheaders())
        while chunk := response.read(65536):
            if chunks is not None:
                chunks.append((time.perf_counter(), len(chunk)))
        connection.close()
        return response.status


def rss_kib(pid: int) -> int:
    for row in Path(f"/proc/{pid}/status").read_text().split("\n"):
        if row.startswith("VmRSS:"):
            return int(row.split()[1])
    return 0


def cpu_seconds(pids: list[int]) -> float | None:
    """CPU time used so far by ``pids``; None if one has gone (its figures went with it)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def database_backends() -> list[int]:
    """The PostgreSQL processes serving the benchmark database, but for the runner's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


def cpu_busy(seconds: float = 1.0) -> float:
    """Share of all CPUs in use over ``seconds``, by anything: before a scenario, not ours."""

    def sample():
        values = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        return sum(values), values[3] + values[4]  # total, idle + iowait

    total, idle = sample()
    time.sleep(seconds)
    total2, idle2 = sample()
    return 100 * (1 - (idle2 - idle) / max(total2 - total, 1))


def per_request(before: float | None, after: float | None, requests: int) -> float | None:
    if before is None or after is None or not requests:
        return None
    return 1000 * (after - before) / requests

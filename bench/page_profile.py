#!/usr/bin/env python3
"""Where one page spends its time: queries, SQL time, Python time, hottest functions.

    .venv/bin/python bench/page_profile.py /courses/military-diplomacy/ --user load-000042

Serves the page in-process with bench.settings against the benchmark
database (DATABASE_URL, default as bench/run.py), ``--repeat`` times after one
warm-up request, and prints per request: queries, time in SQL, CPU time in
Python, the queries that took longest in all, and the functions that did.
Request log lines are muted (REQUEST_LOG_LEVEL=WARNING).
"""

import argparse
import cProfile
import os
import pstats
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


class QueryTimer:
    """A database execute wrapper that adds up time per statement shape."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0
        self.by_shape: dict[str, list] = defaultdict(lambda: [0, 0.0])
        self.example: dict[str, tuple] = {}

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            self.count += 1
            self.seconds += elapsed
            shape = re.sub(r"\s+", " ", re.sub(r"IN \([^)]*\)", "IN (…)", sql))
            self.by_shape[shape][0] += 1
            self.by_shape[shape][1] += elapsed
            self.example.setdefault(shape, (sql, params))


def django_setup() -> None:
    """Django in bench.settings, against the benchmark database (DATABASE_URL, default as
    bench/run.py) and the cache REDIS_URL names (none: local memory)."""
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/courseware_bench")
    os.environ.setdefault("REDIS_URL", "")
    os.environ.setdefault("REQUEST_LOG_LEVEL", "WARNING")  # one log line a request: not here
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--user", help="Username to log in as (none: anonymous).")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument(
        "--explain", type=int, default=0, help="EXPLAIN ANALYZE this many slowest queries."
    )
    args = parser.parse_args()

    django_setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    if args.user:
        client.force_login(get_user_model().objects.get(username=args.user))
    first = client.get(args.path)
    print(f"GET {args.path}: {first.status_code}, {len(first.content):,} bytes")

    timer, profiler = QueryTimer(), cProfile.Profile()
    started_cpu, started = time.process_time(), time.perf_counter()
    with connection.execute_wrapper(timer):
        profiler.enable()
        for _ in range(args.repeat):
            client.get(args.path)
        profiler.disable()
    cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started

    n = args.repeat
    print(
        f"per request: {timer.count / n:.0f} queries, {1000 * timer.seconds / n:.1f} ms in SQL, "
        f"{1000 * wall / n:.1f} ms in all, {1000 * cpu / n:.1f} ms CPU in Python "
        "(under the profiler, which slows Python down)"
    )
    print("\nQueries, by total time:")
    shapes = sorted(timer.by_shape.items(), key=lambda item: -item[1][1])
    for shape, (count, seconds) in shapes[: args.top]:
        print(f"  {1000 * seconds / n:7.2f} ms  ×{count / n:<4.0f} {shape[:300]}")
    for shape, _ in shapes[: args.explain]:
        sql, params = timer.example[shape]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print(f"\n{cursor.db.ops.last_executed_query(cursor, sql, params)}\n{plan}")
    print("\nFunctions, by cumulative time:")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top * 3)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark Courseware on PostgreSQL behind gunicorn: one command, one table.

    .venv/bin/python bench/run.py [--database-url URL] [--learners 10000] [--duration 10]

Creates the database if missing, migrates, seeds (or reuses) the load
learners, collects static files, starts gunicorn on 127.0.0.1 (two workers,
bench.settings), drives each scenario with wrk for a bounded time and prints
requests/s, p50 and p99 latency and the ratio to the baseline page served in
the same run. docs/benchmarks.md explains the scenarios and the figures.
"""

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench import exam_day  # noqa: E402 (found once the line above puts the project on the path)
from bench.server import (  # noqa: E402 (found once the line above puts the project on the path)
    Server,
    cpu_busy,
    cpu_seconds,
    database_backends,
    line,
    per_request,
    rss_kib,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/courseware_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
LUA = BASE_DIR / "bench" / "requests.lua"
RESULTS = BASE_DIR / "bench" / "results"
# Of the learners who never started, a quarter (at most 200) save answers; the others submit.
SAVERS = 200
# Written answers awaiting a grade in the grading queue's scenario (a course of its own).
GRADING_BACKLOG = 1000
# A page compared with the baseline is measured in this many rounds, each followed or
# preceded by a round of the baseline (see ``paired``).
ROUNDS = 5


class Unavailable(Exception):
    """The page is not there (yet): the scenario is skipped with this reason."""


@dataclass
class Scenario:
    name: str
    # Tab-separated request lines for requests.lua (see there), built before the server starts.
    lines: list[str] = field(default_factory=list)
    expect: tuple[int, ...] = (200,)
    connections: int = 8
    once: bool = False  # each request changes state: send each once
    download: bool = False  # one large response: time it and watch the worker's memory
    skipped: str = ""
    result: dict = field(default_factory=dict)


# --- Setting up -------------------------------------------------------------------------


def database_create(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    # CREATE DATABASE cannot run in a transaction; the server's own database is always there.
    with psycopg.connect(url, dbname="postgres", autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"Created database {name}.")


def redis_answering(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def wrk_installed() -> str:
    if shutil.which("wrk") is None:
        print("Installing wrk (apt-get install -y wrk)…")
        install = ["apt-get", "install", "-y", "-qq", "wrk"]
        if subprocess.run(install, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(install, check=True, capture_output=True)
    return subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]


def dataset(learners: int, seed: int) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from bench.seed_load import seed_load

    call_command("migrate", verbosity=0)
    have = get_user_model().objects.filter(username__startswith="load-").count()
    if have < learners:
        print(f"Seeding {learners - have} load learners…")
        seed_load(learners=learners, seed=seed)
    else:
        print(f"Reusing {have} load learners.")
    call_command("collectstatic", interactive=False, verbosity=0)


def machine_facts(redis_url: str, wrk_version: str) -> dict:
    import django
    import gunicorn
    from django.db import connection

    cpuinfo = Path("/proc/cpuinfo").read_text()
    meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version')")
        postgres = cursor.fetchone()[0]
    redis_version = "not running: local-memory cache, sessions in the database"
    if redis_url:
        import redis

        redis_version = redis.Redis.from_url(redis_url).info()["redis_version"]
    cpu = {
        key.strip(): value.strip()
        for key, value in (row.split(":", 1) for row in cpuinfo.split("\n") if ":" in row)
    }
    return {
        "cpu": f"{cpu['model name']} at {float(cpu['cpu MHz']):.0f} MHz",
        "cores": os.cpu_count(),
        "memory_gib": round(int(meminfo[1]) / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "postgresql": postgres,
        "redis": redis_version,
        "wrk": wrk_version,
    }


# --- The scenarios ---------------------------------------------------------------------


def chosen(name: str, only: str | None) -> bool:
    """Whether ``--only`` (texts separated by commas, any of which the name contains) runs
    the scenario ``name``; the baseline always runs."""
    if only is None or name.startswith("baseline"):
        return True
    return any(text.strip() in name for text in only.split(","))


def scenarios(readers: int, only: str | None = None) -> list[Scenario]:
    """Every scenario (or those ``--only`` names, and the baseline), with its
    requests or the reason it cannot run."""
    from django.urls import NoReverseMatch, reverse

    from assessments.models import Quiz
    from assessments.statistics import chosen_attempts
    from bench import prepare
    from lessons.models import Course

    course = Course.objects.get(slug="military-diplomacy")
    people = prepare.readers(course, readers)
    teacher = prepare.browser_for(prepare.instructor(course))
    first_quiz = Quiz.objects.filter(course=course, module__isnull=False)
    first_quiz = first_quiz.order_by("module__position").first()
    # The quiz whose statistics read the most attempts, counted as its statistics page does.
    taken = {quiz: chosen_attempts(quiz, "all").count() for quiz in course.quizzes.all()}
    most_taken = max(taken, key=taken.get)

    def url(name, **kwargs):
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            raise Unavailable(f"no URL named {name!r} yet") from None

    def build(name, make, **options) -> Scenario | None:
        if not chosen(name, only):
            return None
        scenario = Scenario(name=name, **options)
        try:
            scenario.lines = make()
            if not scenario.lines:
                raise Unavailable("nothing to send (no learner who never started?)")
        except Unavailable as reason:
            scenario.skipped = str(reason)
        return scenario

    pool = []

    def writes(make):
        url("response_save", pk=1, slot=1), url("attempt_submit", pk=1)
        if not pool:  # made only when the pages exist: under a minute's work
            pool.extend(prepare.writers(course, first_quiz))
        return make(pool)

    def savers(pool):
        return min(SAVERS, len(pool) // 4)

    def saves(pool):
        return [
            line(url("response_save", pk=a.pk, slot=r.slot), b, method="POST", htmx=True,
                 body=prepare.save_body(r.shown, r.slot, r.answer))
            for b, a in pool[:savers(pool)] for r in a.rows if r.answer is not None
        ]  # fmt: skip

    def submits(pool):
        return [
            line(url("attempt_submit", pk=a.pk), b, method="POST", body=prepare.submit_body(a))
            for b, a in pool[savers(pool) :]
        ]

    slug = course.slug
    enrolled = course.enrollments.count()
    built = [
        build("baseline (logged in)",
              lambda: [line(url("bench_baseline", pk=course.pk), b) for _, b, _ in people]),
        build("course page (anonymous)", lambda: [line(url("course_detail", slug=slug))]),
        build("course page (logged in)",
              lambda: [line(url("course_detail", slug=slug), b) for _, b, _ in people]),
        build("lesson page (logged in)",
              lambda: [line(url("lesson_detail", course_slug=slug, slug=lesson.slug), b)
                       for _, b, lesson in people]),
        build("learner dashboard", lambda: [line(url("dashboard"), b) for _, b, _ in people]),
        build("save an answer (htmx)", lambda: writes(saves)),
        build("submit an attempt", lambda: writes(submits), expect=(302,), once=True),
        build("instructor matrix (first page of 50)",
              lambda: [line(url("teach_course", course_slug=slug), teacher)], connections=1),
        build("gradebook page (first page of 50)",
              lambda: [line(url("teach_gradebook", course_slug=slug), teacher)], connections=1),
        build(f"question statistics ({taken[most_taken]:,} attempts, all)",
              lambda: [line(url("teach_quiz_stats", course_slug=slug, quiz_slug=most_taken.slug)
                            + "?attempts=all", teacher)], connections=1),
        build(f"grading queue ({GRADING_BACKLOG:,} answers awaiting, first page of 20)",
              lambda: [line(url("teach_grading",
                                course_slug=prepare.grading_backlog(GRADING_BACKLOG).slug),
                            teacher)], connections=1),
        build(f"gradebook CSV ({enrolled:,} learners)",
              lambda: [line(url("teach_gradebook_csv", course_slug=slug), teacher)],
              download=True),
    ]  # fmt: skip
    return [scenario for scenario in built if scenario is not None]


def exam_day_prepared(args) -> dict:
    """What ``exam_day.run`` needs: the course, its final exam and learners ready to sit it."""
    from bench import prepare
    from lessons.models import Course

    course = Course.objects.get(slug="military-diplomacy")
    exam = course.quizzes.get(kind="final")
    print(f"Preparing {args.exam_learners} learners for {exam_day.NAME}…", flush=True)
    return {
        "course": course,
        "exam": exam,
        "takers": prepare.exam_takers(course, exam, args.exam_learners),
        "plan": exam_day.Plan(
            learners=args.exam_learners, window=args.exam_window, pace=args.exam_pace
        ),
    }


# --- Measuring -------------------------------------------------------------------------


def wrk(server: Server, scenario: Scenario, duration: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as requests:
        requests.write("\n".join(scenario.lines) + "\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers, database = server.workers(), database_backends()
    app_before, database_before = cpu_seconds(workers), cpu_seconds(database)
    command = ["wrk", "-t1", f"-c{scenario.connections}", f"-d{round(duration)}s"]
    command += ["--timeout", "60s", "-s", str(LUA), f"http://127.0.0.1:{server.port}"]
    command += ["--", requests.name]
    if scenario.once:
        command.append("once")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    app_after, database_after = cpu_seconds(workers), cpu_seconds(database)
    os.unlink(requests.name)
    summary = json.loads(next(r for r in output.split("\n") if r.startswith("BENCH "))[6:])
    seconds = summary["duration_us"] / 1e6
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    unexpected = sum(n for s, n in summary["statuses"].items() if int(s) not in scenario.expect)
    return {
        "requests": summary["requests"],
        "seconds": seconds,
        "rps": summary["requests"] / seconds,
        "p50_ms": summary["p50_us"] / 1000,
        "p99_ms": summary["p99_us"] / 1000,
        "errors": summary["socket_errors"] + summary["timeouts"] + unexpected,
        "statuses": summary["statuses"],
        "wrk_cpu_percent": 100 * cpu / seconds,
        # CPU per request, which other load on the machine does not change much.
        "app_cpu_ms": per_request(app_before, app_after, summary["requests"]),
        "db_cpu_ms": per_request(database_before, database_after, summary["requests"]),
    }


def watch_memory(pids: list[int], peak: dict[int, int], stop: threading.Event) -> None:
    while not stop.is_set():
        for pid in pids:
            peak[pid] = max(peak[pid], rss_kib(pid))
        time.sleep(0.005)


def download(server: Server, scenario: Scenario, repeats: int = 3) -> dict:
    """Fetch one large response ``repeats`` times; time it and watch the workers' memory."""
    times, first_bytes, growth, sizes = [], [], [], []
    for _ in range(repeats):
        workers = server.workers()
        start_rss = {pid: rss_kib(pid) for pid in workers}
        peak = dict(start_rss)
        done = threading.Event()

        watcher = threading.Thread(target=watch_memory, args=(workers, peak, done))
        watcher.start()
        chunks: list = []
        started = time.perf_counter()
        status = server.request(scenario.lines[0], chunks=chunks)
        finished = time.perf_counter()
        done.set()
        watcher.join()
        if status not in scenario.expect:
            raise Unavailable(f"answered {status}")
        times.append(finished - started)
        first_bytes.append(chunks[0][0] - started if chunks else finished - started)
        growth.append(max(peak[pid] - start_rss[pid] for pid in workers))
        sizes.append(sum(size for _, size in chunks))
    return {
        "seconds": statistics.median(times),
        "first_byte_seconds": statistics.median(first_bytes),
        "rss_growth_mib": max(growth) / 1024,
        "worker_rss_mib": max(rss_kib(pid) for pid in server.workers()) / 1024,
        "bytes": sizes[-1],
    }


def quiet(wait: float) -> float:
    """Wait up to ``wait`` seconds for other processes to leave the CPUs alone; the share
    of CPU they use then."""
    deadline = time.monotonic() + wait
    while (busy := cpu_busy(3 if wait else 1)) > 20 and time.monotonic() < deadline:
        pass
    return busy


def compared(scenario: Scenario, baseline: Scenario | None) -> bool:
    """Whether ``scenario`` is measured in rounds with the baseline: a page that can be asked
    again and again, as many at once as the baseline."""
    return (
        baseline is not None
        and not baseline.skipped
        and scenario is not baseline
        and not (scenario.once or scenario.download)
        and scenario.connections == baseline.connections
    )


def paired(server: Server, scenario: Scenario, baseline: Scenario, duration: float) -> dict:
    """The page and the baseline measured in alternating rounds (baseline then page, then
    page then baseline…), ``duration`` seconds each in all: whatever else loads the machine
    meanwhile weighs on both alike, so their ratio is fair even when the machine is busy,
    as it is when other work shares it.

    Requests, rates and CPU are summed over the rounds; p50 is the median of the rounds'
    p50s, p99 the highest of their p99s."""
    step = max(1, round(duration / ROUNDS))
    page_rounds, baseline_rounds = [], []
    for number in range(ROUNDS):
        order = [(baseline, baseline_rounds), (scenario, page_rounds)]
        for measured, rounds in order if number % 2 == 0 else reversed(order):
            rounds.append(wrk(server, measured, step))
    page, base = combined(page_rounds), combined(baseline_rounds)
    return page | {
        "baseline_rps": base["rps"],
        "baseline_app_cpu_ms": base["app_cpu_ms"],
        "ratio": page["rps"] / base["rps"] if base["rps"] else None,
        "rounds": ROUNDS,
    }


def combined(rounds: list[dict]) -> dict:
    """Rounds of one scenario as one measurement."""
    requests = sum(r["requests"] for r in rounds)
    seconds = sum(r["seconds"] for r in rounds)
    statuses: dict[str, int] = {}
    for r in rounds:
        for status, count in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count

    def cpu(key: str) -> float | None:
        spent = [r[key] * r["requests"] for r in rounds if r[key] is not None]
        return sum(spent) / requests if len(spent) == len(rounds) and requests else None

    return {
        "requests": requests,
        "seconds": seconds,
        "rps": requests / seconds if seconds else 0,
        "p50_ms": statistics.median(r["p50_ms"] for r in rounds),
        "p99_ms": max(r["p99_ms"] for r in rounds),
        "errors": sum(r["errors"] for r in rounds),
        "statuses": statuses,
        "wrk_cpu_percent": sum(r["wrk_cpu_percent"] * r["seconds"] for r in rounds) / seconds,
        "app_cpu_ms": cpu("app_cpu_ms"),
        "db_cpu_ms": cpu("db_cpu_ms"),
    }


def run(
    server: Server,
    scenario: Scenario,
    duration: float,
    wait: float,
    baseline: Scenario | None = None,
) -> None:
    scenario.result["machine_busy_percent"] = quiet(wait)
    if scenario.download:
        scenario.result |= download(server, scenario)
        return
    first = scenario.lines[0]
    status = server.request(first)
    if status not in scenario.expect:
        raise Unavailable(f"{first.split(chr(9))[1]} answered {status}")
    if scenario.once:
        scenario.lines = scenario.lines[1:]  # the probe sent the first one
    else:
        wrk(server, scenario, min(2, duration))  # warm up: caches, connections
    if compared(scenario, baseline):
        scenario.result |= paired(server, scenario, baseline, duration)
    else:
        scenario.result |= wrk(server, scenario, duration)


# --- Reporting -------------------------------------------------------------------------


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def table(results: list[Scenario]) -> str:
    baseline = next((s.result.get("rps") for s in results if s.name.startswith("baseline")), None)
    rows = [
        "| scenario | requests/s | p50 ms | p99 ms | × baseline | CPU ms/request: app + db "
        "| notes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for s in results:
        r = s.result
        if s.skipped:
            rows.append(f"| {s.name} | | | | | | not available: {s.skipped} |")
            continue
        notes = []
        if r.get("machine_busy_percent", 0) > 20:
            notes.append(f"machine {r['machine_busy_percent']:.0f}% busy before the run")
        if s.download:
            rows.append(
                f"| {s.name} | | | | | | {r['seconds']:.2f} s for {r['bytes'] / 1e6:.1f} MB "
                f"(first byte {r['first_byte_seconds']:.2f} s); worker grew "
                f"{r['rss_growth_mib']:.1f} MiB to {r['worker_rss_mib']:.0f} MiB RSS |"
            )
            continue
        if r["errors"]:
            notes.append(f"{r['errors']} errors or unexpected statuses {r['statuses']}")
        notes.append(f"{r['requests']:,} requests, c={s.connections}")
        notes.append(f"wrk {r['wrk_cpu_percent']:.0f}% CPU")
        if "ratio" in r:
            notes.append(
                f"in {r['rounds']} rounds alternating with the baseline "
                f"({r['baseline_rps']:,.0f} requests/s then)"
            )
            ratio = f"{r['ratio']:.2f}" if r["ratio"] else ""
        else:
            ratio = f"{r['rps'] / baseline:.2f}" if baseline else ""
        rows.append(
            f"| {s.name} | {r['rps']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {ratio} "
            f"| {ms(r['app_cpu_ms'])} + {ms(r['db_cpu_ms'])} | {'; '.join(notes)} |"
        )
    return "\n".join(rows)


def main() -> None:
    # Stopped with SIGTERM, still stop gunicorn (the Server context manager).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="PostgreSQL database to use, created if missing; it gets 10,000 load learners, "
        "so DATABASE_URL is deliberately not read (default: BENCH_DATABASE_URL or "
        f"{DEFAULT_DATABASE_URL}).",
    )
    parser.add_argument("--learners", type=int, default=10_000, help="Load learners wanted.")
    parser.add_argument("--seed", type=int, default=1, help="bench.seed_load's seed.")
    parser.add_argument("--duration", type=int, default=10, help="Seconds per scenario.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers.")
    parser.add_argument("--readers", type=int, default=500, help="Logged-in learners cycled.")
    parser.add_argument(
        "--only",
        help="Run only the scenarios whose name contains this text (or one of these texts, "
        "separated by commas), and the baseline.",
    )
    parser.add_argument(
        "--exam-learners", type=int, default=300, help="Exam day: learners who sit the exam."
    )
    parser.add_argument(
        "--exam-window", type=float, default=60, help="Exam day: seconds the starts spread over."
    )
    parser.add_argument(
        "--exam-pace", type=float, default=5, help="Exam day: seconds between answers, on average."
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        help="Before each scenario, wait up to this many seconds for other processes to "
        "leave the CPUs idle (on a shared machine).",
    )
    args = parser.parse_args()

    database_url = args.database_url
    if not database_url.startswith("postgres"):
        raise SystemExit("The benchmark runs on PostgreSQL: give a postgres:// DATABASE_URL.")
    database_create(database_url)
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    if not redis_answering(redis_url):
        print(f"Redis does not answer at {redis_url}: using the local-memory cache.")
        redis_url = ""
    os.environ |= {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
    }
    wrk_version = wrk_installed()

    import django

    django.setup()
    started = time.perf_counter()
    dataset(args.learners, args.seed)
    machine = machine_facts(redis_url, wrk_version)
    print(json.dumps(machine, indent=1))
    print(f"Preparing scenarios… ({time.perf_counter() - started:.0f} s so far)")
    todo = scenarios(args.readers, args.only)
    sitting = exam_day_prepared(args) if chosen(exam_day.NAME, args.only) else None
    exam = None

    RESULTS.mkdir(exist_ok=True)
    baseline = next((s for s in todo if s.name.startswith("baseline") and not s.skipped), None)
    with Server(args.port, RESULTS / "gunicorn.log", args.workers) as server:
        for scenario in todo:
            if not scenario.skipped:
                print(f"Running {scenario.name}…", flush=True)
                try:
                    run(server, scenario, args.duration, args.wait_idle, baseline)
                except Unavailable as reason:
                    scenario.skipped = str(reason)
        if sitting is not None:
            print(f"Running {exam_day.NAME} ({len(sitting['takers'])} learners)…", flush=True)
            busy = quiet(args.wait_idle)
            exam = exam_day.run(server, **sitting) | {"machine_busy_percent": busy}
    report = table(todo)
    if exam is not None:
        report += "\n\n" + exam_day.table(exam)
    print(report)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"{stamp}.json").write_text(
        json.dumps(
            {"machine": machine, "args": vars(args), "table": report,
             "scenarios": [{"name": s.name, "skipped": s.skipped, **s.result} for s in todo],
             "exam_day": exam},
            indent=1,
        )
    )  # fmt: skip
    print(f"Saved bench/results/{stamp}.json")


if __name__ == "__main__":
    main()

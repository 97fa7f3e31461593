"""Exam day: a cohort starts the timed final exam within a minute, each learner's answers are
saved as they go (the page's autosave) and every learner hands in.

Each learner is a thread that does what the browser does, over real HTTP to the gunicorn the
other scenarios measure: opens the exam's page, starts (POST, followed to the attempt page),
then answers one question after another, a few seconds apart, each answer posted as the
autosave posts it (htmx), changes a couple of answers, submits with every answer (POST,
followed to the result page). Starts are spread evenly over ``window`` seconds, so the saves
of learners who started early overlap the starts of the late ones and the first hand-ins.
Unlike wrk's closed loop, a learner waits only for their own requests: the offered load is
the cohort's, whatever the server's speed.

Each learner knows what an attempt page shows it from the attempt's snapshots, read by one
separate thread (one query a learner) rather than by parsing the page; right answers come
with the learner's ability, as the load learners', so some pass and earn a certificate.
"""

import random
import re
import resource
import statistics
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bench.server import Server, cpu_seconds, database_backends, line, per_request

# What each request is, and the status that means it went well.
EXPECTED = {
    "exam page": 200,
    "start": 302,
    "attempt page": 200,
    "save an answer": 200,
    "submit": 302,
    "result page": 200,
}
NAME = "exam day"


@dataclass(frozen=True)
class Plan:
    learners: int = 300
    window: float = 60.0  # seconds over which the learners start
    pace: float = 5.0  # seconds between two answers, on average
    revisions: int = 2  # answers changed again before handing in
    # Nothing runs past this, whatever the server does: the run stops by itself.
    limit: float = 900.0


@dataclass
class Record:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, error: str = "") -> None:
        with self.lock:
            self.timings[kind].append(seconds)
            if error:
                self.errors.append(error)

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def run(server: Server, *, course, exam, takers: list[tuple], plan: Plan, seed: int = 0) -> dict:
    """Let ``takers`` (learner, browser) sit ``exam``; timings by kind of request, errors,
    CPU per request and what came of it."""
    from django.db import connection
    from django.urls import reverse

    from assessments.forms import answer_as_posted
    from assessments.models import Attempt, Response
    from bench.loaddata import answer_for
    from progress.models import Certificate

    intro = reverse("quiz_detail", kwargs={"course_slug": course.slug, "slug": exam.slug})
    start = reverse("quiz_start", kwargs={"course_slug": course.slug, "slug": exam.slug})
    record = Record()
    began = time.monotonic()
    deadline = began + plan.limit
    # The one thread that reads the database for the learners (a connection of its own).
    proctor = ThreadPoolExecutor(max_workers=1)

    def snapshots(attempt_pk: int) -> list[tuple[int, dict]]:
        return list(
            Response.objects.filter(attempt_id=attempt_pk)
            .order_by("slot")
            .values_list("slot", "shown")
        )

    def send(kind: str, request_line: str, headers: dict | None = None) -> bool:
        if time.monotonic() > deadline:
            record.error(f"{kind}: not sent, the run's {plan.limit:.0f} s are up")
            return False
        sent = time.perf_counter()
        try:
            status = server.request(request_line, answered=headers)
        except OSError as error:
            record.add(kind, time.perf_counter() - sent, f"{kind}: {error!r}")
            return False
        ok = status == EXPECTED[kind]
        record.add(kind, time.perf_counter() - sent, "" if ok else f"{kind}: status {status}")
        return ok

    def pause(seconds: float) -> None:
        time.sleep(max(0.0, min(seconds, deadline - time.monotonic())))

    def sit(number: int, learner, browser) -> None:
        rng = random.Random(f"{seed}:exam:{learner.pk}")
        ability = rng.betavariate(5, 2)
        pause(began + plan.window * number / len(takers) - time.monotonic())
        headers = {}
        if not (send("exam page", line(intro, browser))
                and send("start", line(start, browser, method="POST"), headers)):  # fmt: skip
            return
        started = re.search(r"/attempts/(\d+)/", headers.get("Location", ""))
        if started is None:  # sent back to the exam's page: out of attempts, say
            record.error(f"start: sent to {headers.get('Location')}")
            return
        attempt = started[0]
        if not send("attempt page", line(attempt, browser)):
            return
        shown = dict(proctor.submit(snapshots, int(started[1])).result())
        answers = {}
        order = [*shown, *rng.sample(sorted(shown), min(plan.revisions, len(shown)))]
        for slot in order:
            pause(rng.uniform(0.4, 1.6) * plan.pace)
            answers[slot] = answer_for(shown[slot], right=rng.random() < ability)
            body = urlencode(answer_as_posted(shown[slot], slot, answers[slot]))
            save = line(f"{attempt}answers/{slot}/", browser, method="POST", body=body, htmx=True)
            if not send("save an answer", save):
                return
        pause(rng.uniform(0.4, 1.6) * plan.pace)
        # The whole form, as the "Submit answers" button posts it.
        fields = [pair for s in shown for pair in answer_as_posted(shown[s], s, answers[s])]
        body = urlencode([("answers", "1"), *fields, ("confirm", "1")])
        if send("submit", line(f"{attempt}submit/", browser, method="POST", body=body)):
            send("result page", line(f"{attempt}result/", browser))

    workers, database = server.workers(), database_backends()
    app_before, database_before = cpu_seconds(workers), cpu_seconds(database)
    own_before = resource.getrusage(resource.RUSAGE_SELF)

    def learner_sits(number: int, learner, browser) -> None:
        try:
            sit(number, learner, browser)
        except Exception as error:  # counted, never lost in a thread's traceback
            record.error(f"{learner.username}: {error!r}")

    learners = [
        threading.Thread(target=learner_sits, args=(n, learner, browser), daemon=True)
        for n, (learner, browser) in enumerate(takers)
    ]
    for thread in learners:
        thread.start()
    for thread in learners:
        thread.join(max(0.0, deadline - time.monotonic()) + 60)
    seconds = time.monotonic() - began
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    app_after, database_after = cpu_seconds(workers), cpu_seconds(database)
    proctor.submit(lambda: connection.close()).result()  # its own thread's connection
    proctor.shutdown()

    requests = sum(len(times) for times in record.timings.values())
    sat = Attempt.objects.filter(learner__in=[learner for learner, _ in takers], quiz=exam)
    own_cpu = (own_after.ru_utime + own_after.ru_stime) - (
        own_before.ru_utime + own_before.ru_stime
    )
    return {
        "learners": len(takers),
        "window_s": plan.window,
        "pace_s": plan.pace,
        "seconds": seconds,
        "requests": requests,
        "errors": len(record.errors),
        "error_examples": record.errors[:10],
        "kinds": {kind: _summary(record.timings[kind]) for kind in EXPECTED},
        "app_cpu_ms": per_request(app_before, app_after, requests),
        "db_cpu_ms": per_request(database_before, database_after, requests),
        "driver_cpu_percent": 100 * own_cpu / seconds,
        "submitted": sat.exclude(submitted_at=None).count(),
        "passed": sat.filter(passed=True).count(),
        "certificates": Certificate.objects.filter(
            course=course, learner__in=[learner for learner, _ in takers]
        ).count(),
    }


def _summary(times: list[float]) -> dict:
    if not times:
        return {"requests": 0, "p50_ms": None, "p99_ms": None}
    p99 = (
        statistics.quantiles(times, n=100, method="inclusive")[98] if len(times) > 1 else times[0]
    )
    return {
        "requests": len(times),
        "p50_ms": 1000 * statistics.median(times),
        "p99_ms": 1000 * p99,
    }


def table(result: dict) -> str:
    rows = [
        f"Exam day: {result['learners']} learners start the final exam within "
        f"{result['window_s']:g} s, an answer every {result['pace_s']:g} s or so, then "
        f"hand in; {result['seconds']:.0f} s, {result['requests']:,} requests, "
        f"{result['errors']} errors.",
        "",
        "| request | count | p50 ms | p99 ms |",
        "| --- | ---: | ---: | ---: |",
    ]
    for kind, summary in result["kinds"].items():
        if summary["requests"]:
            rows.append(
                f"| {kind} | {summary['requests']:,} | {summary['p50_ms']:.1f} "
                f"| {summary['p99_ms']:.1f} |"
            )
    app, db = result["app_cpu_ms"], result["db_cpu_ms"]
    cpu = f"app {app:.1f} ms + db {db:.1f} ms" if app is not None and db is not None else "–"
    rows += [
        "",
        f"CPU per request: {cpu}; the learners' threads took "
        f"{result['driver_cpu_percent']:.0f}% of a core. {result['submitted']} attempts handed "
        f"in, {result['passed']} passed, {result['certificates']} certificates issued.",
    ]
    if result["errors"]:
        rows.append("Errors, first ones: " + "; ".join(result["error_examples"]))
    return "\n".join(rows)

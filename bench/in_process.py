#!/usr/bin/env python3
"""The learner pages' Python CPU per request against the baseline's, in process.

    .venv/bin/python bench/in_process.py [--rounds 5] [--requests 40] [--only lesson,save]

Serves the baseline page and each learner page with the test client, in bench.settings,
against the benchmark database (DATABASE_URL, default as bench/run.py; it must have been
seeded by a run or by bench.seed_load) and the cache REDIS_URL names (none: local memory,
sessions in the database). The learners are the run's readers and savers, logged in through
their session cookies as wrk sends them, CSRF checked. Each page is measured in ``--rounds``
rounds alternating with the baseline, as bench/run.py does under load; each round sends
``--requests`` requests (one per learner, in turn) after one warm-up pass, and the best
round counts, so other load on a shared machine weighs little. Saving an answer posts the
answer the attempt already holds, as the quiz page's autosave does.
"""

import argparse
import cProfile
import logging
import pstats
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--only", help="Pages whose name contains one of these (commas).")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        help="Then profile each page: this many hottest functions.",
    )
    args = parser.parse_args()

    from bench.page_profile import django_setup

    django_setup()
    logging.disable(logging.INFO)  # an event logged for every attempt started: not here
    from django.test import Client
    from django.urls import reverse

    from assessments.models import Quiz
    from bench import prepare
    from lessons.models import Course

    course = Course.objects.get(slug="military-diplomacy")
    quiz = (
        Quiz.objects.filter(course=course, module__isnull=False)
        .order_by("module__position")
        .first()
    )
    people = prepare.readers(course, args.requests)

    def client(browser) -> Client:
        logged_in = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
        logged_in.cookies.load(browser.cookie)
        return logged_in

    def gets(make):
        return [(client(b), "get", make(lesson), {}) for _, b, lesson in people]

    def saves():
        """Made only when asked for: the savers' open attempts are made afresh."""
        sent = []
        for browser, attempt in prepare.writers(course, quiz)[: args.requests]:
            row = next(r for r in attempt.rows if r.answer is not None)
            url = reverse("response_save", kwargs={"pk": attempt.pk, "slot": row.slot})
            options = {
                "data": prepare.save_body(row.shown, row.slot, row.answer),
                "content_type": "application/x-www-form-urlencoded",
                "HTTP_X_CSRFTOKEN": browser.csrf,
                "HTTP_HX_REQUEST": "true",
            }
            sent.append((client(browser), "post", url, options))
        return sent

    slug = course.slug
    pages = {
        "course page (logged in)": lambda: gets(lambda _: reverse("course_detail", args=[slug])),
        "lesson page (logged in)": lambda: gets(
            lambda lesson: reverse(
                "lesson_detail", kwargs={"course_slug": slug, "slug": lesson.slug}
            )
        ),
        "learner dashboard": lambda: gets(lambda _: reverse("dashboard")),
        "save an answer (htmx)": saves,
    }
    baseline = gets(lambda _: reverse("bench_baseline", args=[course.pk]))

    def send(requests) -> float:
        """CPU milliseconds per request of one pass over ``requests``."""
        started = time.process_time()
        for c, method, url, kwargs in requests:
            response = getattr(c, method)(url, **kwargs)
            if response.status_code != 200:
                raise SystemExit(f"{method.upper()} {url}: {response.status_code}")
        return 1000 * (time.process_time() - started) / len(requests)

    send(baseline)
    print(f"{'page':<26} {'ms':>6} {'baseline ms':>12} {'× baseline':>11}")
    for name, make in pages.items():
        if args.only and not any(text.strip() in name for text in args.only.split(",")):
            continue
        requests = make()
        send(requests)
        page_ms, base_ms = [], []
        for number in range(args.rounds):
            order = [(baseline, base_ms), (requests, page_ms)]
            for measured, times in order if number % 2 == 0 else reversed(order):
                times.append(send(measured))
        page, base = min(page_ms), min(base_ms)
        print(f"{name:<26} {page:6.2f} {base:12.2f} {base / page:11.2f}", flush=True)
        if args.profile:
            profiler = cProfile.Profile(time.process_time)  # CPU, as measured above
            profiler.runcall(send, requests * 5)
            stats = pstats.Stats(profiler).sort_stats("tottime")
            stats.print_stats(args.profile)


if __name__ == "__main__":
    main()

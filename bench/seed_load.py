#!/usr/bin/env python3
"""Create N load-test learners enrolled in a course, with varied progress (bench/loaddata.py).

    .venv/bin/python -m bench.seed_load --learners 10000 [--seed 1] [--course SLUG]
        [--prefix load-] [--password …] [--anchor YYYY-MM-DD]

A script of the benchmarks, not a command of the site: production code never imports
``bench``. It writes into DATABASE_URL with DJANGO_SETTINGS_MODULE (default
courseware.settings), importing the shipped course first if it is missing. Learners that
already exist (same prefix and number) are skipped, so running it again adds only the
missing ones.
"""

import argparse
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

SHIPPED_COURSE = "military-diplomacy"


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.seed_load", description=__doc__)
    parser.add_argument("--learners", type=int, required=True, help="How many learners.")
    parser.add_argument("--seed", type=int, default=0, help="Same seed, same data.")
    parser.add_argument("--course", default=SHIPPED_COURSE, help="Course slug.")
    parser.add_argument("--prefix", default="load-", help="Username prefix.")
    parser.add_argument(
        "--password",
        help="Give every load learner this password (hashed once); by default they have none "
        "and cannot log in.",
    )
    parser.add_argument(
        "--anchor",
        type=date.fromisoformat,
        help="Date all activity ends before (YYYY-MM-DD); default today. Pass it, with the "
        "seed, to get the very same timestamps again.",
    )
    args = parser.parse_args(argv)
    if args.learners < 1:
        parser.error("--learners must be at least 1.")
    return args


def seed_load(
    *,
    learners: int,
    seed: int = 0,
    course: str = SHIPPED_COURSE,
    prefix: str = "load-",
    password: str | None = None,
    anchor: date | None = None,
    out=sys.stdout,
) -> None:
    """Seed, saying what was done on ``out``; needs Django set up. Raises ``SystemExit`` with
    the reason for a course that is not there (but the shipped one, which it imports)."""
    from django.conf import settings

    from assessments.course_io import course_import
    from bench.loaddata import load_learners_create
    from lessons.models import Course

    started = time.perf_counter()
    target = Course.objects.filter(slug=course).first()
    if target is None:
        if course != SHIPPED_COURSE:
            raise SystemExit(f"No course {course!r}: import it first.")
        target, _ = course_import(Path(settings.BASE_DIR) / "fixtures" / SHIPPED_COURSE)
        print(f"Imported {target.title!r}.", file=out)
    anchor = anchor or datetime.now(UTC).date()
    report = load_learners_create(
        course=target,
        learners=learners,
        seed=seed,
        prefix=prefix,
        anchor=datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC),
        password=password,
    )
    seconds = time.perf_counter() - started
    print(
        f"Created {report.created} learners ({report.skipped} already there) in {seconds:.1f} s.",
        file=out,
    )
    for name, count in sorted(report.counts.items()):
        print(f"  {name}: {count}", file=out)


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseware.settings")
    import django

    django.setup()
    seed_load(**vars(args))


if __name__ == "__main__":
    main()

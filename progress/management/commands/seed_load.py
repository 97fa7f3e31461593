import time
from datetime import UTC, date, datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from assessments.course_io import course_import
from bench.loaddata import load_learners_create
from lessons.models import Course

SHIPPED_COURSE = "military-diplomacy"


class Command(BaseCommand):
    help = (
        "Create N load-test learners enrolled in a course, with varied progress: lessons read, "
        "quiz attempts passed and failed, some certificates. Learners that already exist "
        "(same prefix and number) are skipped, so running it again adds only the missing ones."
    )

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, required=True, help="How many learners.")
        parser.add_argument("--seed", type=int, default=0, help="Same seed, same data.")
        parser.add_argument("--course", default=SHIPPED_COURSE, help="Course slug.")
        parser.add_argument("--prefix", default="load-", help="Username prefix.")
        parser.add_argument(
            "--password",
            help="Give every load learner this password (hashed once); by default they "
            "have none and cannot log in.",
        )
        parser.add_argument(
            "--anchor",
            type=date.fromisoformat,
            help="Date all activity ends before (YYYY-MM-DD); default today. Pass it, with "
            "the seed, to get the very same timestamps again.",
        )

    def handle(self, *args, learners, seed, course, prefix, password, anchor, **options):
        if learners < 1:
            raise CommandError("--learners must be at least 1.")
        started = time.perf_counter()
        target = Course.objects.filter(slug=course).first()
        if target is None:
            if course != SHIPPED_COURSE:
                raise CommandError(f"No course {course!r}: import it first.")
            target, _ = course_import(settings.BASE_DIR / "fixtures" / SHIPPED_COURSE)
            self.stdout.write(f"Imported {target.title!r}.")
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
        self.stdout.write(
            f"Created {report.created} learners ({report.skipped} already there) "
            f"in {seconds:.1f} s."
        )
        for name, count in sorted(report.counts.items()):
            self.stdout.write(f"  {name}: {count}")

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.course_io import course_export, course_fixture
from lessons.models import Course


class Command(BaseCommand):
    help = (
        "Write a course out as a folder that import_course reads back (and optionally a fixture)."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The course's slug, e.g. military-diplomacy")
        parser.add_argument("folder", help="Where to write the course folder")
        parser.add_argument(
            "--fixture",
            metavar="FILE",
            help="Also write the course as a Django fixture (for loaddata) to FILE.",
        )

    def handle(self, *args, slug, folder, fixture, **options):
        course = Course.objects.filter(slug=slug).first()
        if course is None:
            raise CommandError(f"No course with the slug '{slug}'.")
        written = course_export(course, folder)
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(written)} files to {folder}"))
        if fixture:
            Path(fixture).write_text(course_fixture(course), encoding="utf-8")
            self.stdout.write(self.style.SUCCESS(f"Wrote the fixture {fixture}"))

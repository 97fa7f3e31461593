from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lessons.models import Course
from progress.records import course_records_zip


class Command(BaseCommand):
    help = (
        "Write a course with its learners' records to a zip: the course folder (as "
        "export_course writes it) and records.json. import_course_records restores it."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The course's slug, e.g. military-diplomacy")
        parser.add_argument("file", help="The zip to write, e.g. military-diplomacy-records.zip")

    def handle(self, *args, slug, file, **options):
        course = Course.objects.filter(slug=slug).first()
        if course is None:
            raise CommandError(f"No course with the slug '{slug}'.")
        try:
            data = course_records_zip(course=course)
        except ValueError as error:  # content the course folder format cannot hold
            raise CommandError(f"Cannot export: {error}") from None
        Path(file).write_bytes(data)
        self.stdout.write(self.style.SUCCESS(f"Wrote {course.slug} and its records to {file}"))

from django.core.management.base import BaseCommand, CommandError

from assessments.course_io import course_import
from lessons.course_folder import CourseFormatError


class Command(BaseCommand):
    help = (
        "Load a course folder (course.yaml, modules/*.md, quizzes/*.gift). Running it again "
        "updates the course in place and keeps what learners did; a bad file writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="The course folder, e.g. fixtures/military-diplomacy")

    def handle(self, *args, folder, **options):
        try:
            course, report = course_import(folder)
        except CourseFormatError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"{course.slug}: {report}"))

from django.core.management.base import BaseCommand, CommandError

from assessments.course_io import course_import
from lessons.course_folder import CourseFormatError
from progress.import_plan import course_import_plan


class Command(BaseCommand):
    help = (
        "Load a course folder (course.yaml, modules/*.md, quizzes/*.gift). Running it again "
        "updates the course in place and keeps what learners did; a bad file writes nothing. "
        "With --plan, show what it would change and whose records each change touches, "
        "and write nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="The course folder, e.g. fixtures/military-diplomacy")
        parser.add_argument(
            "--plan",
            action="store_true",
            help="Show what the import would add, change and archive, and write nothing.",
        )

    def handle(self, *args, folder, plan, **options):
        try:
            if plan:
                self.stdout.write(str(course_import_plan(folder)))
                return
            course, report = course_import(folder)
        except CourseFormatError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"{course.slug}: {report}"))
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(warning))
        for reference in report.references:
            self.stdout.write(self.style.WARNING(f"Check the passage of {reference}"))

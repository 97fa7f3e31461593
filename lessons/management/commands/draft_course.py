from django.core.management.base import BaseCommand, CommandError

from lessons.course_folder import CourseFormatError
from lessons.intake import draft_course_folder, report_path


class Command(BaseCommand):
    help = (
        "Draft a course folder from a document (.txt, .md, .html, .docx): its headings become "
        "lessons grouped into modules, its text goes into them verbatim, and what was left out "
        "is listed in a report printed at the end and written beside the folder."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="The document, e.g. notes.docx or article.html")
        parser.add_argument("folder", help="A new folder for the course, e.g. courses/my-course")
        parser.add_argument("--slug", help="The course's slug (default: from its title)")
        parser.add_argument("--title", help="The course's title (default: the document's)")

    def handle(self, *args, source, folder, slug, title, **options):
        try:
            report = draft_course_folder(source, folder, slug=slug, title=title)
        except CourseFormatError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(str(report))
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote the course to {folder} and this report to {report_path(folder)}. "
                f"Load it with: manage.py import_course {folder}"
            )
        )

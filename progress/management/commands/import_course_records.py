from django.core.management.base import BaseCommand, CommandError

from progress.records import RecordsError, course_records_import


class Command(BaseCommand):
    help = (
        "Restore a zip written by export_course_records: the course (as import_course does), "
        "its learners (matched by username; new ones get no usable password) and their "
        "records. What is already there is kept; a bad file writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The zip written by export_course_records")

    def handle(self, *args, file, **options):
        try:
            course, written = course_records_import(file)
        except RecordsError as error:
            raise CommandError(f"Nothing was restored: {error}") from None
        done = "; ".join(f"{kind}: {n}" for kind, n in written.items()) or "nothing new"
        self.stdout.write(self.style.SUCCESS(f"{course.slug}: {done}"))

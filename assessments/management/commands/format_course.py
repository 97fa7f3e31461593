from django.core.management.base import BaseCommand, CommandError

from assessments.course_io import course_folder_formatted
from lessons.course_folder import CourseFormatError, file_bytes


class Command(BaseCommand):
    help = (
        "Rewrite a course folder in the canonical layout export_course writes "
        "(docs/course-format.md), like a code formatter. With --check, write nothing and "
        "exit non-zero listing the files that would change."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="The course folder, e.g. fixtures/military-diplomacy")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; exit 1 and list the files that are not in the canonical layout.",
        )

    def handle(self, *args, folder, check, **options):
        try:
            files = course_folder_formatted(folder)
        except CourseFormatError as error:
            raise CommandError(str(error)) from None
        changed = [
            path
            for path, text in files.items()
            if not path.is_file() or path.read_bytes() != file_bytes(text)
        ]
        if check and changed:
            listed = "\n".join(f"  {path}" for path in changed)
            raise CommandError(
                f"{len(changed)} of {len(files)} files are not in the canonical layout:\n{listed}",
                returncode=1,
            )
        for path in changed:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(file_bytes(files[path]))
            self.stdout.write(f"reformatted {path}")
        unchanged = len(files) - len(changed)
        self.stdout.write(
            self.style.SUCCESS(f"{unchanged} files already in the canonical layout.")
        )

from django.core.management.base import BaseCommand

from lessons.figures import figure_delete, figure_path
from lessons.selectors import orphaned_figures


class Command(BaseCommand):
    help = (
        "List the stored figure files that no lesson names any more: not a lesson of any "
        "status, archived ones included, nor any earlier version of one in its history. "
        "With --delete, remove them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--delete", action="store_true", help="Remove the files listed (default: only list)"
        )

    def handle(self, *args, delete, **options):
        orphans = orphaned_figures()
        for course_id, name in orphans:
            self.stdout.write(figure_path(course_id=course_id, name=name))
            if delete:
                figure_delete(course_id=course_id, name=name)
        if not orphans:
            self.stdout.write(self.style.SUCCESS("Every stored figure is named by a lesson."))
        elif delete:
            self.stdout.write(self.style.SUCCESS(f"Removed {len(orphans)} figure files."))
        else:
            self.stdout.write(
                f"{len(orphans)} figure files no lesson names. Remove them with --delete."
            )

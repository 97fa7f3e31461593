from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from courseware.roles import instructors_group
from lessons.models import Course

DEMO_ACCOUNTS = {
    # username: (password, first name, last name, is instructor)
    "instructor": ("instructor-demo-2026", "Ines", "Instructor", True),
    "learner": ("learner-demo-2026", "Lee", "Learner", False),
}


class Command(BaseCommand):
    help = (
        "Create demo accounts for local use: an instructor of every course and a learner. "
        "Refuses to run with DEBUG off, so they never reach production."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (not for production)."
        )

    @transaction.atomic
    def handle(self, *args, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: demo accounts are for local use only.")
        User = get_user_model()
        group = instructors_group()
        for username, (password, first, last, is_instructor) in DEMO_ACCOUNTS.items():
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.org",
                },
            )
            user.set_password(password)
            user.is_staff = is_instructor
            user.save()
            if is_instructor:
                user.groups.add(group)
                for course in Course.objects.all():
                    course.instructors.add(user)
            self.stdout.write(
                f"{'Created' if created else 'Reset'} {username!r} with password {password!r}"
            )

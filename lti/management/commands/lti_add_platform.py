"""Register a learning platform (or add deployments to one), with the values it gives."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

from lessons.models import Course
from lti.models import Deployment, Platform
from lti.tool import tool_key


class Command(BaseCommand):
    help = "Register a learning platform for LTI 1.3 launches (again: update it)."

    def add_arguments(self, parser):
        parser.add_argument("--issuer", required=True)
        parser.add_argument("--client-id", required=True)
        parser.add_argument(
            "--deployment-id", action="append", required=True, help="Repeat for several."
        )
        parser.add_argument("--auth-login-url", required=True)
        parser.add_argument("--auth-token-url", required=True)
        parser.add_argument("--keyset-url", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument("--auth-audience", default="")
        parser.add_argument(
            "--teaches",
            action="append",
            default=[],
            metavar="COURSE_SLUG",
            help="A course the platform's instructors may teach. Repeat for several.",
        )

    def handle(self, *args, **options):
        fields = {
            "name": options["name"],
            "auth_login_url": options["auth_login_url"],
            "auth_token_url": options["auth_token_url"],
            "keyset_url": options["keyset_url"],
            "auth_audience": options["auth_audience"],
        }
        with transaction.atomic():
            platform = Platform.objects.filter(
                issuer=options["issuer"], client_id=options["client_id"]
            ).first() or Platform(issuer=options["issuer"], client_id=options["client_id"])
            for field, value in fields.items():
                if value or platform.pk is None:  # an option left out keeps what was there
                    setattr(platform, field, value)
            try:
                platform.full_clean(validate_unique=False)
            except ValidationError as error:
                raise CommandError(
                    "; ".join(
                        f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items()
                    )
                ) from None
            created = platform.pk is None
            platform.save()
            for deployment_id in options["deployment_id"]:
                Deployment.objects.get_or_create(platform=platform, deployment_id=deployment_id)
            courses = Course.objects.filter(slug__in=options["teaches"])
            unknown = set(options["teaches"]) - {course.slug for course in courses}
            if unknown:
                raise CommandError(f"No course with the slug {', '.join(sorted(unknown))}.")
            platform.courses_taught.add(*courses)
        tool_key()
        self.stdout.write(
            f"{'Registered' if created else 'Updated'} {platform} with deployments "
            f"{', '.join(platform.deployments.values_list('deployment_id', flat=True))}.\n"
            f"Give the platform: login {reverse('lti_login')}, launch {reverse('lti_launch')}, "
            f"keys {reverse('lti_jwks')} (after your site's address).\n"
            f"Its instructors may teach: "
            f"{', '.join(platform.courses_taught.values_list('slug', flat=True)) or 'no course'}."
        )

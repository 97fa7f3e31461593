"""The platforms' rosters of the courses that open a Courseware course (Names and Role
Provisioning Services, through pylti1p3), with who has a Courseware account."""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

from lessons.models import Course
from lti.models import Platform, PlatformAccount, ResourceLink, TeachingContext
from lti.services import claim_text
from lti.tool import PLATFORM_FAILURES, PlatformSession, registration
from progress.models import Enrollment


@dataclass
class Member:
    name: str
    email: str
    roles: list[str]
    user: object = None  # the linked Courseware account, if any
    enrolled: bool = False


@dataclass
class Roster:
    platform: Platform
    title: str
    members: list[Member] = field(default_factory=list)
    error: str = ""


def _role_names(roles) -> list[str]:
    if not isinstance(roles, list):
        return []
    return sorted({str(role).rsplit("#", 1)[-1] for role in roles})


def _links_seen_by(viewer):
    """The resource links whose rosters ``viewer`` sees: those of the platform courses
    (platform and context) in which they launched Courseware as a teacher
    (``TeachingContext``), since a roster holds the names and e-mails of a class; every link
    for a superuser. Another class of the same platform opening the same course is another
    teacher's; an instructor made on Courseware, with no platform account, sees none."""
    if viewer.is_superuser:
        return ResourceLink.objects.all()
    taught = TeachingContext.objects.filter(
        account__user=viewer,
        account__platform=OuterRef("platform"),
        context_id=OuterRef("context_id"),
    )
    return ResourceLink.objects.filter(Exists(taught))


def _members(platform: Platform, memberships_url: str) -> list[dict]:
    connector = ServiceConnector(registration(platform), PlatformSession())
    service = NamesRolesProvisioningService(
        connector, {"context_memberships_url": memberships_url}
    )
    return service.get_members()


def course_rosters(*, course: Course, viewer) -> list[Roster]:
    """One roster per platform course (context) with a link to ``course`` that ``viewer``
    may see (``_links_seen_by``); a platform that does not answer gets its roster's
    error instead, and the page is still shown."""
    links = (
        _links_seen_by(viewer)
        .filter(course=course)
        .exclude(memberships_url="")
        .select_related("platform")
        .order_by("platform_id", "context_id", "-updated_at")
    )
    seen, rosters = set(), []
    for link in links:
        if (link.platform_id, link.context_id) in seen:
            continue
        seen.add((link.platform_id, link.context_id))
        roster = Roster(platform=link.platform, title=link.context_title or link.context_id)
        rosters.append(roster)
        try:
            found = _members(link.platform, link.memberships_url)
        except PLATFORM_FAILURES:
            roster.error = _("The platform did not give its roster. Try again later.")
            continue
        found = [m for m in found if isinstance(m, dict) and isinstance(m.get("user_id"), str)]
        accounts = {
            account.sub: account.user
            for account in PlatformAccount.objects.filter(
                platform=link.platform, sub__in=[m.get("user_id") for m in found]
            ).select_related("user")
        }
        enrolled = set(
            Enrollment.objects.filter(
                course=course, learner__in=[u.pk for u in accounts.values()]
            ).values_list("learner_id", flat=True)
        )
        for member in found:
            user = accounts.get(member.get("user_id"))
            roster.members.append(
                Member(
                    name=claim_text(member.get("name"))
                    or " ".join(
                        filter(
                            None,
                            [claim_text(member.get(p)) for p in ("given_name", "family_name")],
                        )
                    )
                    or member["user_id"],
                    email=claim_text(member.get("email")),
                    roles=_role_names(member.get("roles")),
                    user=user,
                    enrolled=user is not None and user.pk in enrolled,
                )
            )
        roster.members.sort(key=lambda m: m.name.lower())
    return rosters

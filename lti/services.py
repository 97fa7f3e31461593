"""What a launch does in Courseware, and the scores that go back to the platform.

pylti1p3 checks the launch (signature, issuer, client, deployment, nonce, state, expiry);
these functions take the checked claims and do the product's part: the account linked to
the platform's user, the enrolment or the right to teach, the page to land on, the link
whose gradebook column gets the learner's score.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.grade import Grade
from pylti1p3.service_connector import ServiceConnector

from courseware.accounts import PLATFORM_USERNAME_PREFIX
from courseware.events import Event
from courseware.roles import instructors_group_found
from lessons.models import Course, Module
from lessons.selectors import course_teaches
from lti.models import (
    GradedLearner,
    PendingScore,
    Platform,
    PlatformAccount,
    ResourceLink,
    TeachingContext,
)
from lti.scores import score_of
from lti.tool import PLATFORM_FAILURES, PlatformSession, registration
from progress.selectors import course_progress_for_learner
from progress.services import ProgressError, enrollment_create

logger = logging.getLogger(__name__)

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DEEP_LINKING_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
# The context roles that teach: an instructor of the platform's course, its content
# developer, its administrator. Only the launcher's role in the course (the context) counts:
# an institution or system role (Canvas sends "institution/person#Instructor" for anyone
# who teaches somewhere on the platform) says nothing about this course.
TEACHING_ROLES = {"Instructor", "Administrator", "ContentDeveloper"}
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
# Instructor sub-roles (LTI 1.3 §A.2.3.1) of people from outside the class: a guest, an
# instructor of another institution. They are not given a course to teach, even with the
# principal role ``membership#Instructor`` beside them (which the spec asks platforms to
# send with any sub-role), since then the sub-role is what tells who they are.
VISITING_ROLES = {
    MEMBERSHIP + "/Instructor#GuestInstructor",
    MEMBERSHIP + "/Instructor#ExternalInstructor",
}
# A score that could not be sent is tried again after 1, 2, 4… minutes, at most this far apart.
LONGEST_WAIT = timedelta(hours=6)
# How long a run holds a score it is sending (longer than the platform's timeout).
SENDING_LEASE = timedelta(minutes=5)


class LaunchRefused(Exception):
    """A checked launch Courseware cannot serve; the message is for the person launching."""


@dataclass(frozen=True)
class Target:
    course: Course
    module: Module | None
    path: str  # the page to land on, for a learner


def _claim(claims: dict, name: str) -> dict:
    """A claim that should be an object; anything else a platform sends reads as empty."""
    value = claims.get(name)
    return value if isinstance(value, dict) else {}


def claim_text(value, length: int = 255) -> str:
    """A claim that should be text, cut to ``length``; anything else reads as empty."""
    return value[:length] if isinstance(value, str) else ""


def claim_identifier(value) -> str:
    """A claim that identifies a user, a link or a class of the platform: text, whole, or
    empty if it is not text. Cut, two of them sharing their first 255 characters (the
    column's length, and OpenID Connect's limit for ``sub``) would be one: refused instead."""
    if not isinstance(value, str):
        return ""
    if len(value) > 255:
        raise LaunchRefused(
            _("The learning platform sent an identifier longer than Courseware can keep.")
        )
    return value


def _teaching_role(role) -> bool:
    """A context role of ``TEACHING_ROLES`` (``membership#Instructor``…); a sub-role of one
    (``membership/Instructor#TeachingAssistant`` is a kind of instructor, LTI 1.3 §A.2.3.1);
    or its short name (``Instructor``), which LTI 1.3 §A.2.3 lets a platform use for a
    context role (deprecated). Never ``membership/Learner#Instructor``: a learner's
    sub-role."""
    if not isinstance(role, str):
        return False
    if role in TEACHING_ROLES:
        return True
    scope, _hash, name = role.partition("#")
    if scope == MEMBERSHIP:
        return name in TEACHING_ROLES
    parent, _slash, principal = scope.rpartition("/")
    return parent == MEMBERSHIP and principal in TEACHING_ROLES and bool(name)


def teaches(roles: list) -> bool:
    """Whether the launcher teaches the platform's course (``_teaching_role``)."""
    return isinstance(roles, list) and any(_teaching_role(role) for role in roles)


def visits(roles: list) -> bool:
    """Whether the launcher is a guest or external instructor (``VISITING_ROLES``)."""
    return isinstance(roles, list) and any(role in VISITING_ROLES for role in roles)


def deep_link_return_url(claims: dict, *, secure: bool) -> str:
    """Where the platform takes an instructor's pick back (the form's action, signed token
    in it): an https address, or http while Courseware itself is on plain HTTP (a closed
    network, the tests), since then no launch is any safer."""
    url = _claim(claims, DEEP_LINKING_CLAIM).get("deep_link_return_url")
    try:
        URLValidator(schemes=["https"] if secure else ["http", "https"])(url)
    except ValidationError:
        raise LaunchRefused(
            _("The learning platform gave no valid address to add the activity to.")
        ) from None
    return url


def launch_target(claims: dict) -> Target:
    """The course (or module) a launch names: custom parameters ``course`` and ``module``
    (set by a deep link), else the course page its target_link_uri points to."""
    custom = _claim(claims, CLAIM + "custom")
    course_slug = custom.get("course")
    path = ""
    if not course_slug:
        try:
            path = urlsplit(claim_text(claims.get(CLAIM + "target_link_uri"), 2000)).path
            # Only a path of this site ("//elsewhere" would be another site's address).
            match = None if path.startswith("//") else resolve(path)
        except (ValueError, Resolver404):  # ValueError: not an address ("https://[x/")
            match = None
        course_slug = match and (match.kwargs.get("course_slug") or match.kwargs.get("slug"))
        if not course_slug or match.url_name == "lti_launch":
            raise LaunchRefused(_("This activity does not name a Courseware course."))
    # A draft is nobody's to open from a platform, an instructor's no more than a learner's.
    course = Course.objects.published().filter(slug=claim_text(course_slug)).first()
    if course is None:
        raise LaunchRefused(_("The course this activity opens is not on Courseware."))
    module = None
    if custom.get("module"):
        module = (
            Module.objects.published()
            .filter(course=course, slug=claim_text(custom["module"]))
            .first()
        )
        if module is None:
            raise LaunchRefused(_("The module this activity opens is not in the course."))
    if not path or module is not None:
        path = course.get_absolute_url() + (f"#module-{module.slug}" if module else "")
    return Target(course=course, module=module, path=path)


def account_for_launch(*, platform: Platform, claims: dict) -> PlatformAccount:
    """The account linked to the platform's user (``sub``), made on the first launch, with
    the name and e-mail the platform sends kept up to date. Never matched by e-mail."""
    sub = claim_identifier(claims.get("sub"))
    if not sub:
        raise LaunchRefused(_("The platform did not say who is launching."))
    accounts = PlatformAccount.objects.select_related("user").filter(platform=platform, sub=sub)
    with transaction.atomic():
        account = accounts.first() or _account_create(platform=platform, sub=sub)
        user = account.user
        user.first_name = claim_text(claims.get("given_name"), 150)
        user.last_name = claim_text(claims.get("family_name"), 150)
        user.email = claim_text(claims.get("email"), 254)
        user.save(update_fields=["first_name", "last_name", "email"])
    return account


def _account_create(*, platform: Platform, sub: str) -> PlatformAccount:
    """The account of a first launch, under the username ``lti-<digest of platform and sub>``
    or, if someone else holds that name, the same with a random ending: the account is
    found by platform and ``sub`` only, its username is just a label."""
    digest = hashlib.sha256(f"{platform.pk}:{sub}".encode()).hexdigest()[:16]
    usual = PLATFORM_USERNAME_PREFIX + digest
    for username in (usual, f"{usual}-{secrets.token_hex(4)}"):
        try:
            with transaction.atomic():  # a savepoint: the launch goes on if this fails
                user = get_user_model()(username=username)
                user.set_unusable_password()
                user.save()
                return PlatformAccount.objects.create(platform=platform, sub=sub, user=user)
        except IntegrityError:
            # The same user's other first launch (a double click) made it, or the username
            # is taken (an account made by hand, or before ``lti-`` was reserved at sign-up).
            account = PlatformAccount.objects.filter(platform=platform, sub=sub).first()
            if account is not None:
                return account
    raise LaunchRefused(_("Courseware could not make your account. Open the activity again."))


def link_record(*, platform: Platform, claims: dict, target: Target) -> ResourceLink | None:
    """Keep the platform's resource link, with its gradebook column and roster, if any."""
    resource = _claim(claims, CLAIM + "resource_link")
    resource_link_id = claim_identifier(resource.get("id"))
    if not resource_link_id:
        return None
    context = _claim(claims, CLAIM + "context")
    ags = _claim(claims, AGS_CLAIM)
    nrps = _claim(claims, NRPS_CLAIM)
    scopes = ags.get("scope")
    # Two first launches of the link at once: Django creates in a savepoint and reads the
    # other's row on IntegrityError (so does ``get_or_create`` below).
    link, _created = ResourceLink.objects.update_or_create(
        platform=platform,
        resource_link_id=resource_link_id,
        defaults={
            "title": claim_text(resource.get("title")),
            "context_id": claim_identifier(context.get("id")),
            "context_title": claim_text(context.get("title")) or claim_text(context.get("label")),
            "course": target.course,
            "module": target.module,
            "lineitem_url": claim_text(ags.get("lineitem"), 1024),
            "ags_scopes": [s for s in scopes if isinstance(s, str)]
            if isinstance(scopes, list)
            else [],
            "memberships_url": claim_text(nrps.get("context_memberships_url"), 1024),
            "updated_at": timezone.now(),
        },
    )
    return link


def instructor_launch(*, platform: Platform, user, course: Course, visiting: bool) -> None:
    """An instructor's launch into ``course``: they teach it if the site lets the platform's
    instructors teach it (``Platform.courses_taught``) and they are not ``visiting`` (a
    guest or external instructor, ``VISITING_ROLES``); otherwise only one who already
    teaches it on Courseware goes on, with no right added. The launch's roles and course are
    the platform's word, which any of its teachers can edit: they never grant a course alone."""
    if visiting or not platform.courses_taught.filter(pk=course.pk).exists():
        if course_teaches(user=user, course=course):
            return
        if visiting:
            raise LaunchRefused(
                _(
                    "Guest and external instructors of the learning platform's course do not "
                    "teach on Courseware. A Courseware administrator can add you to this "
                    "course's instructors."
                )
            )
        raise LaunchRefused(
            _(
                "Instructors from this learning platform may not teach this course on "
                "Courseware. The Courseware administrator must allow this platform's "
                "instructors to teach it (Learning platforms, in the administration)."
            )
        )
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(instructors_group_found())
    course.instructors.add(user)


def teaching_context_record(*, account: PlatformAccount, claims: dict) -> None:
    """Keep the platform course (context) in which ``account`` teaches: its roster is theirs
    to see (``lti.roster``)."""
    context_id = claim_identifier(_claim(claims, CLAIM + "context").get("id"))
    TeachingContext.objects.update_or_create(
        account=account, context_id=context_id, defaults={"last_launched_at": timezone.now()}
    )


def launch_accept(*, platform: Platform, claims: dict) -> tuple:
    """A resource link launch: the user signed in, enrolled (a learner) or teaching the
    course (an instructor), and the page to land on. Returns ``(user, path)``."""
    target = launch_target(claims)
    with transaction.atomic():
        account = account_for_launch(platform=platform, claims=claims)
        user = account.user
        if not user.is_active:
            raise LaunchRefused(_("This Courseware account is closed."))
        link = link_record(platform=platform, claims=claims, target=target)
        roles = claims.get(CLAIM + "roles")
        if teaches(roles):
            instructor_launch(
                platform=platform, user=user, course=target.course, visiting=visits(roles)
            )
            teaching_context_record(account=account, claims=claims)
            return user, reverse("teach_course", args=[target.course.slug])
        try:
            enrollment_create(learner=user, course=target.course)
        except ProgressError:
            raise LaunchRefused(_("This course is not open yet.")) from None
        if link is not None and link.lineitem_url and SCORE_SCOPE in link.ags_scopes:
            _graded, created = GradedLearner.objects.get_or_create(link=link, account=account)
            if created:  # what the learner did before this link existed counts too
                scores_queue(learner=user, course=target.course, now=timezone.now())
    return user, target.path


# --- Scores to the platforms' gradebooks ------------------------------------------------


def event_scores_queue(event: Event, fields: dict) -> None:
    """The listener of ``Event.RESULTS_CHANGED`` (``courseware.events``), inside the
    transaction that changed the learner's results, so their scores are queued with it."""
    scores_queue(learner=fields["learner"], course=fields["course"], now=fields["now"])


@transaction.atomic(savepoint=False)  # the caller's transaction, or one of its own
def scores_queue(*, learner, course: Course, now: datetime) -> int:
    """Queue the learner's score for every gradebook column that follows them in
    ``course``, replacing one still waiting. Runs in the caller's transaction."""
    # The learner's rows locked: two changes of their results at once (a grade and a lesson,
    # two tabs) queue one after the other. Unlocked, both could find no score waiting and
    # both insert one, the second against ``one_score_waits_per_learner_and_link``.
    graded = list(
        GradedLearner.objects.select_for_update(of=("self",))
        .filter(account__user=learner, link__course=course)
        .select_related("link__module")
        .order_by("pk")
    )
    if not graded:
        return 0
    progress = course_progress_for_learner(learner=learner, course=course)
    waiting = {
        score.graded_id: score
        for score in PendingScore.objects.filter(graded__in=graded, sent_at=None)
    }
    for one in graded:
        score = score_of(progress, one.link.module)
        values = {
            "score_given": score.given,
            "score_maximum": score.maximum,
            "activity": score.activity,
            "grading": score.grading,
            "changed_at": now,
            "next_try_at": now,
        }
        replaced = waiting.get(one.pk)
        if replaced is None:
            PendingScore.objects.create(graded=one, **values)
        else:
            for field, value in values.items():
                setattr(replaced, field, value)
            # A send already under way does not mark this newer score sent (``scores_send``).
            replaced.version += 1
            replaced.save()
    return len(graded)


@dataclass
class Sent:
    sent: int = 0
    failed: int = 0


def _grade(score: PendingScore) -> Grade:
    grade = (
        Grade()
        .set_user_id(score.graded.account.sub)
        .set_score_maximum(float(score.score_maximum))
        .set_activity_progress(score.activity)
        .set_grading_progress(score.grading)
        .set_timestamp(score.changed_at.isoformat())
    )
    if score.score_given is not None:
        grade.set_score_given(float(score.score_given))
    return grade


def _post(score: PendingScore, connectors: dict) -> None:
    link = score.graded.link
    platform = link.platform
    if platform.pk not in connectors:
        connectors[platform.pk] = ServiceConnector(registration(platform), PlatformSession())
    service = AssignmentsGradesService(
        connectors[platform.pk], {"scope": link.ags_scopes, "lineitem": link.lineitem_url}
    )
    service.put_grade(_grade(score))


def scores_send(*, now: datetime | None = None, limit: int = 500) -> Sent:
    """Send the scores due, oldest first. A platform that is down or refuses is tried again
    later, each time after twice as long (at most LONGEST_WAIT), and its other scores wait
    for the next run; no lock is held while waiting for a platform, so learners' work never
    waits on it. ``now``: when the run starts (the tests move it); the run's clock goes on
    from it."""
    started = timezone.now()
    now = now or started
    outcome = Sent()
    connectors: dict = {}
    due = (
        PendingScore.objects.filter(sent_at=None, next_try_at__lte=now)
        .select_related("graded__account", "graded__link__platform")
        .order_by("next_try_at", "pk")[:limit]
    )
    down: set[int] = set()  # platforms that failed in this run: their other scores wait
    for score in due:
        if score.graded.link.platform_id in down:
            continue
        # Taken for a while, so that a run on another host does not send it too. The lease
        # runs from this moment, not from the run's start: a run that has been sending for
        # longer than SENDING_LEASE would hand out leases already over.
        claimed_at = now + (timezone.now() - started)
        taken = PendingScore.objects.filter(
            pk=score.pk, version=score.version, sent_at=None, next_try_at__lte=claimed_at
        ).update(next_try_at=claimed_at + SENDING_LEASE)
        if not taken:
            continue
        try:
            _post(score, connectors)
        except Exception as error:
            # Any error, not only PLATFORM_FAILURES (a key the library cannot read, a
            # RecursionError from a platform's deep JSON…): one platform never stops the run
            # for the others. The unexpected ones with their traceback, for the developers.
            if not isinstance(error, PLATFORM_FAILURES):
                logger.exception("lti score %s: unexpected error from the platform", score.pk)
            # One timeout per platform and run, not one per score: the timer's other job
            # (the expiry of attempts) must not wait on a platform that is down.
            down.add(score.graded.link.platform_id)
            outcome.failed += 1
            tries = score.tries + 1
            wait = min(timedelta(minutes=2 ** (tries - 1)), LONGEST_WAIT)
            PendingScore.objects.filter(pk=score.pk, sent_at=None).update(
                tries=tries, next_try_at=claimed_at + wait, last_error=str(error)[:2000]
            )
            logger.warning("lti score %s not sent (try %s): %s", score.pk, tries, error)
            continue
        # Marked sent only if no newer score replaced it meanwhile: that one goes next run.
        PendingScore.objects.filter(pk=score.pk, version=score.version).update(
            sent_at=timezone.now()
        )
        outcome.sent += 1
    return outcome

"""The tool's addresses for the platforms: its keys, the OIDC login, the launch, the
deep-linking page, and the roster in the instructor area.

A launch arrives as a cross-site POST from the platform's page, so the login, the launch
and the deep-linking form are exempt from CSRF: what protects them is pylti1p3's check of
the platform's signed id_token, its single-use nonce and the state cookie set at login
(and, for the deep-linking form, the unguessable id of a checked launch, used once). The
session cookie stays SameSite=Lax: the launch answers with a redirect, and the page it
lands on is a same-site request that carries it. Courseware pages refuse to be framed;
only the few launch pages meant to show inside the platform may be (docs/lti.md).
"""

import functools
import logging
import re
import secrets
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.db.models import Prefetch
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pylti1p3.contrib.django import DjangoOIDCLogin
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.lineitem import LineItem

from lessons.models import Course, Module, Status
from lti import roster as roster_read
from lti import services
from lti.tool import (
    LAUNCH_DATA_SECONDS,
    ControlCharacterRefused,
    DatabaseLaunchStorage,
    LaunchTakenOnRead,
    MessageLaunch,
    PlatformSession,
    ToolConf,
    control_character_in,
    platform_for,
    tool_jwks,
)
from progress.views.teach import teaches_course

logger = logging.getLogger(__name__)

# What a malformed or forged request can make pylti1p3 raise besides its own exceptions
# (a body that is JSON but not an object, a claim of the wrong type): refused, never a 500.
LAUNCH_ERRORS = (LtiException, OIDCException, ValueError, TypeError, KeyError, AttributeError)
TICKET_SECONDS = 120
USER_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _refused(request, reason: str, detail: str = "", status: int = 403):
    logger.warning("lti launch refused: %s %s", reason, detail)
    return render(request, "lti/refused.html", {"reason": reason, "detail": detail}, status=status)


def _control_character_refused(request, character: str):
    reason = _(
        "The learning platform sent text with an invisible control character "
        "(U+%(code)04X), which Courseware cannot take. Ask the platform's administrator to "
        "remove it (from a name, for instance)."
    ) % {"code": ord(character)}
    return _refused(request, reason, status=400)


def refuses_control_characters(view):
    """Refuse a request whose parameters or address hold a control character, before the
    view looks anything up with them (``ControlCharacterRefused``)."""

    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        sent = [*request.GET.lists(), *request.POST.lists(), list(kwargs.values())]
        found = control_character_in([value for values in sent for value in values])
        if found:
            return _control_character_refused(request, found)
        return view(request, *args, **kwargs)

    return checked


def _framable(response, *, form_to: str = ""):
    """Let the platform show ``response`` in its frame (and post a form to ``form_to``).
    Only pages answering a checked launch are framable: no one else can make them."""
    response.xframe_options_exempt = True
    response._csp_replace = {"frame-ancestors": ["*"]}
    if form_to:
        parts = urlsplit(form_to)
        response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}
    return response


def _launch(request, **kwargs):
    launch = MessageLaunch(
        request,
        ToolConf(),
        launch_data_storage=DatabaseLaunchStorage(),
        requests_session=PlatformSession(),
        **kwargs,
    )
    # The audience is checked by pylti1p3 against the registered client id; an id_token
    # without an expiry or issue time is refused.
    launch.set_jwt_verify_options({"verify_aud": False, "require": ["exp", "iat"]})
    return launch.set_launch_data_lifetime(LAUNCH_DATA_SECONDS)


@require_GET
def jwks(request):
    return JsonResponse(tool_jwks())


@csrf_exempt
@require_http_methods(["GET", "POST"])
@refuses_control_characters
def oidc_login(request):
    """Step one: the platform says who wants in; the tool sends the browser back to the
    platform's authorisation endpoint with a fresh state (in a cookie) and nonce."""
    login = DjangoOIDCLogin(request, ToolConf(), launch_data_storage=DatabaseLaunchStorage())
    try:
        return login.redirect(request.build_absolute_uri(reverse("lti_launch")))
    except LAUNCH_ERRORS as error:
        return _refused(
            request, _("This learning platform is not registered with Courseware."), str(error)
        )


@csrf_exempt
@require_POST
@refuses_control_characters
def launch(request):
    """Step two: the platform posts its signed id_token. Checked, it signs the learner in
    and lands them on the course, an instructor on the course's instructor pages, or shows
    an instructor the deep-linking page."""
    message = _launch(request)
    try:
        claims = message.get_launch_data()
        platform = platform_for(claims["iss"], message.get_client_id())
        deep_link = message.is_deep_link_launch()
    except ControlCharacterRefused as refused:
        return _control_character_refused(request, refused.character)
    except LAUNCH_ERRORS as error:
        return _refused(request, _("This launch could not be verified."), str(error))
    if deep_link:
        if not services.teaches(claims.get(services.CLAIM + "roles")):
            return _refused(request, _("Only instructors can add Courseware to a course."))
        try:
            services.deep_link_return_url(claims, secure=request.is_secure())
        except services.LaunchRefused as refused:
            return _refused(request, str(refused))
        return _framable(_deep_link_picker(request, message.get_launch_id()))
    if not message.is_resource_launch():
        return _refused(request, _("Courseware cannot open this kind of launch."))
    try:
        user, path = services.launch_accept(platform=platform, claims=claims)
    except services.LaunchRefused as refused:
        return _refused(request, str(refused))
    if request.headers.get("Sec-Fetch-Dest") == "iframe":
        # In the platform's frame the session cookie would be a third-party cookie, which
        # browsers drop: the learner opens Courseware in a window of its own instead, by
        # the page's button, with a ticket good for one use and two minutes
        # (``launch_continue`` says what ties it to that button).
        ticket = secrets.token_urlsafe(32)
        DatabaseLaunchStorage().set_value(
            f"ticket-{ticket}", {"user": user.pk, "path": path}, exp=TICKET_SECONDS
        )
        url = reverse("lti_continue", args=[ticket])
        return _framable(render(request, "lti/open_window.html", {"url": url}))
    auth_login(request, user, backend=USER_BACKEND)
    return HttpResponseRedirect(path)


def _own_origin(request) -> str:
    """Courseware's origin, as Django's CSRF check builds it."""
    return f"{request.scheme}://{request.get_host()}"


@csrf_exempt
@require_http_methods(["GET", "POST"])
@refuses_control_characters
def launch_continue(request, ticket: str):
    """A launch that arrived in a frame, opened in a window of its own.

    The ticket signs in whoever brings it, so it is honoured only when posted by the button
    of the page the launch showed in the launcher's frame: a POST whose Origin is
    Courseware's own. That page was shown to no one else (it answers the platform's signed
    launch), and no other Courseware page posts a ticket. A link to it, sent to someone or
    opened later, or a form on another site posting it (to sign a victim into the
    launcher's account) is refused and leaves the ticket unused. A cookie set with the
    ticket cannot do this: set in the platform's frame it is a third-party cookie, which
    browsers drop or keep apart from the new window; Django's CSRF check rides on such a
    cookie too, hence the exemption and the Origin check in its place.
    """
    expired = _("This link has expired. Open the activity again from your course.")
    if request.method == "GET":
        return _refused(request, expired, status=410)
    if request.headers.get("Origin") != _own_origin(request):
        return _refused(request, expired, "not posted from Courseware's own page")
    found = DatabaseLaunchStorage().pop_value(f"ticket-{ticket}")
    user = found and get_user_model().objects.filter(pk=found["user"], is_active=True).first()
    if not user:
        return _refused(request, expired, status=410)
    auth_login(request, user, backend=USER_BACKEND)
    return HttpResponseRedirect(found["path"])


def _deep_link_picker(request, launch_id: str, error: str = ""):
    modules = Module.objects.filter(status=Status.PUBLISHED).order_by("position", "pk")
    courses = (
        Course.objects.filter(status=Status.PUBLISHED)
        .order_by("title")
        .prefetch_related(Prefetch("modules", queryset=modules))
    )
    return render(
        request,
        "lti/deep_link.html",
        {"launch_id": launch_id, "courses": courses, "error": error},
        status=400 if error else 200,
    )


def _picked(target: str) -> tuple:
    """The published course, or module and its course, that the picker's ``target`` names."""
    kind, _sep, pk = target.partition(":")
    if not re.fullmatch("[0-9]{1,18}", pk):  # not ``isdigit``, which takes "²"
        return None, None
    if kind == "course":
        return Course.objects.filter(pk=pk, status=Status.PUBLISHED).first(), None
    if kind == "module":
        module = (
            Module.objects.select_related("course")
            .filter(pk=pk, status=Status.PUBLISHED, course__status=Status.PUBLISHED)
            .first()
        )
        return (module.course, module) if module else (None, None)
    return None, None


@csrf_exempt
@require_POST
@refuses_control_characters
def deep_link(request):
    """The instructor's pick, returned to the platform as a signed deep-linking response."""
    launch_id = request.POST.get("launch_id", "")
    course, module = _picked(request.POST.get("target", ""))
    # A pick is returned once: the launch is taken (read and deleted at once) before the
    # response is signed, so two posts of it at the same instant never both get one.
    # Picking nothing only reads it, to show the page again.
    storage = DatabaseLaunchStorage() if course is None else LaunchTakenOnRead()
    try:
        message = MessageLaunch.from_cache(
            launch_id,
            request,
            ToolConf(),
            launch_data_storage=storage,
            requests_session=PlatformSession(),
        )
        claims = message.get_launch_data()
        if not message.is_deep_link_launch() or not services.teaches(
            claims.get(services.CLAIM + "roles")
        ):
            raise LtiException("not an instructor's deep-linking launch")
        return_url = services.deep_link_return_url(claims, secure=request.is_secure())
    except (*LAUNCH_ERRORS, services.LaunchRefused) as error:
        return _refused(
            request, _("This page has expired. Start again from your course."), str(error)
        )
    if course is None:
        return _framable(_deep_link_picker(request, launch_id, _("Choose a course or a module.")))
    title = f"{course.title}: {module.title}" if module else course.title
    custom = {"course": course.slug, **({"module": module.slug} if module else {})}
    resource = (
        DeepLinkResource()
        .set_url(request.build_absolute_uri(course.get_absolute_url()))
        .set_title(title)
        .set_custom_params(custom)
        .set_lineitem(LineItem().set_label(title).set_score_maximum(100))
    )
    token = message.get_deep_link().get_response_jwt([resource])
    response = render(
        request,
        "lti/deep_link_return.html",
        {"return_url": return_url, "jwt": token, "title": title},
    )
    return _framable(response, form_to=return_url)


@teaches_course
def roster(request, course):
    """The members of the platforms' courses that open this one, and who has an account."""
    return render(
        request,
        "lti/roster.html",
        {
            "course": course,
            "contexts": roster_read.course_rosters(course=course, viewer=request.user),
        },
    )

"""Full launches from the test platform: login, signed id_token, landing page; and every
way a launch can be wrong, each refused with a page that says so (never a 500)."""

import hashlib
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from courseware.roles import INSTRUCTORS, instructors_group
from lessons.models import Status
from lessons.selectors import course_teaches
from lti import services
from lti.models import PlatformAccount, ResourceLink, TeachingContext
from lti.tests.platform import CLAIM, INSTRUCTOR, LEARNER, rsa_key
from progress.models import Enrollment
from tests.concurrency import run_at_once
from tests.factories import UserFactory, course_with_modules

pytestmark = pytest.mark.django_db

COURSE_PAGE = "http://testserver/courses/diplomacy/"

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises writers, so requests never overlap",
)


@pytest.fixture
def course(db):
    return course_with_modules(modules=2, lessons=1, slug="diplomacy", title="Military diplomacy")


def test_a_first_launch_makes_the_linked_account_enrols_it_and_lands_on_the_course(
    test_platform, course
):
    client = Client()
    response, _ = test_platform.launch(client, target=COURSE_PAGE)

    assert response.status_code == 302
    assert response["Location"] == "/courses/diplomacy/"
    account = PlatformAccount.objects.get(platform=test_platform.model, sub="moodle-user-7")
    assert account.user.get_full_name() == "Lena Marsh"
    assert not account.user.has_usable_password()
    assert Enrollment.objects.filter(learner=account.user, course=course).exists()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["user"] == account.user
    assert "Military diplomacy" in page.content.decode()


def test_a_second_launch_signs_in_the_same_account(test_platform, course):
    test_platform.launch(Client(), target=COURSE_PAGE)
    response, _ = test_platform.launch(Client(), target=COURSE_PAGE, given_name="Helena")

    assert response.status_code == 302
    assert PlatformAccount.objects.count() == 1
    assert get_user_model().objects.filter(first_name="Helena").count() == 1


def test_an_account_with_the_same_e_mail_is_never_taken_over(test_platform, course):
    existing = UserFactory(username="lena", email="lena.marsh@academy.example")
    client = Client()
    test_platform.launch(client, target=COURSE_PAGE)

    account = PlatformAccount.objects.get()
    assert account.user != existing
    assert client.get("/dashboard/").context["user"] != existing


def test_a_first_launch_goes_on_when_someone_holds_its_username(test_platform, course):
    """An account made by hand (or signed up before ``lti-`` was kept for platforms) under
    the username a platform's user would get: the launch gets another, the holder keeps
    theirs, and the next launch finds the same account."""
    digest = hashlib.sha256(f"{test_platform.model.pk}:moodle-user-7".encode()).hexdigest()
    username = f"lti-{digest[:16]}"
    holder = UserFactory(username=username)

    response, _ = test_platform.launch(Client(), target=COURSE_PAGE)

    assert response["Location"] == "/courses/diplomacy/"
    account = PlatformAccount.objects.get()
    assert account.user != holder and account.user.username.startswith(username + "-")
    assert not Enrollment.objects.filter(learner=holder).exists()
    again, _ = test_platform.launch(Client(), target=COURSE_PAGE)
    assert again.wsgi_request.user == account.user
    assert PlatformAccount.objects.count() == 1


def test_a_custom_module_parameter_lands_on_that_module(test_platform, course):
    module = course.modules.order_by("position").last()
    response, _ = test_platform.launch(
        Client(),
        target="http://testserver/lti/launch/",
        **{CLAIM + "custom": {"course": "diplomacy", "module": module.slug}},
    )
    assert response["Location"] == f"/courses/diplomacy/#module-{module.slug}"


def test_a_lesson_address_lands_on_that_lesson(test_platform, course):
    lesson = course.modules.order_by("position").first().lessons.get()
    target = f"http://testserver{lesson.get_absolute_url()}"
    response, _ = test_platform.launch(Client(), target=target)
    assert response["Location"] == lesson.get_absolute_url()


def _instructor_launch(test_platform, client=None, **overrides):
    return test_platform.launch(
        client or Client(), target=COURSE_PAGE, **{CLAIM + "roles": [INSTRUCTOR]}, **overrides
    )[0]


def test_an_instructor_of_a_platform_allowed_to_teach_the_course_lands_teaching_it(
    test_platform, course
):
    test_platform.model.courses_taught.add(course)
    instructors_group()
    client = Client()
    with CaptureQueriesContext(connection) as launched:
        response = _instructor_launch(test_platform, client)

    assert response["Location"] == "/teach/diplomacy/"
    # The group is there: taken as it is, its permissions not rebuilt on every launch.
    assert not [q for q in launched.captured_queries if "auth_permission" in q["sql"]]
    user = PlatformAccount.objects.get().user
    assert course_teaches(user=user, course=course)
    assert user.groups.filter(name=INSTRUCTORS).exists()
    assert not Enrollment.objects.filter(learner=user).exists()
    assert client.get("/teach/diplomacy/").status_code == 200
    other = course_with_modules(modules=1, lessons=1, slug="other")
    assert not course_teaches(user=user, course=other)


LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.mark.parametrize(
    "role, teaching",
    [
        (INSTRUCTOR, True),
        (LIS + "membership#ContentDeveloper", True),
        (LIS + "membership#Administrator", True),
        (LIS + "membership/Instructor#TeachingAssistant", True),
        ("Instructor", True),  # a context role's short name (LTI 1.3 §A.2.3, deprecated)
        (LEARNER, False),
        (LIS + "membership/Learner#Instructor", False),  # a kind of learner
        (LIS + "institution/person#Instructor", False),  # teaches somewhere on the platform
        (LIS + "institution/person#Administrator", False),
        (LIS + "system/person#Administrator", False),
        ("urn:lti:instrole:ims/lis/Instructor", False),
        ("https://example.org/roles#Instructor", False),
    ],
)
def test_only_a_role_in_the_platforms_course_teaches(role, teaching):
    assert services.teaches([role]) is teaching


@pytest.mark.parametrize("visiting", ["GuestInstructor", "ExternalInstructor"])
def test_a_guest_or_external_instructor_is_given_no_course_to_teach(
    test_platform, course, visiting
):
    test_platform.model.courses_taught.add(course)
    client = Client()
    # The principal role beside the sub-role, as LTI 1.3 §A.2.3.1 asks platforms to send it.
    response, _ = test_platform.launch(
        client,
        target=COURSE_PAGE,
        **{CLAIM + "roles": [INSTRUCTOR, LIS + f"membership/Instructor#{visiting}"]},
    )

    assert response.status_code == 403
    _refused_page(response, "Guest and external instructors")
    assert not get_user_model().objects.filter(is_staff=True).exists()
    assert not course.instructors.exists() and not Enrollment.objects.exists()
    assert not TeachingContext.objects.exists()  # no roster of the class either
    assert client.get("/teach/diplomacy/").status_code in (302, 403)


def test_a_teaching_launch_keeps_the_class_taught(test_platform, course):
    test_platform.model.courses_taught.add(course)
    _instructor_launch(test_platform)
    _instructor_launch(test_platform)

    taught = TeachingContext.objects.get()
    assert (taught.account.sub, taught.context_id) == ("moodle-user-7", "context-1")
    assert taught.last_launched_at > taught.first_launched_at


def test_a_learner_of_the_class_who_teaches_elsewhere_on_the_platform_is_a_learner(
    test_platform, course
):
    test_platform.model.courses_taught.add(course)
    client = Client()
    response, _ = test_platform.launch(
        client,
        target=COURSE_PAGE,
        **{CLAIM + "roles": [LEARNER, LIS + "institution/person#Instructor"]},
    )

    assert response["Location"] == "/courses/diplomacy/"
    user = PlatformAccount.objects.get().user
    assert Enrollment.objects.filter(learner=user, course=course).exists()
    assert not course_teaches(user=user, course=course) and not user.is_staff
    assert client.get("/teach/diplomacy/").status_code in (302, 403)


def _no_rights(response, client):
    """Refused with the reason, and nothing of the instructor area open to the launcher."""
    _refused_page(response, "must allow this platform")
    assert not get_user_model().objects.filter(is_staff=True).exists()
    assert not Group.objects.filter(user__isnull=False).exists()
    assert client.get("/teach/diplomacy/").status_code in (302, 403)
    assert client.get("/admin/").status_code == 302  # to the login page


def test_an_instructor_of_a_platform_not_allowed_to_teach_the_course_gets_no_right_on_it(
    test_platform, course
):
    client = Client()
    response = _instructor_launch(test_platform, client)

    assert response.status_code == 403
    _no_rights(response, client)
    assert not course.instructors.exists()
    assert not Enrollment.objects.exists()  # not made a learner either


def test_an_instructor_cannot_name_another_course_than_the_one_the_platform_may_teach(
    test_platform, course
):
    allowed = course_with_modules(modules=1, lessons=1, slug="allowed")
    test_platform.model.courses_taught.add(allowed)
    client = Client()
    response = _instructor_launch(
        test_platform,
        client,
        **{CLAIM + "custom": {"course": "diplomacy"}},  # edited in the platform by a teacher
    )

    _no_rights(response, client)
    assert not course.instructors.exists()


def test_one_who_already_teaches_the_course_goes_on_teaching_it_without_the_platforms_leave(
    test_platform, course
):
    test_platform.model.courses_taught.add(course)
    _instructor_launch(test_platform)
    test_platform.model.courses_taught.clear()  # the administrator takes the leave back
    client = Client()
    response = _instructor_launch(test_platform, client)

    assert response["Location"] == "/teach/diplomacy/"
    assert client.get("/teach/diplomacy/").status_code == 200


@pytest.mark.parametrize("roles", [[LEARNER], [INSTRUCTOR]], ids=["learner", "instructor"])
def test_a_draft_course_is_not_on_courseware(test_platform, course, roles):
    test_platform.model.courses_taught.add(course)
    course.status = Status.DRAFT
    course.save(update_fields=["status"])
    response, _ = test_platform.launch(Client(), target=COURSE_PAGE, **{CLAIM + "roles": roles})
    _refused(response, "not on Courseware")
    assert not course.instructors.exists()


def test_a_draft_module_is_not_in_the_course(test_platform, course):
    module = course.modules.order_by("position").last()
    module.status = Status.DRAFT
    module.save(update_fields=["status"])
    response, _ = test_platform.launch(
        Client(),
        target="http://testserver/lti/launch/",
        **{CLAIM + "custom": {"course": "diplomacy", "module": module.slug}},
    )
    _refused(response, "not in the course")


def _framed_launch(test_platform):
    response, _ = test_platform.launch(
        Client(), target=COURSE_PAGE, headers={"Sec-Fetch-Dest": "iframe"}
    )
    assert response.status_code == 200
    return response


OWN_ORIGIN = {"Origin": "http://testserver"}


def test_a_launch_inside_a_frame_opens_courseware_in_a_window_of_its_own(test_platform, course):
    response = _framed_launch(test_platform)
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    ticket = response.context["url"]
    assert f'<form method="post" action="{ticket}" target="_blank">' in response.content.decode()

    window = Client()
    opened = window.post(ticket, headers=OWN_ORIGIN)  # the frame's button
    assert opened.status_code == 302 and opened["Location"] == "/courses/diplomacy/"
    assert window.get("/courses/diplomacy/").context["user"] == PlatformAccount.objects.get().user
    assert Client().post(ticket, headers=OWN_ORIGIN).status_code == 410  # used once


@pytest.mark.parametrize(
    "opened, status",
    [
        (lambda client, ticket: client.get(ticket), 410),  # the link, sent to someone
        (lambda client, ticket: client.post(ticket), 403),  # no Origin: not a browser's form
        # Another site's form, to sign a victim into the launcher's account.
        (
            lambda client, ticket: client.post(ticket, headers={"Origin": "https://evil.example"}),
            403,
        ),
    ],
    ids=["link", "no origin", "another site"],
)
def test_a_framed_launchs_ticket_opens_only_from_its_own_page(
    test_platform, course, opened, status
):
    ticket = _framed_launch(test_platform).context["url"]
    stranger = Client()

    response = opened(stranger, ticket)

    _refused_page(response, "Open the activity again from your course")
    assert response.status_code == status
    assert stranger.get("/dashboard/").status_code == 302  # to the login page: nobody
    # The launcher's own button still works: the ticket was not used up.
    assert Client().post(ticket, headers=OWN_ORIGIN).status_code == 302


def _refused_page(response, words: str):
    assert 400 <= response.status_code < 500, response.status_code
    page = response.content.decode()
    assert "Courseware could not open this activity" in page
    assert words in page
    assert "_auth_user_id" not in response.wsgi_request.session  # nobody signed in


def _refused(response, words: str):
    _refused_page(response, words)
    assert not PlatformAccount.objects.exists()
    assert not Enrollment.objects.exists()


def test_an_unknown_platform_is_refused(test_platform, course):
    response = test_platform.login(Client(), target=COURSE_PAGE, client_id="someone-else")
    _refused(response, "not registered with Courseware")


def test_a_token_for_another_client_is_refused(test_platform, course):
    response, _ = test_platform.launch(Client(), target=COURSE_PAGE, aud="someone-else")
    _refused(response, "could not be verified")


def test_a_token_from_an_unknown_issuer_is_refused(test_platform, course):
    response, _ = test_platform.launch(Client(), target=COURSE_PAGE, iss="https://forged.example")
    _refused(response, "could not be verified")


def test_an_expired_token_is_refused(test_platform, course):
    long_ago = int(time.time()) - 3600
    response, _ = test_platform.launch(
        Client(), target=COURSE_PAGE, iat=long_ago, exp=long_ago + 300
    )
    _refused(response, "expired")


def test_a_token_without_an_expiry_is_refused(test_platform, course):
    response, _ = test_platform.launch(Client(), target=COURSE_PAGE, exp=None)
    _refused(response, "exp")


def test_a_replayed_token_is_refused(test_platform, course):
    client = Client()
    first, posted = test_platform.launch(client, target=COURSE_PAGE)
    assert first.status_code == 302

    _refused_page(Client(cookies=client.cookies).post("/lti/launch/", posted), "Invalid Nonce")


def test_a_token_signed_with_another_key_is_refused(test_platform, course):
    stranger = rsa_key()
    response, _ = test_platform.launch(
        Client(), target=COURSE_PAGE, sign=lambda claims: test_platform.sign(claims, key=stranger)
    )
    _refused(response, "Signature verification failed")


def test_a_token_for_another_deployment_is_refused(test_platform, course):
    response, _ = test_platform.launch(
        Client(), target=COURSE_PAGE, **{CLAIM + "deployment_id": "deployment-9"}
    )
    _refused(response, "deployment")


def test_a_launch_without_the_login_state_is_refused(test_platform, course):
    client = Client()
    answer = test_platform.login(client, target=COURSE_PAGE)
    nonce = answer["Location"].split("nonce=")[1].split("&")[0]
    token = test_platform.sign(test_platform.claims(nonce=nonce, target=COURSE_PAGE))
    stranger = Client()  # another browser: no state cookie
    _refused(stranger.post("/lti/launch/", {"id_token": token, "state": "state-1"}), "State")


@pytest.mark.parametrize(
    "posted",
    [{}, {"id_token": "not.a.jwt", "state": "x"}, {"id_token": "a.b", "state": "x"}],
    ids=["nothing", "garbage", "two parts"],
)
def test_garbage_is_refused_with_a_page(test_platform, course, posted):
    client = Client()
    test_platform.login(client, target=COURSE_PAGE)
    response = client.post("/lti/launch/", posted)
    assert response.status_code == 403
    assert "Courseware could not open this activity" in response.content.decode()


def _signed(**claims):
    return lambda platform, client: platform.launch(client, target=COURSE_PAGE, **claims)[0]


# Every way a control character reaches the tool, with or without a platform's signature.
# PostgreSQL refuses NUL in text and \u0000 in JSON: each was a 500 there.
@pytest.mark.parametrize(
    "send",
    [
        lambda platform, client: client.get("/lti/login/", {"iss": "\x00", "login_hint": "x"}),
        lambda platform, client: client.post("/lti/login/", {"iss": platform.issuer + "\x00"}),
        lambda platform, client: client.post(
            "/lti/launch/", {"id_token": "a.b.c", "state": "\x00"}
        ),
        lambda platform, client: client.post("/lti/deep-link/", {"launch_id": "\x00"}),
        lambda platform, client: client.post(
            "/lti/launch/%00/", headers={"Origin": "http://testserver"}
        ),
        _signed(given_name="Le\x00na"),
        _signed(sub="moodle-user-\x00"),
        _signed(iss="\x00"),
        _signed(**{CLAIM + "deployment_id": "\x00"}),
        _signed(**{CLAIM + "context": {"id": "context-1", "title": "Staff\x1b course"}}),
        _signed(**{CLAIM + "custom": {"course\x00": "diplomacy"}}),
        _signed(family_name="Lovelace\ud800"),
    ],
    ids=[
        "login issuer",
        "login posted",
        "launch state",
        "deep-link launch id",
        "ticket",
        "given name",
        "sub",
        "signed issuer",
        "deployment",
        "context title escape",
        "custom parameter name",
        "lone surrogate",
    ],
)
def test_a_control_character_anywhere_is_refused_with_a_page(test_platform, course, send):
    response = send(test_platform, Client())

    assert response.status_code == 400
    _refused(response, "invisible control character")


LONG = "u" * 255


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": LONG + "1"},
        {CLAIM + "resource_link": {"id": LONG + "1"}},
        {CLAIM + "context": {"id": LONG + "1", "title": "Staff course"}},
    ],
    ids=["sub", "resource link", "context"],
)
def test_an_identifier_longer_than_255_characters_is_refused_not_cut(
    test_platform, course, claims
):
    """Cut, two users (or links) sharing their first 255 characters would be one."""
    response, _ = test_platform.launch(Client(), target=COURSE_PAGE, **claims)

    _refused(response, "identifier longer than Courseware can keep")
    assert not ResourceLink.objects.exists()


def test_identifiers_of_255_characters_are_kept_whole(test_platform, course):
    test_platform.launch(
        Client(), target=COURSE_PAGE, sub=LONG, **{CLAIM + "resource_link": {"id": LONG}}
    )
    assert PlatformAccount.objects.get().sub == LONG
    assert ResourceLink.objects.get().resource_link_id == LONG


def test_a_platform_whose_keys_cannot_be_fetched_is_refused(test_platform, course):
    test_platform.down = True
    response, _ = test_platform.launch(Client(), target=COURSE_PAGE)
    _refused(response, "could not be verified")


def test_an_activity_naming_no_course_is_refused(test_platform, course):
    response, _ = test_platform.launch(Client(), target="http://testserver/courses/nowhere/")
    _refused(response, "not on Courseware")


def test_the_tool_publishes_its_public_key_only(client):
    keys = client.get("/lti/jwks/").json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and keys[0]["kid"]
    assert "d" not in keys[0]  # no private part
    assert client.get("/lti/jwks/").json() == {"keys": keys}  # made once


def test_a_closed_account_is_not_signed_in(test_platform, course):
    test_platform.launch(Client(), target=COURSE_PAGE)
    PlatformAccount.objects.get().user.__class__.objects.update(is_active=False)
    response, _ = test_platform.launch(Client(), target=COURSE_PAGE)
    _refused_page(response, "This Courseware account is closed.")


def test_a_malformed_address_names_no_course(test_platform, course):
    response, _ = test_platform.launch(Client(), target="https://[x/")
    _refused(response, "does not name a Courseware course")


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_first_launches_at_once_make_one_account(test_platform, course, monkeypatch):
    claims = test_platform.claims(nonce="n", target=COURSE_PAGE)
    record = services.link_record

    def slow_link_record(**kwargs):
        time.sleep(0.3)  # every other launch looks for the account before this one commits
        return record(**kwargs)

    monkeypatch.setattr(services, "link_record", slow_link_record)

    results, errors = run_at_once(
        lambda: services.launch_accept(platform=test_platform.model, claims=claims)
    )

    assert errors == []
    account = PlatformAccount.objects.get()
    assert {user for user, _path in results} == {account.user}
    assert Enrollment.objects.get().learner == account.user


def test_an_address_of_another_site_names_no_course(test_platform, course):
    response, _ = test_platform.launch(
        Client(), target="http://testserver//evil.example/courses/diplomacy/"
    )
    _refused(response, "does not name a Courseware course")


def test_claims_of_the_wrong_shape_are_read_as_missing(test_platform, course):
    response, _ = test_platform.launch(
        Client(),
        target=COURSE_PAGE,
        given_name=["Lena"],
        **{
            CLAIM + "custom": "course=diplomacy",
            CLAIM + "context": ["context-1"],
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": "all",
                "lineitem": 7,
            },
        },
    )
    assert response["Location"] == "/courses/diplomacy/"
    assert PlatformAccount.objects.get().user.first_name == ""

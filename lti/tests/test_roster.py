"""Names and Role Provisioning: the platform's roster on the instructor's pages."""

import pytest
from django.test import Client

from courseware.roles import instructors_group
from lti.models import PlatformAccount
from lti.tests.platform import CLAIM, INSTRUCTOR, LEARNER, TestPlatform
from lti.tool import tool_jwks
from tests.factories import UserFactory, course_with_modules, make_instructor

pytestmark = pytest.mark.django_db

COURSE_PAGE = "http://testserver/courses/diplomacy/"


@pytest.fixture
def course(db):
    return course_with_modules(modules=1, lessons=1, slug="diplomacy")


def _member(sub, name, role=LEARNER):
    return {"user_id": sub, "name": name, "email": f"{sub}@academy.example", "roles": [role]}


@pytest.fixture
def instructor(test_platform, course):
    test_platform.launch(Client(), target=COURSE_PAGE)  # moodle-user-7 launches as a learner
    test_platform.model.courses_taught.add(course)
    client = Client()
    test_platform.launch(
        client, target=COURSE_PAGE, sub="moodle-teacher-1", **{CLAIM + "roles": [INSTRUCTOR]}
    )
    return client


@pytest.mark.parametrize("others", [1, 30])
def test_the_roster_lists_the_platforms_members_and_who_has_an_account(
    test_platform, instructor, django_assert_num_queries, others
):
    test_platform.members = [
        _member("moodle-user-7", "Lena Marsh"),
        _member("moodle-teacher-1", "Ada Ruiz", INSTRUCTOR),
        *(_member(f"moodle-user-{100 + n}", f"Sam Okafor {n:02}") for n in range(others)),
    ]
    # Session, user, course, teaching; the links; accounts and enrolments of the context.
    with django_assert_num_queries(7):
        page = instructor.get("/teach/diplomacy/roster/")

    assert page.status_code == 200
    members = {m.name: m for roster in page.context["contexts"] for m in roster.members}
    assert len(members) == 2 + others
    assert members["Lena Marsh"].enrolled
    assert members["Ada Ruiz"].user is not None and not members["Ada Ruiz"].enrolled
    assert members["Sam Okafor 00"].user is None
    text = page.content.decode()
    assert "Staff course 2026" in text and "Yes, enrolled" in text and "Not yet" in text


def test_a_platform_that_does_not_answer_leaves_the_page_with_a_warning(test_platform, instructor):
    test_platform.down = True
    page = instructor.get("/teach/diplomacy/roster/")
    assert page.status_code == 200
    assert "The platform did not give its roster" in page.content.decode()


def test_members_of_the_wrong_shape_are_left_out(test_platform, instructor):
    test_platform.members = [
        "moodle-user-7",
        {"name": "No id"},
        {**_member("moodle-user-9", ""), "name": ["Sam"], "roles": "Learner"},
    ]
    page = instructor.get("/teach/diplomacy/roster/")
    assert page.status_code == 200
    [roster] = page.context["contexts"]
    assert [m.name for m in roster.members] == ["moodle-user-9"]


@pytest.fixture
def evening_class(test_platform, instructor):
    """Another class of the same platform, whose activity opens the same course, and its
    teacher's client."""
    client = Client()
    test_platform.launch(
        client,
        target=COURSE_PAGE,
        sub="moodle-teacher-2",
        **{
            CLAIM + "roles": [INSTRUCTOR],
            CLAIM + "resource_link": {"id": "resource-link-2"},
            CLAIM + "context": {"id": "context-2", "title": "Evening class 2026"},
        },
    )
    return client


def test_a_teacher_sees_the_roster_of_their_class_not_of_another_class_of_the_platform(
    test_platform, instructor, evening_class
):
    test_platform.members = [_member("moodle-user-7", "Lena Marsh")]

    assert _rosters(instructor) == ["Staff course 2026"]
    assert _rosters(evening_class) == ["Evening class 2026"]
    superuser = Client()
    superuser.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert sorted(_rosters(superuser)) == ["Evening class 2026", "Staff course 2026"]


def test_a_learner_of_a_class_who_teaches_on_courseware_sees_no_roster_of_it(
    test_platform, instructor, course
):
    learner = PlatformAccount.objects.get(sub="moodle-user-7").user
    learner.is_staff = True
    learner.save()
    learner.groups.add(instructors_group())
    course.instructors.add(learner)  # made an instructor on Courseware, not on the platform
    client = Client()
    client.force_login(learner)

    assert _rosters(client) == []


@pytest.fixture
def other_platform(db, course):
    """Another institution's platform, whose class opens the same course."""
    platform = TestPlatform()
    platform.model = platform.register()
    platform.tool_jwks = tool_jwks()
    platform.members = [_member("canvas-user-1", "Noor Haddad")]
    platform.launch(
        Client(),
        target=COURSE_PAGE,
        sub="canvas-user-1",
        **{CLAIM + "context": {"id": "canvas-class", "title": "Canvas class 2026"}},
    )
    yield platform
    platform.stop()


def _rosters(client) -> list[str]:
    page = client.get("/teach/diplomacy/roster/")
    assert page.status_code == 200
    return [roster.title for roster in page.context["contexts"]]


def test_an_instructor_sees_the_rosters_of_their_own_platform_only(
    test_platform, instructor, other_platform
):
    test_platform.members = [_member("moodle-user-7", "Lena Marsh")]

    assert _rosters(instructor) == ["Staff course 2026"]
    assert "Noor Haddad" not in instructor.get("/teach/diplomacy/roster/").content.decode()


def test_an_instructor_made_on_courseware_sees_no_platforms_roster(
    test_platform, instructor, other_platform, course
):
    teacher = make_instructor("ines")
    course.instructors.add(teacher)
    client = Client()
    client.force_login(teacher)

    assert _rosters(client) == []


def test_a_superuser_sees_every_platforms_roster(test_platform, instructor, other_platform):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    assert sorted(_rosters(client)) == ["Canvas class 2026", "Staff course 2026"]

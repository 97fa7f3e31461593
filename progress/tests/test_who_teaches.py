"""The admin, the instructor area and the reading preview agree on who teaches a course."""

import pytest
from django.urls import reverse

from lessons.models import Status
from tests.factories import UserFactory, course_with_modules, make_instructor

pytestmark = pytest.mark.django_db


def opens(client, user, course) -> dict[str, bool]:
    """Whether ``user`` gets each teaching page of the draft ``course``."""
    client.force_login(user)
    pages = {
        "admin": reverse("admin:lessons_course_change", args=[course.pk]),
        "instructor area": reverse("teach_course", args=[course.slug]),
        "reading preview": f"{course.get_absolute_url()}?preview=1",
    }
    return {place: client.get(url).status_code == 200 for place, url in pages.items()}


def listed_instructor(course, **fields):
    user = make_instructor("listed")
    for name, value in fields.items():
        setattr(user, name, value)
    user.save()
    course.instructors.add(user)
    return user


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("staff instructor of the course", True),
        ("superuser", True),
        ("staff instructor of another course", False),
        ("listed as instructor, not staff", False),
    ],
)
def test_the_three_teaching_places_agree(client, who, allowed):
    course = course_with_modules(modules=1, lessons=1, status=Status.DRAFT)
    if who == "staff instructor of the course":
        user = listed_instructor(course)
    elif who == "superuser":
        user = UserFactory(is_staff=True, is_superuser=True)
    elif who == "staff instructor of another course":
        user = make_instructor("other")
        course_with_modules(modules=1, lessons=1).instructors.add(user)
    else:
        user = listed_instructor(course, is_staff=False)

    assert opens(client, user, course) == {
        "admin": allowed,
        "instructor area": allowed,
        "reading preview": allowed,
    }

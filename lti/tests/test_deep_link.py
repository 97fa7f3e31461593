"""Deep Linking: the platform's instructor picks a course or module; the tool answers with
a signed response the platform can check against the tool's published key."""

import jwt
import pytest
from django.db import connection
from django.test import Client

from lti import services
from lti.tests.platform import CLAIM, DL, LEARNER
from lti.tool import tool_jwks
from tests.concurrency import run_at_once
from tests.factories import course_with_modules

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises writers, so requests never overlap",
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(db):
    return course_with_modules(modules=2, lessons=1, slug="diplomacy", title="Military diplomacy")


def test_an_instructor_picks_a_module_and_the_platform_gets_a_signed_link(test_platform, course):
    client = Client()
    picker = test_platform.deep_link_launch(client)
    assert picker.status_code == 200
    assert "X-Frame-Options" not in picker  # shown in the platform's frame
    page = picker.content.decode()
    module = course.modules.order_by("position").last()
    assert "Military diplomacy" in page and f"Module: {module.title}" in page

    returned = client.post(
        "/lti/deep-link/",
        {"launch_id": picker.context["launch_id"], "target": f"module:{module.pk}"},
    )

    assert returned.status_code == 200
    assert f"{test_platform.url}/deep-links/return" in returned.content.decode()
    assert f"form-action 'self' {test_platform.url}" in returned["Content-Security-Policy"]
    token = returned.context["jwt"]
    key = jwt.PyJWKSet.from_dict(tool_jwks()).keys[0]
    assert jwt.get_unverified_header(token)["kid"] == key.key_id
    message = jwt.decode(token, key.key, algorithms=["RS256"], audience=test_platform.issuer)
    assert message["iss"] == test_platform.client_id
    assert message[CLAIM + "message_type"] == "LtiDeepLinkingResponse"
    assert message[CLAIM + "deployment_id"] == test_platform.deployment_id
    assert message[DL + "data"] == "platform-opaque-7"
    [item] = message[DL + "content_items"]
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == "http://testserver/courses/diplomacy/"
    assert item["custom"] == {"course": "diplomacy", "module": module.slug}
    assert item["lineItem"]["scoreMaximum"] == 100
    assert item["title"] == f"Military diplomacy: {module.title}"

    again = client.post(
        "/lti/deep-link/",
        {"launch_id": picker.context["launch_id"], "target": f"module:{module.pk}"},
    )
    assert again.status_code == 403  # a pick is returned once


def test_a_pick_of_nothing_shows_the_page_again(test_platform, course):
    client = Client()
    picker = test_platform.deep_link_launch(client)
    again = client.post("/lti/deep-link/", {"launch_id": picker.context["launch_id"]})
    assert again.status_code == 400
    assert "Choose a course or a module." in again.content.decode()


def test_a_learner_cannot_add_an_activity(test_platform, course):
    response = test_platform.deep_link_launch(Client(), roles=(LEARNER,))
    assert response.status_code == 403
    assert "Only instructors can add Courseware" in response.content.decode()


def test_a_learner_of_the_course_who_teaches_elsewhere_cannot_add_an_activity(
    test_platform, course
):
    institution = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"
    response = test_platform.deep_link_launch(Client(), roles=(LEARNER, institution))
    assert response.status_code == 403
    assert "Only instructors can add Courseware" in response.content.decode()


def test_a_made_up_launch_id_is_refused(client):
    response = client.post(
        "/lti/deep-link/", {"launch_id": "lti1p3-launch-x", "target": "course:1"}
    )
    assert response.status_code == 403
    assert "This page has expired" in response.content.decode()


@pytest.mark.parametrize("target", ["course:²", "module:١", "course:" + "9" * 30, "course:-1"])
def test_a_pick_that_is_not_a_number_is_refused_without_a_page_error(client, target):
    response = client.post("/lti/deep-link/", {"launch_id": "lti1p3-launch-x", "target": target})
    assert response.status_code == 403
    assert "This page has expired" in response.content.decode()


@pytest.mark.parametrize("courses", [1, 3])
def test_the_picker_reads_the_courses_and_their_modules_at_once(
    test_platform, course, courses, django_assert_num_queries
):
    for n in range(1, courses):
        course_with_modules(modules=3, lessons=1, slug=f"course-{n}")
    client = Client()
    picker = test_platform.deep_link_launch(client)
    # The launch kept, its platform, the tool's key; the courses, their modules.
    with django_assert_num_queries(5):
        again = client.post("/lti/deep-link/", {"launch_id": picker.context["launch_id"]})
    # Each course, and each of its modules: 2 in the first, 3 in the others.
    assert again.content.decode().count('name="target"') == 3 + 4 * (courses - 1)


@pytest.mark.parametrize(
    "return_url",
    [None, 7, "javascript:alert(1)", "ftp://platform.example/return", "https://[x/"],
    ids=["missing", "a number", "javascript", "ftp", "malformed"],
)
def test_a_platform_giving_no_address_to_return_the_pick_to_is_refused_at_once(
    test_platform, course, return_url
):
    response = test_platform.deep_link_launch(Client(), deep_link_return_url=return_url)
    assert response.status_code == 403
    assert "gave no valid address to add the activity to" in response.content.decode()
    assert "launch_id" not in (response.context or {})  # no picker shown


def test_an_http_return_address_is_refused_when_courseware_is_on_https():
    claims = {services.DEEP_LINKING_CLAIM: {"deep_link_return_url": "http://moodle.example/r"}}
    assert services.deep_link_return_url(claims, secure=False) == "http://moodle.example/r"
    with pytest.raises(services.LaunchRefused):
        services.deep_link_return_url(claims, secure=True)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_pick_posted_twice_at_once_is_signed_once(test_platform, course):
    client = Client()
    picker = test_platform.deep_link_launch(client)
    pick = {"launch_id": picker.context["launch_id"], "target": f"course:{course.pk}"}

    responses, errors = run_at_once(lambda: Client().post("/lti/deep-link/", pick))

    assert errors == []
    assert sorted(response.status_code for response in responses) == [200, 403, 403, 403]

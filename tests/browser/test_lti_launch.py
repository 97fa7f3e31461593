"""A launch from a learning platform in a real browser: the platform's page posts the
login, the tool sends the browser back to the platform, which posts its signed id_token;
the learner lands on the course, signed in and enrolled."""

import pytest
from playwright.sync_api import expect

from lti.models import PlatformAccount
from lti.tests.platform import TestPlatform
from lti.tool import tool_jwks
from progress.models import Enrollment

pytestmark = pytest.mark.browser


@pytest.fixture
def platform(live_server):
    platform = TestPlatform(host="localhost")  # the live server's site: see docs/lti.md
    platform.model = platform.register()
    platform.tool_jwks = tool_jwks()
    platform.tool_url = live_server.url
    yield platform
    platform.stop()


def test_a_learner_launched_from_the_platform_lands_on_the_course_signed_in(
    page, course, platform, live_server
):
    page.goto(platform.start_url(f"{live_server.url}{course.get_absolute_url()}"))

    page.wait_for_url(f"{live_server.url}{course.get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(course.title)
    expect(page.get_by_role("navigation").first).to_contain_text("Lena")
    learner = PlatformAccount.objects.get(platform=platform.model).user
    assert Enrollment.objects.filter(learner=learner, course=course).exists()


def test_a_launch_in_the_platforms_frame_opens_courseware_in_a_window_by_its_button(
    page, course, platform, live_server
):
    page.goto(platform.start_url(f"{live_server.url}{course.get_absolute_url()}", framed=True))
    frame = page.frame_locator("iframe")
    button = frame.get_by_role("button", name="Open Courseware")

    with page.expect_popup() as opened:
        button.click()
    window = opened.value

    window.wait_for_url(f"{live_server.url}{course.get_absolute_url()}")
    expect(window.get_by_role("heading", level=1)).to_contain_text(course.title)
    expect(window.get_by_role("navigation").first).to_contain_text("Lena")
    # The button's ticket is used up: a second click opens nothing.
    with page.expect_popup() as again:
        button.click()
    expect(again.value.get_by_role("heading", level=1)).to_contain_text(
        "Courseware could not open this activity"
    )

import pytest
from django.core.management import CommandError, call_command

from lti.models import Platform, ToolKey
from tests.factories import course_with_modules

pytestmark = pytest.mark.django_db

MOODLE = [
    "--issuer=https://moodle.example.org",
    "--client-id=a1b2c3",
    "--deployment-id=1",
    "--auth-login-url=https://moodle.example.org/mod/lti/auth.php",
    "--auth-token-url=https://moodle.example.org/mod/lti/token.php",
    "--keyset-url=https://moodle.example.org/mod/lti/certs.php",
]


def test_a_platform_is_registered_with_its_deployments_and_the_tool_gets_its_key(capsys):
    call_command("lti_add_platform", *MOODLE, "--deployment-id=2", "--name=Academy Moodle")

    platform = Platform.objects.get()
    assert str(platform) == "Academy Moodle"
    assert sorted(platform.deployments.values_list("deployment_id", flat=True)) == ["1", "2"]
    assert ToolKey.objects.count() == 1
    out = capsys.readouterr().out
    assert "/lti/login/" in out and "/lti/launch/" in out and "/lti/jwks/" in out
    assert "PRIVATE" not in out


def test_registering_again_updates_the_platform_and_adds_deployments():
    call_command("lti_add_platform", *MOODLE, "--name=Academy Moodle")
    call_command(
        "lti_add_platform",
        *MOODLE[:-1],
        "--keyset-url=https://moodle.example.org/k",
        "--deployment-id=3",
    )

    platform = Platform.objects.get()
    assert platform.keyset_url == "https://moodle.example.org/k"
    assert platform.name == "Academy Moodle"  # left out: kept
    assert sorted(platform.deployments.values_list("deployment_id", flat=True)) == ["1", "3"]


def test_a_wrong_address_is_refused_and_nothing_is_written():
    with pytest.raises(CommandError, match="keyset_url"):
        call_command("lti_add_platform", *MOODLE[:-1], "--keyset-url=not a url")
    assert not Platform.objects.exists()


def test_the_courses_a_platforms_instructors_may_teach_are_named_by_slug(capsys):
    course_with_modules(modules=1, lessons=1, slug="diplomacy")
    call_command("lti_add_platform", *MOODLE, "--teaches=diplomacy")

    assert list(Platform.objects.get().courses_taught.values_list("slug", flat=True)) == [
        "diplomacy"
    ]
    assert "may teach: diplomacy" in capsys.readouterr().out
    with pytest.raises(CommandError, match="nowhere"):
        call_command("lti_add_platform", *MOODLE, "--teaches=nowhere")

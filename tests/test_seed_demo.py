import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from assessments.course_io import course_import
from courseware.roles import INSTRUCTORS
from progress.management.commands.seed_demo import DEMO_ACCOUNTS
from tests.test_shipped_course import COURSE_FOLDER

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_an_instructor_of_the_course_and_a_learner(settings, capsys):
    settings.DEBUG = True
    course, _ = course_import(COURSE_FOLDER)

    call_command("seed_demo")

    printed = capsys.readouterr().out
    logging_in = RequestFactory().post("/accounts/login/")  # the login lock-out wants one
    for username, (password, *_rest) in DEMO_ACCOUNTS.items():
        assert password in printed
        assert authenticate(logging_in, username=username, password=password) is not None
    instructor = get_user_model().objects.get(username="instructor")
    assert instructor.is_staff and instructor.groups.filter(name=INSTRUCTORS).exists()
    assert instructor.has_perm("lessons.change_lesson")
    assert not instructor.has_perm("progress.change_lessoncompletion")
    assert list(course.instructors.all()) == [instructor]
    assert not get_user_model().objects.get(username="learner").is_staff


def test_seed_demo_refuses_to_run_in_production(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="local use only"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()


def test_no_account_exists_after_migrations_alone():
    assert not get_user_model().objects.exists()

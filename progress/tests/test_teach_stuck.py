"""The instructor's list of learners stuck at a quiz, and "Grant one more attempt"."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from assessments.models import Attempt, Quiz, QuizOverride
from assessments.selectors import quiz_is_closed
from assessments.services import AttemptLimitReached, quiz_override_grant
from progress import cohort
from progress.selectors import course_progress_for_learner
from progress.services import enrollment_create, quiz_attempt_start
from tests.factories import UserFactory, course_with_modules, make_instructor

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    course = course_with_modules(modules=2, lessons=1, sequential=True, title="Diplomacy")
    Quiz.objects.filter(course=course).update(max_attempts=2)
    return course


@pytest.fixture
def first_quiz(course):
    return Quiz.objects.get(course=course, module__position=1)


@pytest.fixture
def instructor(course):
    user = UserFactory(is_staff=True, first_name="Ines", last_name="Instructor")
    course.instructors.add(user)
    return user


@pytest.fixture
def fail_out(first_quiz, take_quiz, now):
    """A learner enrolled in the course who failed the first quiz as often as allowed."""

    def fail(name):
        learner = UserFactory(first_name=name, last_name="Learner")
        enrollment_create(learner=learner, course=first_quiz.course)
        for _ in range(2):
            take_quiz(learner, first_quiz, now=now, right=False)
        return learner

    return fail


def stuck_page(client, course):
    return client.get(reverse("teach_stuck", args=[course.slug]))


def grant_url(course, quiz, learner):
    return reverse("teach_attempt_grant", args=[course.slug, quiz.slug, learner.pk])


def test_the_stuck_list_names_who_is_out_of_attempts_and_not_passed(
    client, course, first_quiz, instructor, fail_out, take_quiz, complete_module, now
):
    fail_out("Sam")
    # Failed once, one attempt left; failed once then passed: neither is stuck.
    trying = UserFactory(first_name="Tess")
    enrollment_create(learner=trying, course=course)
    take_quiz(trying, first_quiz, now=now, right=False)
    passed = UserFactory(first_name="Pat")
    enrollment_create(learner=passed, course=course)
    take_quiz(passed, first_quiz, now=now, right=False)
    take_quiz(passed, first_quiz, now=now)
    client.force_login(instructor)

    page = stuck_page(client, course).content.decode()

    assert "Sam Learner" in page
    assert first_quiz.title in page
    assert "Tess" not in page and "Pat" not in page
    assert page.count("Grant one more attempt</button>") == 1


def test_granting_one_more_attempt_lets_the_learner_retake_and_go_on(
    client, course, first_quiz, instructor, fail_out, take_quiz, complete_module, now
):
    sam = fail_out("Sam")
    module = first_quiz.module
    assert course_progress_for_learner(learner=sam, course=course).modules[1].state == "locked"
    client.force_login(instructor)

    response = client.post(grant_url(course, first_quiz, sam), {"reason": "Ill on the day"})

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Sam Learner may now make one more attempt" in page
    assert "Nobody is stuck" in page
    override = QuizOverride.objects.get(quiz=first_quiz, learner=sam)
    assert (override.extra_attempts, override.reason, override.granted_by) == (
        1,
        "Ill on the day",
        instructor,
    )
    # The learner's own quiz page offers the attempt, and passing it opens the next module.
    client.force_login(sam)
    quiz_page = client.get(first_quiz.get_absolute_url()).content.decode()
    assert "2 used, 1 left of 3" in quiz_page
    complete_module(sam, module, now=now)
    assert course_progress_for_learner(learner=sam, course=course).modules[1].state != "locked"


def test_a_second_grant_for_the_same_need_is_refused_and_adds_nothing(
    client, course, first_quiz, instructor, fail_out
):
    sam = fail_out("Sam")
    client.force_login(instructor)
    client.post(grant_url(course, first_quiz, sam), {"reason": "Ill"})

    response = client.post(grant_url(course, first_quiz, sam), {"reason": "Ill"}, follow=True)

    assert "is not stuck at" in response.content.decode()
    assert QuizOverride.objects.get(quiz=first_quiz, learner=sam).extra_attempts == 1


def test_a_grant_keeps_the_learners_extra_time(client, course, first_quiz, instructor, fail_out):
    Quiz.objects.filter(pk=first_quiz.pk).update(time_limit_minutes=20)
    first_quiz.refresh_from_db()
    sam = fail_out("Sam")
    quiz_override_grant(
        quiz=first_quiz,
        learner=sam,
        granted_by=instructor,
        reason="Dyslexia",
        time_multiplier=Decimal("1.5"),
    )
    client.force_login(instructor)

    client.post(grant_url(course, first_quiz, sam), {"reason": "Ill"})

    override = QuizOverride.objects.get(quiz=first_quiz, learner=sam)
    assert (override.extra_attempts, str(override.time_multiplier)) == (1, "1.50")
    assert [h.reason for h in override.history.order_by("history_date")] == ["Dyslexia", "Ill"]


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_grant_without_a_reason_shows_the_error_and_writes_nothing(
    client, course, first_quiz, instructor, fail_out, reason
):
    sam = fail_out("Sam")
    client.force_login(instructor)

    response = client.post(grant_url(course, first_quiz, sam), {"reason": reason})

    assert response.status_code == 400
    assert "Say why: the reason is kept with the grant." in response.content.decode()
    assert not QuizOverride.objects.exists()


def test_only_the_courses_instructors_may_see_the_list_or_grant(
    client, course, first_quiz, fail_out
):
    sam = fail_out("Sam")
    other = UserFactory(is_staff=True)
    course_with_modules(modules=1, title="Their own course").instructors.add(other)

    for user, status in ((other, 403), (sam, 403)):
        client.force_login(user)
        assert stuck_page(client, course).status_code == status
        response = client.post(grant_url(course, first_quiz, sam), {"reason": "Let me in"})
        assert response.status_code == status
    client.logout()
    assert client.post(grant_url(course, first_quiz, sam), {"reason": "x"}).status_code == 302
    assert not QuizOverride.objects.exists()
    with pytest.raises(AttemptLimitReached, match="used all 2 attempts"):  # still stuck
        quiz_attempt_start(learner=sam, quiz=first_quiz)


def test_a_grant_needs_a_post_an_enrolled_learner_and_a_quiz_of_the_course(
    client, course, first_quiz, instructor, fail_out
):
    sam = fail_out("Sam")
    stranger = UserFactory()
    elsewhere = (
        Quiz.objects.exclude(course=course).first()
        or course_with_modules(modules=1).quizzes.first()
    )
    client.force_login(instructor)

    assert client.get(grant_url(course, first_quiz, sam)).status_code == 405
    assert client.post(grant_url(course, first_quiz, stranger), {"reason": "x"}).status_code == 404
    wrong_quiz = reverse("teach_attempt_grant", args=[course.slug, elsewhere.slug, sam.pk])
    assert client.post(wrong_quiz, {"reason": "x"}).status_code == 404
    assert not QuizOverride.objects.exists()


def test_the_stuck_list_queries_do_not_grow_with_the_cohort(
    client, course, instructor, fail_out, django_assert_num_queries
):
    client.force_login(instructor)
    for size, start in ((2, 0), (6, 2)):
        for n in range(start, start + size):
            fail_out(f"Learner{n:03d}")
        cache.clear()
        # session, user, course, outline (modules, lessons, quizzes), the stuck learners
        with django_assert_num_queries(7):
            response = stuck_page(client, course)
        assert response.content.decode().count("Grant one more attempt</button>") == size + start
    assert Attempt.objects.count() == 16


@pytest.fixture
def after_the_close(course, first_quiz, instructor, take_quiz, now):
    """Four learners of the course, the first quiz closed yesterday: Tess failed it once (an
    attempt left), Pat passed it, Nell never tried, Lou never tried but has a later close of
    her own."""
    learners = {}
    for name in ("Tess", "Pat", "Nell", "Lou"):
        learners[name] = UserFactory(first_name=name, last_name="Learner")
        enrollment_create(learner=learners[name], course=course)
    take_quiz(learners["Tess"], first_quiz, now=now, right=False)
    take_quiz(learners["Pat"], first_quiz, now=now)
    closed = timezone.now() - timedelta(days=1)
    first_quiz.closes_at = closed
    first_quiz.save()
    quiz_override_grant(
        quiz=first_quiz,
        learner=learners["Lou"],
        granted_by=instructor,
        reason="Away on duty",
        closes_at=closed + timedelta(days=7),
    )
    return learners


def test_a_quiz_that_closed_holds_whoever_had_not_passed_it_with_the_reason(
    client, course, first_quiz, instructor, after_the_close
):
    client.force_login(instructor)

    page = stuck_page(client, course).content.decode()

    assert "Tess Learner" in page and "Nell Learner" in page
    assert "Pat Learner" not in page and "Lou Learner" not in page
    assert page.count("The quiz closed before they passed it") == 2
    # A later close frees them, not one more attempt.
    assert page.count("Give them a later close") == 2
    assert "Grant one more attempt</button>" not in page
    add_close = reverse("admin:assessments_quizoverride_add")
    nell = after_the_close["Nell"].pk
    assert f"{add_close}?quiz={first_quiz.pk}&amp;learner={nell}" in page


def test_who_the_close_holds_is_what_each_learners_own_progress_says(
    course, first_quiz, after_the_close
):
    # The SQL twin (the cohort's list) and the rule read for one learner at a time.
    now = timezone.now()
    outline = cohort.course_outline(course)
    listed = {stuck.learner.pk for stuck in cohort.stuck_learners(outline, now=now)}
    held = set()
    for learner in after_the_close.values():
        quiz = course_progress_for_learner(learner=learner, course=course).modules[0].quiz
        if quiz_is_closed(closes_at=quiz.closes_at, now=now) and not (
            quiz.passed or quiz.awaiting_grading
        ):
            held.add(learner.pk)
    names = {learner.pk: name for name, learner in after_the_close.items()}
    assert {names[pk] for pk in listed} == {names[pk] for pk in held} == {"Tess", "Nell"}


def test_a_quiz_still_open_holds_nobody_who_has_attempts_left(
    client, course, first_quiz, instructor, take_quiz, now
):
    tess = UserFactory(first_name="Tess", last_name="Learner")
    enrollment_create(learner=tess, course=course)
    take_quiz(tess, first_quiz, now=now, right=False)
    first_quiz.closes_at = timezone.now() + timedelta(days=1)
    first_quiz.save()
    client.force_login(instructor)

    assert "Nobody is stuck" in stuck_page(client, course).content.decode()


def test_a_later_close_opens_on_the_learner_and_the_quiz(
    client, course, first_quiz, after_the_close
):
    ines = make_instructor("ines")  # in the Instructors group, as the admin asks
    course.instructors.add(ines)
    client.force_login(ines)
    nell = after_the_close["Nell"]
    add_close = reverse("admin:assessments_quizoverride_add")

    response = client.get(f"{add_close}?quiz={first_quiz.pk}&learner={nell.pk}")

    form = response.context["adminform"].form
    assert (form["quiz"].value(), form["learner"].value()) == (str(first_quiz.pk), str(nell.pk))

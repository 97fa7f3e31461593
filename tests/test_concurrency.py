"""Nothing graded twice, nothing lost: a learner's tabs acting at the same instant, and time limits.

Each tab is its own ``Client`` on the learner's one session, in its own thread, released
together by ``run_at_once``. The simultaneous tests need PostgreSQL: SQLite lets one
writer in at a time, so it cannot show a race.
"""

from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models.signals import post_save
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from assessments.grades import GradeConflict
from assessments.grading import SHORT_ANSWER_MAX_LENGTH, grade
from assessments.models import Attempt, GradeChange, Quiz
from assessments.services import AttemptClosed, quiz_override_grant
from lessons.models import Lesson
from progress.models import Certificate, Enrollment, LessonCompletion
from progress.services import (
    enrollment_create,
    lesson_complete,
    quiz_attempt_start,
    quiz_response_grade,
    quiz_response_save,
)
from tests.concurrency import run_at_once
from tests.factories import (
    CourseFactory,
    QuizFactory,
    UserFactory,
    course_with_modules,
    essay_question,
    make_instructor,
    right_answer,
    short_question,
)

pytestmark = pytest.mark.django_db

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises writers, so requests never overlap",
)

QUESTIONS = 6
HTMX = {"HX-Request": "true"}


# --- Tabs and quizzes --------------------------------------------------------------------------


def tabs_of(user):
    """A function opening a new tab of ``user``'s browser: a client on the same session."""
    first = Client()
    first.force_login(user)
    session = first.cookies[settings.SESSION_COOKIE_NAME].value

    def open_tab() -> Client:
        tab = Client()
        tab.cookies[settings.SESSION_COOKIE_NAME] = session
        return tab

    return open_tab


def at_once(*calls) -> tuple[list, list[Exception]]:
    """Run different calls at the same instant, one thread each."""
    pending = list(calls)
    return run_at_once(lambda: pending.pop()(), times=len(calls))


@contextmanager
def gradings():
    """The pks of the attempts graded meanwhile, once per grading."""
    graded = []

    def record(sender, instance, update_fields=None, **kwargs):
        if update_fields and "submitted_at" in update_fields:
            graded.append(instance.pk)

    post_save.connect(record, sender=Attempt, weak=False, dispatch_uid="test-gradings")
    try:
        yield graded
    finally:
        post_save.disconnect(sender=Attempt, dispatch_uid="test-gradings")


@pytest.fixture
def course():
    """One module of one lesson, no module quiz, and a two-question final exam."""
    return course_with_modules(modules=1, lessons=1, module_quizzes=False)


@pytest.fixture
def quiz(course, learner):
    """A module quiz of short questions, the learner enrolled; question n accepts "answer n"."""
    quiz = QuizFactory(module=course.modules.get(), title="Capitals")
    for position in range(1, QUESTIONS + 1):
        short_question(quiz=quiz, position=position, answers=[(f"answer {position}", 100)])
    enrollment_create(learner=learner, course=course)
    return quiz


def url(name, attempt, **kwargs):
    return reverse(name, kwargs={"pk": attempt.pk, **kwargs})


def quiz_url(name, quiz):
    return reverse(name, kwargs={"course_slug": quiz.course.slug, "slug": quiz.slug})


def answers_form(answer=lambda slot: f"answer {slot}") -> dict:
    """What the attempt form posts with every question answered."""
    return {"answers": "1"} | {f"q{slot}": answer(slot) for slot in range(1, QUESTIONS + 1)}


def assert_graded_as_saved(attempt):
    """Every stored answer carries its own grade, and the attempt the sum of them."""
    attempt.refresh_from_db()
    responses = list(attempt.responses.all())
    for response in responses:
        assert response.score == grade(response.shown, response.answer).score, response.slot
    assert attempt.score == sum(response.score for response in responses)


# --- Submitting ----------------------------------------------------------------------------------


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_tabs_submitting_at_once_grade_the_attempt_once(learner, quiz):
    open_tab = tabs_of(learner)
    attempt = quiz_attempt_start(learner=learner, quiz=quiz)
    right = answers_form() | {"confirm": "1"}
    wrong = answers_form(lambda slot: "no") | {"confirm": "1"}

    with gradings() as graded:
        pages, errors = at_once(
            *[
                lambda form=form: open_tab().post(
                    url("attempt_submit", attempt), form, follow=True
                )
                for form in (right, wrong, right, wrong)
            ]
        )

    assert errors == []
    assert graded == [attempt.pk]
    # Every tab lands on the one result, which says when it was submitted.
    for page in pages:
        assert page.redirect_chain[-1][0] == url("attempt_result", attempt)
        assert f"Attempt {attempt.number} · submitted" in page.content.decode()
    # Whichever tab won, the grade is that of the answers stored with it.
    assert_graded_as_saved(attempt)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_answer_saved_while_another_tab_submits_is_graded_or_refused(learner, quiz):
    open_tab = tabs_of(learner)
    for _ in range(8):
        attempt = quiz_attempt_start(learner=learner, quiz=quiz)
        pages, errors = at_once(
            partial(
                open_tab().post,
                url("response_save", attempt, slot=1),
                {"q1": "answer 1"},
                headers=HTMX,
            ),
            partial(open_tab().post, url("attempt_submit", attempt), {"confirm": "1"}),
        )

        assert errors == []
        saved = attempt.responses.get(slot=1).answer == "answer 1"
        told_saved = any("✓ Saved" in page.content.decode() for page in pages)
        # "✓ Saved" on the page means the answer counts; otherwise the tab went to the result.
        assert saved == told_saved
        assert_graded_as_saved(attempt)


# --- Starting ------------------------------------------------------------------------------------


def start_and_submit(tab: Client, quiz: Quiz):
    """Press "Start", then submit whatever attempt opened; the page the tab ends on."""
    page = tab.post(quiz_url("quiz_start", quiz), follow=True)
    landed = page.redirect_chain[-1][0]
    if landed == quiz_url("quiz_detail", quiz):
        return page  # refused: the intro says why
    attempt = Attempt.objects.get(pk=resolve(landed).kwargs["pk"])
    return tab.post(url("attempt_submit", attempt), answers_form(), follow=True)


@pytest.fixture
def one_attempt_left(learner, quiz, take_quiz):
    """The quiz allows two attempts, and the learner has used one."""
    quiz.max_attempts = 2
    quiz.save()
    take_quiz(learner, quiz, now=timezone.now(), right=False)
    return quiz


def assert_no_third_attempt(learner, quiz, pages):
    """Two attempts in all, both graded; every tab shows the second's result or why none started."""
    assert Attempt.objects.filter(learner=learner, quiz=quiz).count() == 2
    assert not Attempt.objects.filter(submitted_at=None).exists()
    second = Attempt.objects.get(learner=learner, quiz=quiz, number=2)
    for page in pages:
        assert page.status_code == 200
        assert (
            page.redirect_chain[-1][0] == url("attempt_result", second)
            or "You have used all 2 attempts" in page.content.decode()
        )


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_tabs_starting_at_once_never_exceed_the_attempt_limit(learner, one_attempt_left):
    open_tab = tabs_of(learner)

    pages, errors = run_at_once(lambda: start_and_submit(open_tab(), one_attempt_left), times=4)

    assert errors == []
    assert_no_third_attempt(learner, one_attempt_left, pages)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_tabs_starting_at_once_never_exceed_a_granted_attempt(learner, quiz, take_quiz):
    """Out of two attempts, granted one more: four tabs pressing "Start" at once make one
    third attempt, never a fourth."""
    quiz.max_attempts = 2
    quiz.save()
    for _ in range(2):
        take_quiz(learner, quiz, now=timezone.now(), right=False)
    teacher = UserFactory(is_staff=True)
    quiz_override_grant(
        quiz=quiz, learner=learner, granted_by=teacher, reason="Ill", extra_attempts=1
    )
    open_tab = tabs_of(learner)

    pages, errors = run_at_once(lambda: start_and_submit(open_tab(), quiz), times=4)

    assert errors == []
    assert Attempt.objects.filter(learner=learner, quiz=quiz).count() == 3
    assert not Attempt.objects.filter(submitted_at=None).exists()
    third = Attempt.objects.get(learner=learner, quiz=quiz, number=3)
    for page in pages:
        assert page.status_code == 200
        assert (
            page.redirect_chain[-1][0] == url("attempt_result", third)
            or "You have used all 3 attempts" in page.content.decode()
        )


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_starting_while_another_tab_submits_the_last_attempt_starts_none(
    learner, one_attempt_left, answer_all
):
    quiz = one_attempt_left
    last = quiz_attempt_start(learner=learner, quiz=quiz)
    answer_all(last, now=timezone.now())
    open_tab = tabs_of(learner)
    submitting = lambda: open_tab().post(  # noqa: E731
        url("attempt_submit", last), {"confirm": "1"}, follow=True
    )
    starting = lambda: start_and_submit(open_tab(), quiz)  # noqa: E731

    pages, errors = at_once(submitting, starting, submitting, starting, starting, starting)

    assert errors == []
    assert_no_third_attempt(learner, quiz, pages)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_tabs_starting_at_once_open_one_attempt(learner, quiz):
    open_tab = tabs_of(learner)

    pages, errors = run_at_once(lambda: open_tab().post(quiz_url("quiz_start", quiz)), times=6)

    assert errors == []
    attempt = Attempt.objects.get(learner=learner, quiz=quiz)
    assert [page["Location"] for page in pages] == [url("attempt_detail", attempt)] * 6
    assert attempt.responses.count() == QUESTIONS


# --- Saving answers ------------------------------------------------------------------------------


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_tabs_saving_different_questions_at_once_keep_every_last_answer(learner, quiz):
    open_tab = tabs_of(learner)
    attempt = quiz_attempt_start(learner=learner, quiz=quiz)

    def saving(slot, answer):
        return lambda: open_tab().post(
            url("response_save", attempt, slot=slot), {f"q{slot}": answer}, headers=HTMX
        )

    for round in range(1, 6):
        # One tab per question, and a second tab on question 1 with the same answer.
        saves = [saving(slot, f"round {round}") for slot in range(1, QUESTIONS + 1)]
        pages, errors = at_once(*saves, saving(1, f"round {round}"))

        assert errors == []
        assert all("✓ Saved" in page.content.decode() for page in pages)
        answers = dict(attempt.responses.values_list("slot", "answer"))
        assert answers == {slot: f"round {round}" for slot in range(1, QUESTIONS + 1)}


class PageForm(HTMLParser):
    """The fields a tab's attempt page would post back as they stand (text and hidden inputs)."""

    def __init__(self, page):
        super().__init__()
        self.data: dict[str, str] = {}
        self.feed(page.content.decode())

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") in ("text", "hidden") and "name" in attrs:
            self.data[attrs["name"]] = attrs.get("value") or ""


SAVE_ANSWERS = pytest.param("attempt_detail", id="save-answers")
SUBMIT = pytest.param("attempt_submit", id="submit")


@pytest.mark.parametrize("button", [SAVE_ANSWERS, SUBMIT])
def test_a_stale_tab_posting_its_form_keeps_the_answer_another_tab_saved(learner, quiz, button):
    open_tab = tabs_of(learner)
    attempt = quiz_attempt_start(learner=learner, quiz=quiz)
    tab_a, tab_b = open_tab(), open_tab()
    form_a = PageForm(tab_a.get(url("attempt_detail", attempt))).data

    tab_b.post(url("response_save", attempt, slot=2), {"q2": "answer 2"}, headers=HTMX)
    # Back in the first tab the learner answers question 1 only, then presses the button.
    page = tab_a.post(url(button, attempt), form_a | {"q1": "answer 1"}, follow=True)

    answers = dict(attempt.responses.values_list("slot", "answer"))
    assert answers == {1: "answer 1", 2: "answer 2"} | {slot: None for slot in range(3, 7)}
    if button == "attempt_detail":  # the page comes back showing both answers
        shown = PageForm(page).data
        assert (shown["q1"], shown["q2"]) == ("answer 1", "answer 2")
    else:  # asked to confirm: question 2 is not among the unanswered
        assert "You have not answered 4 of 6 questions" in page.content.decode()


def test_an_answer_changed_in_a_stale_tab_replaces_the_other_tabs_save(learner, quiz):
    open_tab = tabs_of(learner)
    attempt = quiz_attempt_start(learner=learner, quiz=quiz)
    tab_a, tab_b = open_tab(), open_tab()
    form_a = PageForm(tab_a.get(url("attempt_detail", attempt))).data

    tab_b.post(url("response_save", attempt, slot=2), {"q2": "answer 2"}, headers=HTMX)
    tab_a.post(url("attempt_detail", attempt), form_a | {"q2": "typed later"})

    assert attempt.responses.get(slot=2).answer == "typed later"


def test_a_page_shown_again_with_an_error_knows_what_it_saved(learner, quiz):
    open_tab = tabs_of(learner)
    attempt = quiz_attempt_start(learner=learner, quiz=quiz)
    tab_a, tab_b = open_tab(), open_tab()
    form_a = PageForm(tab_a.get(url("attempt_detail", attempt))).data
    too_long = "x" * (SHORT_ANSWER_MAX_LENGTH + 1)

    again = tab_a.post(url("attempt_detail", attempt), form_a | {"q1": "mine", "q3": too_long})
    assert "Not saved: Your answer is too long" in again.content.decode()
    tab_b.post(url("response_save", attempt, slot=1), {"q1": "answer 1"}, headers=HTMX)
    # The learner shortens the answer to question 3 and saves again from the first tab.
    tab_a.post(url("attempt_detail", attempt), PageForm(again).data | {"q3": "answer 3"})

    answers = dict(attempt.responses.filter(slot__lte=3).values_list("slot", "answer"))
    assert answers == {1: "answer 1", 2: None, 3: "answer 3"}


# --- Enrolling and completing --------------------------------------------------------------------


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_enrolling_from_two_tabs_at_once_makes_one_enrollment(learner, course):
    open_tab = tabs_of(learner)
    enrol = reverse("course_enrol", args=[course.slug])

    pages, errors = run_at_once(lambda: open_tab().post(enrol), times=4)

    assert errors == []
    assert [page["Location"] for page in pages] == [course.get_absolute_url()] * 4
    assert Enrollment.objects.filter(learner=learner, course=course).count() == 1


@pytest.fixture
def exam_ready(learner, course):
    """Enrolled, the lesson read, the final exam open with every answer saved right."""
    enrollment_create(learner=learner, course=course)
    lesson_complete(learner=learner, lesson=Lesson.objects.get(course=course))
    attempt = quiz_attempt_start(learner=learner, quiz=course.quizzes.get(kind="final"))
    for response in attempt.responses.all():
        quiz_response_save(
            attempt=attempt, slot=response.slot, answer=right_answer(response.shown)
        )
    return attempt


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_submitting_the_final_exam_from_two_tabs_issues_one_certificate(learner, exam_ready):
    open_tab = tabs_of(learner)
    submit = url("attempt_submit", exam_ready)

    pages, errors = run_at_once(lambda: open_tab().post(submit, {"confirm": "1"}), times=4)

    assert errors == []
    assert [page["Location"] for page in pages] == [url("attempt_result", exam_ready)] * 4
    certificate = Certificate.objects.get(learner=learner)
    assert Enrollment.objects.get(learner=learner).completed_at == certificate.issued_at


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_completing_the_last_lesson_from_two_tabs_issues_one_certificate(learner):
    course = course_with_modules(modules=1, lessons=2, module_quizzes=False, final_exam=False)
    enrollment_create(learner=learner, course=course)
    first, last = Lesson.objects.filter(course=course).order_by("position")
    lesson_complete(learner=learner, lesson=first)
    open_tab = tabs_of(learner)
    complete = reverse("lesson_complete", args=[course.slug, last.slug])

    pages, errors = run_at_once(lambda: open_tab().post(complete), times=4)

    assert errors == []
    assert {page.status_code for page in pages} == {302}
    assert LessonCompletion.objects.filter(learner=learner, lesson=last).count() == 1
    certificate = Certificate.objects.get(learner=learner)
    assert Enrollment.objects.get(learner=learner).completed_at == certificate.issued_at


# --- Time limits ---------------------------------------------------------------------------------


def expired_attempt(learner, quiz: Quiz) -> Attempt:
    """Started 12 minutes ago with 10 allowed; question 1 answered right in time, then abandoned."""
    quiz.time_limit_minutes = 10
    quiz.save()
    started = timezone.now() - timedelta(minutes=12)
    attempt = quiz_attempt_start(learner=learner, quiz=quiz, now=started)
    answer = right_answer(attempt.responses.get(slot=1).shown)
    quiz_response_save(attempt=attempt, slot=1, answer=answer, now=started + timedelta(minutes=1))
    return attempt


def assert_handed_in_at_the_deadline(attempt, *, score):
    """Submitted by the server when the time ran out, with only what was saved by then."""
    attempt.refresh_from_db()
    assert attempt.auto_submitted is True
    assert attempt.submitted_at == attempt.deadline
    assert attempt.score == score
    assert_graded_as_saved(attempt)


def test_an_answer_saved_after_the_deadline_is_refused(learner, quiz):
    attempt = expired_attempt(learner, quiz)

    with pytest.raises(AttemptClosed, match="came in after the time limit, so it was not saved"):
        quiz_response_save(attempt=attempt, slot=2, answer="answer 2")

    assert attempt.responses.get(slot=2).answer is None
    assert_handed_in_at_the_deadline(attempt, score=1)


def test_answers_posted_after_the_deadline_are_refused_and_the_page_says_so(learner, quiz):
    attempt = expired_attempt(learner, quiz)
    tab = tabs_of(learner)()

    page = tab.post(url("attempt_detail", attempt), answers_form(), follow=True)

    assert page.redirect_chain[-1][0] == url("attempt_result", attempt)
    assert "Time ran out, so your attempt was submitted" in page.content.decode()
    assert list(attempt.responses.exclude(answer=None).values_list("slot", flat=True)) == [1]
    assert_handed_in_at_the_deadline(attempt, score=1)


def test_the_command_grades_an_abandoned_exam_and_issues_the_certificate(learner, exam_ready):
    # Its time ran out two minutes ago and the learner never came back.
    Attempt.objects.filter(pk=exam_ready.pk).update(
        started_at=timezone.now() - timedelta(minutes=12),
        deadline=timezone.now() - timedelta(minutes=2),
    )
    out = StringIO()

    call_command("submit_expired_attempts", stdout=out)

    assert out.getvalue() == "Submitted 1 expired attempt.\n"
    assert_handed_in_at_the_deadline(exam_ready, score=2)
    assert Certificate.objects.filter(learner=learner).exists()


# Every page of the attempt a learner may come back to hands it in first, and says so.
TOLD = "attempt was submitted with the answers saved before then"
COMING_BACK = [
    pytest.param("get", lambda attempt: quiz_url("quiz_detail", attempt.quiz), {}, id="intro"),
    pytest.param("post", lambda attempt: quiz_url("quiz_start", attempt.quiz), {}, id="start"),
    pytest.param("get", lambda attempt: url("attempt_detail", attempt), {}, id="questions"),
    pytest.param(
        "post", lambda attempt: url("attempt_detail", attempt), answers_form(), id="save-all"
    ),
    pytest.param(
        "post",
        lambda attempt: url("response_save", attempt, slot=2),
        {"q2": "answer 2"},
        id="save-one",
    ),
    pytest.param(
        "post", lambda attempt: url("attempt_submit", attempt), answers_form(), id="submit"
    ),
    pytest.param("get", lambda attempt: url("attempt_result", attempt), {}, id="result"),
]


@pytest.mark.parametrize(("method", "page", "data"), COMING_BACK)
def test_an_abandoned_attempt_is_graded_when_the_learner_comes_back(
    learner, quiz, method, page, data
):
    attempt = expired_attempt(learner, quiz)
    tab = tabs_of(learner)()

    response = getattr(tab, method)(page(attempt), data, follow=True)

    assert response.status_code == 200
    assert TOLD in response.content.decode().lower()
    assert_handed_in_at_the_deadline(attempt, score=1)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_command_and_the_learner_coming_back_at_once_grade_once(learner, quiz):
    attempt = expired_attempt(learner, quiz)
    open_tab = tabs_of(learner)

    with gradings() as graded:
        _, errors = at_once(
            lambda: call_command("submit_expired_attempts", stdout=StringIO()),
            lambda: open_tab().get(url("attempt_detail", attempt)),
            lambda: open_tab().post(url("response_save", attempt, slot=2), {"q2": "answer 2"}),
            lambda: open_tab().post(url("attempt_submit", attempt), answers_form()),
        )

    assert errors == []
    assert graded == [attempt.pk]
    assert_handed_in_at_the_deadline(attempt, score=1)


# --- Instructors grading at once ---------------------------------------------------------


@pytest.fixture
def exam_awaiting(learner, take_quiz):
    """A course whose only step is a final exam of two 1-point essays (50% to pass), taken:
    the attempt awaits grading."""
    course = CourseFactory()
    exam = QuizFactory(final=True, course=course, pass_mark=50)
    essay_question(quiz=exam, position=1, points=1)
    essay_question(quiz=exam, position=2, points=1)
    enrollment_create(learner=learner, course=course)
    return take_quiz(learner, exam, now=timezone.now())


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_instructors_grading_one_answer_at_once_save_one_grade(learner, exam_awaiting):
    """Both opened the answer before either saved (version 0): one grade is saved, the other
    is refused with the first one's grade named, and nothing is overwritten."""
    essay = exam_awaiting.responses.get(slot=1)
    ines, otto = make_instructor("ines"), make_instructor("otto")

    def grade_as(instructor, score):
        return lambda: quiz_response_grade(
            response=essay,
            score=score,
            by=instructor,
            source=GradeChange.Source.GRADED,
            expected_version=0,
        )

    saved, errors = at_once(grade_as(ines, 1), grade_as(otto, 0))

    assert len(saved) == 1 and len(errors) == 1
    assert isinstance(errors[0], GradeConflict)
    winner = GradeChange.objects.get()
    assert winner.score_before is None
    assert str(errors[0]).startswith(f"{winner.by.get_full_name()} gave this answer")
    essay.refresh_from_db()
    assert essay.score == winner.score_after


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_last_two_answers_graded_at_once_give_the_result_and_one_certificate(
    learner, exam_awaiting
):
    ines, otto = make_instructor("ines"), make_instructor("otto")
    first, second = exam_awaiting.responses.order_by("slot")

    def grade(response, instructor):
        return lambda: quiz_response_grade(
            response=response,
            score=1,
            by=instructor,
            source=GradeChange.Source.GRADED,
            expected_version=0,
        )

    _, errors = at_once(grade(first, ines), grade(second, otto))

    assert errors == []
    attempt = Attempt.objects.get(pk=exam_awaiting.pk)
    # Each rescore saw the other's grade or waited for it: the last one left the full result.
    assert (attempt.score, attempt.passed) == (2, True)
    certificate = Certificate.objects.get(learner=learner)
    assert Enrollment.objects.get(learner=learner).completed_at == certificate.issued_at

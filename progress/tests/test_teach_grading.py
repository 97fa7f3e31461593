"""Grading written answers and overriding grades in the instructor area, through the client:
the queue, its filters and pages, saving, refusals, the learner's page and what the learner
then sees."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from assessments.models import Attempt, GradeChange, Response
from assessments.selectors import Queue, grader_queue_by_quiz, responses_for_grader
from progress.models import Certificate
from progress.services import (
    enrollment_create,
    quiz_attempt_start,
    quiz_response_grade,
    quiz_response_save,
)
from progress.views import teach
from tests.factories import (
    CourseFactory,
    ModuleFactory,
    QuizFactory,
    UserFactory,
    essay_question,
    single_question,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    """A course whose only step is a final exam: a 2-point choice and a 3-point essay, 70%
    to pass."""
    course = CourseFactory(title="Diplomacy")
    exam = QuizFactory(final=True, course=course, pass_mark=70)
    single_question(quiz=exam, position=1, points=Decimal(2))
    essay_question(
        quiz=exam,
        position=2,
        points=Decimal(3),
        text="Explain what a defence attaché does.",
        rubric="Full marks: names the embassy and trust-building.",
    )
    return course


@pytest.fixture
def exam(course):
    return course.quizzes.get(kind="final")


@pytest.fixture
def instructor(course):
    user = UserFactory(is_staff=True, first_name="Ines", last_name="Instructor")
    course.instructors.add(user)
    return user


@pytest.fixture
def as_instructor(client, instructor):
    client.force_login(instructor)
    return client


@pytest.fixture
def sit(exam, take_quiz, now):
    """A learner named ``name`` who took the exam ``minutes`` after ``now``: the choice right,
    the essay written. Returns the attempt."""

    def sit(name, *, minutes=0):
        learner = UserFactory(first_name=name, last_name="Learner")
        enrollment_create(learner=learner, course=exam.course)
        return take_quiz(learner, exam, now=now + timedelta(minutes=minutes))

    return sit


def queue(client, course, **params):
    return client.get(reverse("teach_grading", args=[course.slug]), params)


def grade_url(course, response):
    return reverse("teach_response_grade", args=[course.slug, response.pk])


def essay_of(attempt) -> Response:
    return attempt.responses.get(slot=2)


def grade_essay(attempt, score, *, by, now, **fields):
    """Grade the attempt's essay through the service, as another page would have."""
    return quiz_response_grade(
        response=essay_of(attempt),
        score=score,
        by=by,
        source=GradeChange.Source.GRADED,
        expected_version=0,
        now=now,
        **fields,
    )


def post_grade(client, course, response, *, version=0, next="", **fields):
    data = {"version": version, "next": next, "feedback": "", "reason": ""} | fields
    return client.post(
        grade_url(course, response), {f"r{response.pk}-{key}": v for key, v in data.items()}
    )


# --- The queue -----------------------------------------------------------------------------


def test_the_queue_lists_written_answers_oldest_first_as_the_learner_saw_them(
    as_instructor, course, exam, sit
):
    sit("Zoe", minutes=5)
    sit("Adam", minutes=1)
    exam.questions.filter(position=2).update(text="Edited after the attempts")

    page = queue(as_instructor, course)

    html = page.content.decode()
    assert html.index("Adam Learner: question 2") < html.index("Zoe Learner: question 2")
    assertContains(page, "Explain what a defence attaché does.", count=2)
    assertNotContains(page, "Edited after the attempts")
    assertContains(page, "An essay.", count=2)  # what the learners wrote
    assertContains(page, "Full marks: names the embassy and trust-building.", count=2)
    assertContains(page, 'Points <span class="text-body-secondary small">(0 to 3)</span>')
    assertContains(page, "2 answers await a grade in this course")
    assertContains(page, "Save grade", count=2)


def test_the_queue_filters_by_quiz_and_by_learner(
    as_instructor, course, exam, sit, take_quiz, now
):
    zoe, adam = sit("Zoe"), sit("Adam")
    practice = QuizFactory(module=ModuleFactory(course=course), title="Practice essay")
    essay_question(quiz=practice, text="Reflect on the reading.")
    take_quiz(adam.learner, practice, now=now)

    by_quiz = queue(as_instructor, course, quiz=practice.slug)
    assertContains(by_quiz, "Reflect on the reading.")
    assertNotContains(by_quiz, "Explain what a defence attaché does.")
    assertContains(by_quiz, f"{exam.title} (2)")
    assertContains(by_quiz, "Practice essay (1)")

    by_learner = queue(as_instructor, course, learner=zoe.learner_id)
    assertContains(by_learner, "Only Zoe Learner’s answers")
    assertContains(by_learner, "Zoe Learner: question 2")
    assertNotContains(by_learner, "Adam Learner: question")

    both = queue(as_instructor, course, quiz=practice.slug, learner=adam.learner_id)
    assertContains(both, "Adam Learner: question 1 of Practice essay")
    assertNotContains(both, "question 2 of")

    nothing = queue(as_instructor, course, quiz=practice.slug, learner=zoe.learner_id)
    assertContains(nothing, "Nothing to grade or read here")


def test_the_queue_ignores_filters_it_cannot_read(as_instructor, course, sit):
    sit("Zoe")
    for params in ({"quiz": "no-such-quiz"}, {"learner": "abc"}, {"learner": "9" * 30}):
        page = queue(as_instructor, course, **params)
        assert page.status_code == 200
        assertContains(page, "Zoe Learner: question 2")


def test_the_queue_pages_keep_the_filters(as_instructor, course, exam, sit, monkeypatch):
    monkeypatch.setattr(teach, "ANSWERS_PER_PAGE", 2)
    for n in range(5):
        sit(f"Learner{n}", minutes=n)

    first = queue(as_instructor, course, quiz=exam.slug)
    third = queue(as_instructor, course, quiz=exam.slug, page=3)

    assertContains(first, f"?quiz={exam.slug}&amp;page=2")
    assertContains(third, "Learner4 Learner: question 2")
    assertNotContains(third, "Learner0 Learner")


def test_the_queue_pages_run_from_the_answers_to_grade_into_those_to_read(
    as_instructor, course, sit, reflect, monkeypatch
):
    monkeypatch.setattr(teach, "ANSWERS_PER_PAGE", 2)
    for n in range(2):
        reflect(f"Reader{n}", minutes=n)  # read later than the essays, though older
    for n in range(2, 5):
        sit(f"Writer{n}", minutes=n)

    def names(page):
        html = queue(as_instructor, course, page=page).content.decode()
        return re.findall(r"(\w+) Learner: question", html)

    assert [names(page) for page in (1, 2, 3)] == [
        ["Writer2", "Writer3"],
        ["Writer4", "Reader0"],
        ["Reader1"],
    ]
    assertContains(queue(as_instructor, course, page=2), "?page=3")


def test_the_queue_answers_any_address_a_script_makes_up(
    as_instructor, course, sit, reflect, monkeypatch
):
    """Pages past the end, words for numbers, a kind of answer or a quiz that does not exist:
    the queue falls back to what it can show, never an error page."""
    monkeypatch.setattr(teach, "ANSWERS_PER_PAGE", 2)
    reflect("Reader", minutes=1)
    for n in range(3):
        sit(f"Writer{n}", minutes=n)

    def names(**params):
        response = queue(as_instructor, course, **params)
        assert response.status_code == 200, params
        return re.findall(r"(\w+) Learner: question", response.content.decode())

    assert names(page=99) == names(page=-1) == names(page=2) == ["Writer2", "Reader"]  # the last
    assert names(page="two") == ["Writer0", "Writer1"]  # the first
    assert names(show="everything") == ["Writer0", "Writer1"]  # an unknown part: both
    assert names(quiz="no-such-quiz", learner="ada") == ["Writer0", "Writer1"]
    assert names(show="to-read", page=5) == ["Reader"]


def test_an_empty_queue_shows_its_first_page(as_instructor, course):
    for params in ({}, {"page": 3}, {"show": "to-grade"}):
        assertContains(queue(as_instructor, course, **params), "Nothing to grade or read")


def test_an_answer_graded_leaves_the_queue(as_instructor, course, sit, now, instructor):
    attempt = sit("Zoe")
    grade_essay(attempt, 3, by=instructor, now=now)

    page = queue(as_instructor, course)

    assertContains(page, "Nothing to grade or read: every written answer has its grade")
    assertContains(page, "0 answers await a grade")


# --- Saving a grade --------------------------------------------------------------------------


def test_a_grade_saved_from_the_queue_passes_the_learner_and_issues_the_certificate(
    as_instructor, course, sit
):
    attempt = sit("Zoe")
    back = reverse("teach_grading", args=[course.slug]) + "?quiz=final-exam&page=1"

    saved = post_grade(
        as_instructor, course, essay_of(attempt), score="1.5", feedback="Clear.", next=back
    )

    assertRedirects(saved, back, fetch_redirect_response=False)
    attempt.refresh_from_db()
    assert (attempt.score, attempt.percent, attempt.passed) == (
        Decimal("3.50"),
        Decimal("70.00"),
        True,
    )
    assert Certificate.objects.filter(learner=attempt.learner).count() == 1
    change = GradeChange.objects.get()
    assert (change.source, change.feedback, change.by.first_name) == ("graded", "Clear.", "Ines")
    followed = as_instructor.get(back)
    assertContains(
        followed,
        "Saved: 1.5 of 3 points for Zoe Learner’s answer to question 2 of “Final exam”. "
        "The attempt now scores 70%: passed.",
    )


@pytest.mark.parametrize(
    ("score", "message"),
    [
        ("", "Give the points: 0 if the answer earns none."),
        ("4", "Give between 0 and 3 points."),
        ("-1", "Give between 0 and 3 points."),
        ("2.125", "Give the points with at most two decimals."),
        ("two", "Give the points as a number, such as 2 or 1.5."),
        ("1e400", "Give between 0 and 3 points."),
    ],
)
def test_a_grade_the_question_cannot_take_is_refused_beside_the_field(
    as_instructor, course, sit, score, message
):
    attempt = sit("Zoe")

    refused = post_grade(as_instructor, course, essay_of(attempt), score=score)

    assert refused.status_code == 400
    assertContains(refused, message, status_code=400)
    assertContains(refused, "is-invalid", status_code=400)
    assert not GradeChange.objects.exists()
    assert Attempt.objects.get(pk=attempt.pk).is_awaiting_grading


def test_minus_zero_from_the_grading_form_is_saved_and_shown_as_zero(as_instructor, course, sit):
    attempt = sit("Zoe")
    back = reverse("teach_grading", args=[course.slug])

    saved = post_grade(as_instructor, course, essay_of(attempt), score="-0", next=back)

    assertRedirects(saved, back, fetch_redirect_response=False)
    assert str(GradeChange.objects.get().score_after) == "0.00"
    assertContains(as_instructor.get(back), "Saved: 0 of 3 points for Zoe Learner’s answer")


def test_a_control_character_in_the_feedback_is_refused(as_instructor, course, sit):
    attempt = sit("Zoe")

    refused = post_grade(as_instructor, course, essay_of(attempt), score="1", feedback="a\x00b")

    assert refused.status_code == 400
    assert not GradeChange.objects.exists()


def test_a_save_from_a_stale_page_is_refused_and_shows_the_grade_that_stands(
    as_instructor, client, course, sit, instructor, now
):
    attempt = sit("Zoe")
    colleague = UserFactory(is_staff=True, first_name="Otto", last_name="Other")
    course.instructors.add(colleague)
    grade_essay(attempt, 2, by=colleague, now=now)
    back = reverse("teach_grading", args=[course.slug])

    stale = post_grade(as_instructor, course, essay_of(attempt), score="3", next=back)

    page = as_instructor.get(stale["Location"])
    assertContains(page, "Otto Other gave this answer 2 of 3 points")
    assertContains(page, "Nothing was saved")
    assertContains(page, "Override grade")  # what is left to do, with a reason
    assert GradeChange.objects.count() == 1
    assert essay_of(attempt).score == Decimal("2.00")


def test_a_grade_never_sends_anywhere_but_the_courses_instructor_pages(as_instructor, course, sit):
    attempt = sit("Zoe")

    saved = post_grade(
        as_instructor, course, essay_of(attempt), score="3", next="https://evil.example/teach/"
    )

    assertRedirects(
        saved, reverse("teach_grading", args=[course.slug]), fetch_redirect_response=False
    )


def test_an_answer_of_another_course_or_of_an_open_attempt_is_not_found(
    as_instructor, course, exam, sit, learner, now
):
    other = CourseFactory()
    enrollment_create(learner=learner, course=course)
    open_attempt = quiz_attempt_start(learner=learner, quiz=exam, now=now)
    attempt = sit("Zoe")

    assert as_instructor.get(grade_url(other, essay_of(attempt))).status_code in (403, 404)
    assert as_instructor.get(grade_url(course, essay_of(open_attempt))).status_code == 404


# --- Overrides, from the learner's page --------------------------------------------------------


def test_an_override_from_the_learners_page_needs_a_reason_and_is_kept_in_the_history(
    as_instructor, client, course, sit, instructor, now
):
    attempt = sit("Zoe")
    choice = attempt.responses.get(slot=1)
    learner_page = reverse("teach_learner", args=[course.slug, attempt.learner_id])
    page = as_instructor.get(learner_page)
    assertContains(page, "Grade this answer")  # the essay
    assertContains(page, "Override grade", count=2)  # the choice: summary and button

    refused = post_grade(as_instructor, course, choice, score="1", next=learner_page)
    assertContains(refused, "Say why you change this grade", status_code=400)
    assert not GradeChange.objects.exists()

    saved = post_grade(
        as_instructor,
        course,
        choice,
        score="1",
        reason="The wording allowed a second reading.",
        next=learner_page,
    )
    assertRedirects(saved, learner_page, fetch_redirect_response=False)

    history = as_instructor.get(learner_page)
    assertContains(history, "Grade overridden by Ines Instructor, 2 → 1 points")
    assertContains(history, "Why: “The wording allowed a second reading.”")
    change = GradeChange.objects.get()
    assert (change.score_before, change.score_after, change.is_correct_before) == (
        Decimal("2.00"),
        Decimal("1.00"),
        True,
    )


def test_the_learner_reads_the_grade_the_feedback_and_why_a_grade_changed(
    client, course, sit, instructor, now
):
    attempt = sit("Zoe")
    client.force_login(attempt.learner)
    result = reverse("attempt_result", args=[attempt.pk])

    waiting = client.get(result)
    assertContains(waiting, "Awaiting grading")
    assertNotContains(waiting, "Full marks")  # the rubric is the grader's
    assertContains(waiting, "1 written answer awaits your instructor’s grade")
    assertContains(waiting, "Your other answers scored 2 of 2 points")
    assertNotContains(waiting, "<strong>Not passed</strong>", html=True)
    course_page = client.get(course.get_absolute_url())
    assertContains(course_page, "Awaiting grading")
    assertContains(client.get(reverse("dashboard")), "awaiting your instructor’s grade")

    grade_essay(
        attempt, 3, by=instructor, now=now + timedelta(days=1), feedback="A precise answer."
    )
    quiz_response_grade(
        response=attempt.responses.get(slot=1),
        score=1,
        by=instructor,
        source=GradeChange.Source.OVERRIDE,
        reason="Half marks: the question was ambiguous.",
        expected_version=0,
        now=now + timedelta(days=2),
    )

    graded = client.get(result)
    assertContains(graded, "<strong>Passed</strong>", html=True)
    assertContains(graded, "Graded by your instructor: 3 of 3 points")
    assertContains(graded, "A precise answer.")
    assertContains(
        graded,
        "Grade changed by your instructor: from 2 to 1 of 2 points. "
        "Why: Half marks: the question was ambiguous.",
    )
    assertContains(graded, "5 Mar 2025")
    assertNotContains(graded, "Ines")  # who changed it is not the learner's business


# --- Answers worth no points: to read and comment on ---------------------------------------------


@pytest.fixture
def reflection(course):
    """A module quiz of one written answer worth no points, with a rubric for the reader."""
    quiz = QuizFactory(module=ModuleFactory(course=course), title="Reflection")
    essay_question(
        quiz=quiz,
        points=Decimal(0),
        text="What would you have told the envoy?",
        rubric="Look for a named interest on each side.",
    )
    return quiz


@pytest.fixture
def reflect(reflection, take_quiz, now):
    """A learner named ``name`` who wrote the reflection ``minutes`` after ``now``."""

    def reflect(name, *, minutes=0, right=True):
        learner = UserFactory(first_name=name, last_name="Learner")
        enrollment_create(learner=learner, course=reflection.course)
        return take_quiz(learner, reflection, now=now + timedelta(minutes=minutes), right=right)

    return reflect


def reflection_of(attempt) -> Response:
    return attempt.responses.get()


def comment_reflection(attempt, *, by, now, feedback):
    """Comment on the attempt's reflection through the service, as another page would have."""
    return quiz_response_grade(
        response=reflection_of(attempt),
        score=0,
        by=by,
        source=GradeChange.Source.GRADED,
        feedback=feedback,
        expected_version=0,
        now=now,
    )


def test_answers_worth_no_points_are_listed_to_read_after_those_awaiting_a_grade(
    as_instructor, course, sit, reflect
):
    reflect("Adam", minutes=1)
    reflect("Blank", minutes=2, right=False)  # nothing written: nothing to read
    sit("Zoe", minutes=5)

    page = queue(as_instructor, course)

    html = page.content.decode()
    assert html.index("Zoe Learner: question 2") < html.index("Adam Learner: question 1")
    assertNotContains(page, "Blank Learner: question")
    assertContains(page, "Read and comment — worth no points", count=1)
    assertContains(page, "Look for a named interest on each side.")
    assertContains(page, "1 answer awaits a grade in this course")
    assertContains(page, "1 answer is to read")
    assertContains(page, "Reflection (1)")
    assertContains(page, "Save comment", count=1)
    assertContains(page, "Save grade", count=1)
    assertContains(page, "Points <span", count=1)  # no points to give a reflection

    to_read = queue(as_instructor, course, show="to-read")
    assertContains(to_read, "Adam Learner: question 1 of Reflection")
    assertNotContains(to_read, "Zoe Learner: question")
    to_grade = queue(as_instructor, course, show="to-grade")
    assertNotContains(to_grade, "Adam Learner: question")
    assertContains(to_grade, "Zoe Learner: question 2")


def test_a_comment_saved_from_the_queue_leaves_it_and_the_learner_reads_it(
    as_instructor, client, course, reflect
):
    attempt = reflect("Adam")
    result = (attempt.score, attempt.percent, attempt.passed)
    back = reverse("teach_grading", args=[course.slug]) + "?show=to-read"

    refused = post_grade(as_instructor, course, reflection_of(attempt), feedback=" ", next=back)
    assertContains(refused, "Write your comment", status_code=400)
    saved = post_grade(
        as_instructor, course, reflection_of(attempt), feedback="Name the envoy's aim.", next=back
    )

    assertRedirects(saved, back, fetch_redirect_response=False)
    followed = as_instructor.get(back)
    assertContains(
        followed, "Saved your comment on Adam Learner’s answer to question 1 of “Reflection”."
    )
    assertNotContains(followed, "Adam Learner: question 1")
    change = GradeChange.objects.get()
    assert (change.source, change.score_before, change.score_after, change.feedback) == (
        "graded",
        Decimal("0.00"),
        Decimal("0.00"),
        "Name the envoy's aim.",
    )
    attempt.refresh_from_db()
    assert (attempt.score, attempt.percent, attempt.passed) == result

    # Changed later, it is an override: the points stay hidden, a reason is asked.
    again = as_instructor.get(grade_url(course, reflection_of(attempt)))
    assertContains(again, "Change comment")
    assertContains(again, "Reason for the change")
    assertNotContains(again, "Points <span")

    client.force_login(attempt.learner)
    page = client.get(reverse("attempt_result", args=[attempt.pk]))
    assertContains(page, "Your instructor’s comment")
    assertContains(page, "Name the envoy&#x27;s aim.")
    assertNotContains(page, "Look for a named interest")  # the rubric is the reader's


def test_a_comment_from_a_stale_page_is_refused_and_shows_the_comment_that_stands(
    as_instructor, course, reflect, now
):
    attempt = reflect("Adam")
    colleague = UserFactory(is_staff=True, first_name="Otto", last_name="Other")
    course.instructors.add(colleague)
    comment_reflection(attempt, by=colleague, now=now, feedback="First read.")

    stale = post_grade(as_instructor, course, reflection_of(attempt), feedback="Second read.")

    page = as_instructor.get(stale["Location"])
    assertContains(page, "Otto Other commented on this answer")
    assertContains(page, "First read.")
    assert GradeChange.objects.count() == 1


def test_the_queue_holds_this_courses_answers_to_grade_then_to_read_and_nothing_else(
    course, exam, sit, reflect, learner, instructor, take_quiz, now
):
    """The answers awaiting a grade and those to read come from two queries joined: the
    queue is still this course's submitted answers alone, each kind oldest first."""
    other = CourseFactory()
    elsewhere = QuizFactory(final=True, course=other)
    essay_question(quiz=elsewhere, position=1)
    reflection_elsewhere = QuizFactory(module=ModuleFactory(course=other))
    essay_question(quiz=reflection_elsewhere, points=Decimal(0))
    stranger = UserFactory()
    enrollment_create(learner=stranger, course=other)
    take_quiz(stranger, elsewhere, now=now)
    take_quiz(stranger, reflection_elsewhere, now=now)
    enrollment_create(learner=learner, course=course)
    quiz_attempt_start(learner=learner, quiz=exam, now=now)  # open: nothing to grade yet
    late, early = sit("Late", minutes=9), sit("Early", minutes=3)
    graded = sit("Graded", minutes=1)
    grade_essay(graded, Decimal(3), by=instructor, now=now)
    read_late, read_early = reflect("ReadLate", minutes=8), reflect("ReadEarly", minutes=2)
    commented = reflect("Commented", minutes=1)
    comment_reflection(commented, by=instructor, now=now, feedback="Read.")
    writing = quiz_attempt_start(learner=learner, quiz=read_late.quiz, now=now)
    quiz_response_save(attempt=writing, slot=1, answer="Half a thought", now=now)
    to_grade = [essay_of(early).pk, essay_of(late).pk]
    to_read = [reflection_of(read_early).pk, reflection_of(read_late).pk]

    def listed(**filters):
        return [r.pk for r in responses_for_grader(course=course, **filters)]

    assert listed() == to_grade + to_read
    assert listed(show=Queue.TO_GRADE) == to_grade
    assert listed(show=Queue.TO_READ) == to_read
    assert listed(learner_id=early.learner_id) == to_grade[:1]
    assert listed(learner_id=read_late.learner_id) == to_read[1:]
    assert listed(learner_id=learner.pk) == []
    assert listed(quiz=exam) == to_grade
    assert grader_queue_by_quiz(course=course) == {exam.pk: (2, 0), read_late.quiz_id: (0, 2)}


# --- Queries ------------------------------------------------------------------------------------


def test_the_queue_costs_the_same_queries_whatever_the_cohort(
    as_instructor, course, sit, django_assert_num_queries
):
    for size, start in ((2, 0), (12, 2)):
        for n in range(start, start + size):
            sit(f"Learner{n:02d}", minutes=n)
        cache.clear()
        # Session, user, course; quizzes; answers by quiz; count; the page of answers.
        with django_assert_num_queries(7):
            page = queue(as_instructor, course)
        assertContains(page, "Save grade", count=min(start + size, teach.ANSWERS_PER_PAGE))


def test_the_queue_costs_the_same_queries_with_answers_to_read(
    as_instructor, course, sit, reflect, django_assert_num_queries
):
    for size, start in ((2, 0), (12, 2)):
        for n in range(start, start + size):
            sit(f"Learner{n:02d}", minutes=n)
            reflect(f"Reader{n:02d}", minutes=n)
        cache.clear()
        with django_assert_num_queries(7):
            page = queue(as_instructor, course, show="to-read")
        assertContains(page, "Save comment", count=min(start + size, teach.ANSWERS_PER_PAGE))
        with django_assert_num_queries(7):
            page = queue(as_instructor, course)
        assertContains(page, "Save grade", count=min(start + size, teach.ANSWERS_PER_PAGE))


def test_the_answer_page_costs_fixed_queries(
    as_instructor, course, sit, django_assert_num_queries
):
    attempt = sit("Zoe")
    essay = essay_of(attempt)
    # Session, user, course; the answer with its attempt, learner and version; its changes.
    with django_assert_num_queries(5):
        as_instructor.get(grade_url(course, essay))

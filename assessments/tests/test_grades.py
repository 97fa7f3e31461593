"""Grades given by people: grading a written answer, overriding a grade, and what follows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from assessments.grades import GradeConflict
from assessments.grading import is_read_and_commented, read_and_commented_sql
from assessments.kinds.base import plain
from assessments.models import Attempt, GradeChange, Response
from assessments.selectors import grade_version
from assessments.services import attempt_rescore, attempt_start
from progress import rules
from progress.models import Certificate, Enrollment
from progress.selectors import course_progress_for_learner
from progress.services import enrollment_create, lesson_complete, quiz_response_grade
from tests.factories import (
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    QuizFactory,
    essay_question,
    single_question,
)

pytestmark = pytest.mark.django_db

Source = GradeChange.Source


@pytest.fixture
def exam():
    """A final exam (the course's only step): a 2-point choice and a 3-point essay; 70% to
    pass, two attempts."""
    course = CourseFactory()
    exam = QuizFactory(final=True, course=course, pass_mark=70, max_attempts=2)
    single_question(quiz=exam, position=1, points=Decimal(2))
    essay_question(quiz=exam, position=2, points=Decimal(3), text="Explain, in a paragraph.")
    return exam


@pytest.fixture
def submitted(exam, learner, now, take_quiz):
    """The learner's attempt at the exam: the choice right, the essay written."""
    enrollment_create(learner=learner, course=exam.course)
    return take_quiz(learner, exam, now=now)


def essay_of(attempt) -> Response:
    return attempt.responses.get(slot=2)


def grade_essay(attempt, score, *, by, now, **fields):
    fields = {"source": Source.GRADED, "expected_version": 0} | fields
    return quiz_response_grade(response=essay_of(attempt), score=score, by=by, now=now, **fields)


def override(response, score, *, by, now, reason, version=0):
    return quiz_response_grade(
        response=response,
        score=score,
        by=by,
        source=Source.OVERRIDE,
        reason=reason,
        expected_version=version,
        now=now,
    )


def test_an_attempt_awaiting_grading_neither_passes_nor_fails(submitted, learner, exam):
    assert submitted.is_awaiting_grading
    progress = course_progress_for_learner(learner=learner, course=exam.course)
    assert progress.final_exam.passed is False
    assert progress.final_exam.awaiting_grading
    assert progress.final_exam.reasons == [
        "Awaiting grading: your instructor has still to grade your written answers"
    ]
    assert progress.final_exam.best_percent is None
    assert not progress.is_complete
    assert not Certificate.objects.exists()


def test_grading_the_essay_gives_the_result_and_the_certificate_once(
    submitted, learner, ines, now
):
    change = grade_essay(
        submitted, "1.5", by=ines, now=now + timedelta(days=1), feedback="Good, but brief."
    )

    attempt = Attempt.objects.get(pk=submitted.pk)
    # 2 + 1.5 of 5 points: 70%, the pass mark.
    assert (attempt.score, attempt.percent, attempt.passed) == (
        Decimal("3.50"),
        Decimal("70.00"),
        True,
    )
    assert change.response.attempt.passed is True
    essay = essay_of(attempt)
    assert (essay.score, essay.is_correct) == (Decimal("1.50"), False)
    certificate = Certificate.objects.get(learner=learner)
    assert certificate.issued_at == now + timedelta(days=1)
    assert Enrollment.objects.get(learner=learner).completed_at == certificate.issued_at

    # Changed again, still a pass: nothing more is issued, the first certificate stands.
    override(
        essay,
        3,
        by=ines,
        now=now + timedelta(days=2),
        reason="Re-read: it covers every point.",
        version=change.pk,
    )
    assert Certificate.objects.filter(learner=learner).get() == certificate
    assert Attempt.objects.get(pk=submitted.pk).percent == Decimal("100.00")


def test_a_low_grade_fails_the_attempt(submitted, learner, ines, now):
    grade_essay(submitted, 0, by=ines, now=now)

    attempt = Attempt.objects.get(pk=submitted.pk)
    assert (attempt.score, attempt.percent, attempt.passed) == (
        Decimal("2.00"),
        Decimal("40.00"),
        False,
    )
    assert essay_of(attempt).is_correct is False
    assert not Certificate.objects.exists()


def test_full_marks_make_the_answer_right(submitted, ines, now):
    grade_essay(submitted, "3.00", by=ines, now=now)

    assert essay_of(submitted).is_correct is True


@pytest.mark.parametrize(
    ("score", "message"),
    [
        ("-0.5", "Give between 0 and 3 points."),
        ("3.01", "Give between 0 and 3 points."),
        ("1.555", "Give the points with at most two decimals."),
        ("lots", "Give the points as a number, such as 2 or 1.5."),
        ("NaN", "Give between 0 and 3 points."),
        ("Infinity", "Give between 0 and 3 points."),
    ],
)
def test_a_grade_outside_the_questions_points_is_refused(submitted, ines, now, score, message):
    with pytest.raises(ValidationError) as refused:
        grade_essay(submitted, score, by=ines, now=now)

    assert refused.value.message_dict == {"score": [message]}
    assert not GradeChange.objects.exists()
    assert essay_of(submitted).score is None
    assert Attempt.objects.get(pk=submitted.pk).is_awaiting_grading


@pytest.mark.parametrize("score", ["-0", "-0.00", "-.0"])
def test_minus_zero_is_graded_as_zero(submitted, ines, now, score):
    change = grade_essay(submitted, score, by=ines, now=now, feedback="Off topic.")

    essay = essay_of(Attempt.objects.get(pk=submitted.pk))
    for kept in (change.score_after, essay.score, GradeChange.objects.get().score_after):
        assert plain(kept) == "0"
    assert essay.is_correct is False


def test_an_override_needs_a_reason_and_keeps_the_automatic_grade_in_the_history(
    submitted, ines, otto, now
):
    choice = submitted.responses.get(slot=1)
    with pytest.raises(ValidationError) as refused:
        override(choice, 1, by=ines, now=now, reason="   ")
    assert "reason" in refused.value.message_dict
    assert not GradeChange.objects.exists()

    first = override(
        choice, 1, by=ines, now=now + timedelta(hours=1), reason="Two options were right."
    )
    second = override(
        choice,
        "0.5",
        by=otto,
        now=now + timedelta(hours=2),
        reason="Quarter marks, as agreed.",
        version=first.pk,
    )

    history = list(
        choice.grade_changes.values_list(
            "source", "score_before", "score_after", "is_correct_before", "is_correct_after", "by"
        )
    )
    assert history == [
        ("override", Decimal("2.00"), Decimal("1.00"), True, False, ines.pk),
        ("override", Decimal("1.00"), Decimal("0.50"), False, False, otto.pk),
    ]
    assert grade_version(choice) == second.pk
    choice.refresh_from_db()
    assert (choice.score, choice.is_correct) == (Decimal("0.50"), False)
    # The essay still awaits its grade: the attempt has no result yet.
    assert Attempt.objects.get(pk=submitted.pk).is_awaiting_grading


def test_a_grade_saved_against_an_older_version_is_refused(submitted, ines, otto, now):
    # Both opened the queue before either saved: both pages carry version 0.
    first = grade_essay(submitted, 2, by=ines, now=now)

    with pytest.raises(GradeConflict) as conflict:
        grade_essay(submitted, 3, by=otto, now=now + timedelta(minutes=1))

    assert str(conflict.value).startswith(f"{ines.get_full_name()} gave this answer 2 of 3 points")
    assert "Nothing was saved" in str(conflict.value)
    assert list(GradeChange.objects.all()) == [first]
    assert essay_of(submitted).score == Decimal("2.00")

    # An override against an old page is refused as well.
    with pytest.raises(GradeConflict):
        grade_essay(submitted, 3, by=otto, now=now, source=Source.OVERRIDE, reason="Better")


def test_grading_an_answer_already_graded_needs_an_override(submitted, ines, now):
    choice = submitted.responses.get(slot=1)

    with pytest.raises(ValidationError, match="override the grade"):
        quiz_response_grade(
            response=choice, score=0, by=ines, source=Source.GRADED, expected_version=0, now=now
        )
    assert not GradeChange.objects.exists()


def test_an_open_attempt_is_not_graded(exam, learner, ines, now):
    enrollment_create(learner=learner, course=exam.course)
    attempt = attempt_start(learner=learner, quiz=exam, now=now)

    with pytest.raises(ValidationError, match="still open"):
        grade_essay(attempt, 1, by=ines, now=now)
    assert not GradeChange.objects.exists()
    assert attempt_rescore(attempt=attempt).score is None


def test_an_attempt_with_two_essays_awaits_until_both_are_graded(learner, ines, now, take_quiz):
    course = CourseFactory()
    exam = QuizFactory(final=True, course=course, pass_mark=50)
    essay_question(quiz=exam, position=1, points=Decimal(1))
    essay_question(quiz=exam, position=2, points=Decimal(1))
    enrollment_create(learner=learner, course=course)
    attempt = take_quiz(learner, exam, now=now)

    quiz_response_grade(
        response=attempt.responses.get(slot=1),
        score=1,
        by=ines,
        source=Source.GRADED,
        expected_version=0,
        now=now,
    )
    assert Attempt.objects.get(pk=attempt.pk).is_awaiting_grading
    assert not Certificate.objects.exists()

    grade_essay(attempt, 0, by=ines, now=now)
    attempt.refresh_from_db()
    assert (attempt.percent, attempt.passed) == (Decimal("50.00"), True)
    assert Certificate.objects.filter(learner=learner).count() == 1


def test_awaiting_grading_is_no_fail_for_gating(learner, ines, now, take_quiz):
    """A sequential course whose first module's quiz has an essay and one attempt: while it
    awaits its grade the learner is not stuck and the next module stays locked; once it is
    graded a pass opens it."""
    course = CourseFactory(sequential=True)
    first = ModuleFactory(course=course, position=1)
    LessonFactory(module=first, position=1)
    ModuleFactory(course=course, position=2)
    LessonFactory(module=course.modules.get(position=2), position=1)
    quiz = QuizFactory(module=first, max_attempts=1, pass_mark=50)
    essay_question(quiz=quiz, points=Decimal(4))
    enrollment_create(learner=learner, course=course)
    lesson_complete(learner=learner, lesson=first.lessons.get(), now=now)
    attempt = take_quiz(learner, quiz, now=now)

    progress = course_progress_for_learner(learner=learner, course=course)
    module = progress.modules[0]
    assert module.quiz.attempts_left == 0
    assert not rules.quiz_stuck(
        passed=module.quiz.passed,
        awaiting_grading=module.quiz.awaiting_grading,
        attempts_left=module.quiz.attempts_left,
    )
    enrolments = Enrollment.objects.filter(course=course)
    assert not enrolments.filter(rules.stuck_sql(quiz)).exists()
    assert enrolments.filter(rules.awaiting_grading_sql(quiz)).count() == 1
    assert module.state == "in_progress"
    assert module.reasons == [
        "Awaiting grading: your instructor has still to grade your written answers"
    ]
    assert progress.modules[1].state == "locked"
    assert progress.next_step is None

    quiz_response_grade(
        response=attempt.responses.get(),
        score=2,
        by=ines,
        source=Source.GRADED,
        expected_version=0,
        now=now,
    )
    progress = course_progress_for_learner(learner=learner, course=course)
    assert progress.modules[0].state == "done"
    assert progress.modules[1].state == "not_started"


def test_history_is_kept_when_the_change_is_refused(submitted, ines, now):
    change = grade_essay(submitted, 2, by=ines, now=now)

    with pytest.raises(ValidationError):
        override(essay_of(submitted), 9, by=ines, now=now, reason="Typo", version=change.pk)
    assert list(GradeChange.objects.values_list("score_after", flat=True)) == [Decimal("2.00")]


# --- Reading and commenting on an answer worth no points --------------------------------------


@pytest.fixture
def reflected(learner, now, take_quiz):
    """The learner's attempt at a final exam of a 2-point choice and a reflection worth no
    points, both answered: passed and certified on submission."""
    exam = QuizFactory(final=True, course=CourseFactory(), pass_mark=70)
    single_question(quiz=exam, position=1, points=Decimal(2))
    essay_question(quiz=exam, position=2, points=Decimal(0), rubric="Names one lesson learnt.")
    enrollment_create(learner=learner, course=exam.course)
    return take_quiz(learner, exam, now=now)


def comment(attempt, text, *, by, now, version=0):
    return grade_essay(attempt, 0, by=by, now=now, feedback=text, expected_version=version)


def test_a_comment_on_an_answer_worth_no_points_is_kept_and_changes_no_result(
    reflected, learner, ines, now
):
    result = (reflected.score, reflected.percent, reflected.passed)
    assert result == (Decimal("2.00"), Decimal("100.00"), True)
    certificate = Certificate.objects.get(learner=learner)

    change = comment(reflected, "Good use of the Vienna example.", by=ines, now=now + timedelta(1))

    assert (change.source, change.score_before, change.score_after, change.by) == (
        Source.GRADED,
        Decimal("0.00"),
        Decimal("0.00"),
        ines,
    )
    assert change.feedback == "Good use of the Vienna example."
    attempt = Attempt.objects.get(pk=reflected.pk)
    assert (attempt.score, attempt.percent, attempt.passed) == result
    assert essay_of(attempt).score == Decimal("0.00")
    assert Certificate.objects.filter(learner=learner).get() == certificate
    assert Enrollment.objects.get(learner=learner).completed_at == now


def test_a_comment_without_words_is_refused(reflected, ines, now):
    with pytest.raises(ValidationError) as refusal:
        comment(reflected, "   ", by=ines, now=now)

    assert "Write your comment" in refusal.value.message_dict["feedback"][0]
    assert not GradeChange.objects.exists()


def test_a_comment_is_changed_only_by_an_override_with_a_reason(reflected, ines, otto, now):
    first = comment(reflected, "Name a source.", by=ines, now=now)

    with pytest.raises(ValidationError, match="graded already"):
        comment(reflected, "Name two sources.", by=ines, now=now, version=first.pk)
    with pytest.raises(ValidationError, match="Say why"):
        override(essay_of(reflected), 0, by=ines, now=now, reason="", version=first.pk)
    changed = quiz_response_grade(
        response=essay_of(reflected),
        score=0,
        by=otto,
        source=Source.OVERRIDE,
        reason="The module asks for two.",
        feedback="Name two sources.",
        expected_version=first.pk,
        now=now + timedelta(hours=1),
    )

    history = list(GradeChange.objects.order_by("pk").values_list("source", "feedback"))
    assert history == [(Source.GRADED, "Name a source."), (Source.OVERRIDE, "Name two sources.")]
    assert changed.reason == "The module asks for two."
    assert Attempt.objects.get(pk=reflected.pk).percent == Decimal("100.00")


def test_two_instructors_commenting_at_once_keep_the_first_comment(reflected, ines, otto, now):
    # Both opened the queue before either saved: both pages carry version 0.
    first = comment(reflected, "Well argued.", by=ines, now=now)

    with pytest.raises(GradeConflict) as conflict:
        comment(reflected, "Too short.", by=otto, now=now + timedelta(minutes=1))

    assert str(conflict.value).startswith(f"{ines.get_full_name()} commented on this answer")
    assert list(GradeChange.objects.all()) == [first]


def test_a_blank_reflection_or_an_essay_worth_points_is_not_commented_as_a_first_grade(
    learner, submitted, ines, now, take_quiz
):
    graded = grade_essay(submitted, 2, by=ines, now=now)
    with pytest.raises(ValidationError, match="graded already"):
        grade_essay(submitted, 3, by=ines, now=now, expected_version=graded.pk, feedback="Yes")

    exam = QuizFactory(final=True, course=CourseFactory())
    essay_question(quiz=exam, points=Decimal(0))
    enrollment_create(learner=learner, course=exam.course)
    blank = take_quiz(learner, exam, now=now, right=False)
    with pytest.raises(ValidationError, match="graded already"):
        quiz_response_grade(
            response=blank.responses.get(),
            score=0,
            by=ines,
            source=Source.GRADED,
            feedback="Nothing written?",
            expected_version=0,
            now=now,
        )
    assert list(GradeChange.objects.all()) == [graded]


def test_the_queue_finds_the_answers_to_read_as_the_rule_reads_them(
    reflected, submitted, learner, now, take_quiz
):
    exam = QuizFactory(final=True, course=CourseFactory())
    essay_question(quiz=exam, points=Decimal(0), position=1)
    single_question(quiz=exam, points=Decimal(0), position=2)
    enrollment_create(learner=learner, course=exam.course)
    take_quiz(learner, exam, now=now, right=False)  # a blank reflection, a wrong 0-point choice

    by_rule = {r.pk for r in Response.objects.all() if is_read_and_commented(r.shown, r.answer)}
    in_sql = set(Response.objects.filter(read_and_commented_sql()).values_list("pk", flat=True))

    assert by_rule == in_sql == {essay_of(reflected).pk}

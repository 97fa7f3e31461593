"""Regrading past answers after a key fix: the dry run, applying it, and what follows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from assessments import regrade as regrade_module
from assessments.grading import grade, shown_for_learner
from assessments.models import Attempt, Choice, GradeChange, Question, Response
from assessments.regrade import question_regrade_plan
from progress import cohort
from progress.models import Certificate
from progress.services import (
    enrollment_create,
    question_regrade,
    quiz_attempt_start,
    quiz_attempt_submit,
    quiz_response_grade,
    quiz_response_save,
)
from tests.concurrency import run_at_once
from tests.factories import (
    CourseFactory,
    QuizFactory,
    UserFactory,
    essay_question,
    matching_question,
    multiple_question,
    numerical_question,
    row_counts,
    short_question,
    single_question,
)
from tests.test_concurrency import needs_postgresql

pytestmark = pytest.mark.django_db

REASON = "The key named Rome; the treaty was signed in Paris."


@pytest.fixture
def exam():
    """A course whose only step is a final exam of two 1-point questions, 60% to pass: the
    first keyed wrong (Rome, where the answer is Paris)."""
    course = CourseFactory(title="Treaties")
    exam = QuizFactory(final=True, course=course, pass_mark=60, max_attempts=3)
    single_question(
        quiz=exam, position=1, text="Where was it signed?", choices=[("Rome", 100), ("Paris", 0)]
    )
    single_question(
        quiz=exam, position=2, text="Was it ratified?", choices=[("Yes", 100), ("No", 0)]
    )
    return exam


def choice_id(response: Response, text: str) -> int:
    return next(choice["id"] for choice in response.shown["choices"] if choice["text"] == text)


def sit(learner, quiz, answers: list, *, now, submit=True) -> Attempt:
    """``learner`` enrols and takes ``quiz``, answering question n with ``answers[n - 1]``
    (a choice's text for a choice question, else the stored answer)."""
    enrollment_create(learner=learner, course=quiz.course)
    attempt = quiz_attempt_start(learner=learner, quiz=quiz, now=now)
    for response, answer in zip(attempt.responses.order_by("slot"), answers, strict=True):
        if response.shown["kind"] in ("single", "true_false"):
            answer = choice_id(response, answer)
        elif response.shown["kind"] == "multiple":
            answer = [choice_id(response, text) for text in answer]
        quiz_response_save(attempt=attempt, slot=response.slot, answer=answer, now=now)
    return quiz_attempt_submit(attempt=attempt, now=now) if submit else attempt


def fix_key(question: Question, **weights) -> None:
    """Set the weights of the question's choices by text, as the admin saves them."""
    for choice in question.choices.all():
        if choice.text in weights:
            choice.weight = Decimal(weights[choice.text])
            choice.save()


@pytest.fixture
def cohort_sat(exam, now):
    """Four learners sat the exam before the fix: Ada answered Paris (right, marked wrong),
    Bob and Cy Rome; Ada and Bob got question 2 right, Cy and Dee wrong; Dee answered Paris,
    and her instructor has already overridden that answer's grade by hand."""
    names = ["Ada", "Bob", "Cy", "Dee"]
    learners = {name: UserFactory(first_name=name, last_name="Learner") for name in names}
    sat = {
        "Ada": sit(learners["Ada"], exam, ["Paris", "Yes"], now=now),
        "Bob": sit(learners["Bob"], exam, ["Rome", "Yes"], now=now),
        "Cy": sit(learners["Cy"], exam, ["Rome", "No"], now=now),
        "Dee": sit(learners["Dee"], exam, ["Paris", "No"], now=now),
    }
    ines = UserFactory(first_name="Ines", last_name="Instructor", is_staff=True)
    quiz_response_grade(
        response=sat["Dee"].responses.get(slot=1),
        score=1,
        by=ines,
        source=GradeChange.Source.OVERRIDE,
        reason="Paris is right: the key is wrong.",
        expected_version=0,
        now=now,
    )
    fix_key(exam.questions.get(position=1), Rome=0, Paris=100)
    return learners, sat, ines


def results(quiz) -> dict[int, tuple]:
    return {a.pk: (a.score, a.percent, a.passed) for a in Attempt.objects.filter(quiz=quiz)}


def first_question(exam) -> Question:
    return Question.objects.select_related("quiz", "lesson").get(quiz=exam, position=1)


# --- The dry run -----------------------------------------------------------------------------


def test_the_dry_run_lists_every_attempt_whose_score_changes_and_writes_nothing(exam, cohort_sat):
    counts, shown = row_counts(), list(Response.objects.values_list("shown", flat=True))
    before = results(exam)

    plan = question_regrade_plan(question=first_question(exam))

    assert [
        (
            change.attempt.learner.first_name,
            change.score_before,
            change.score_after,
            change.result_before.percent,
            change.result_after.percent,
            change.result_before.passed,
            change.result_after.passed,
        )
        for change in plan.changes
    ] == [
        ("Ada", 0, 1, 50, 100, False, True),
        ("Bob", 1, 0, 100, 50, True, False),
        ("Cy", 1, 0, 50, 0, False, False),
    ]
    assert [
        (c.learner.first_name, c.passes_before, c.passes_after) for c in plan.pass_changes
    ] == [
        ("Ada", False, True),
        ("Bob", True, False),
    ]
    assert [(item.attempt.learner.first_name, item.why) for item in plan.left_alone] == [
        ("Dee", "Its grade was overridden by hand on 3 Mar 2025: that grade stands.")
    ]
    assert row_counts() == counts
    assert list(Response.objects.values_list("shown", flat=True)) == shown
    assert results(exam) == before


def test_the_dry_run_reads_in_a_fixed_number_of_queries(exam, now, django_assert_num_queries):
    question = first_question(exam)
    for size, start in ((2, 0), (6, 2)):
        for n in range(start, start + size):
            sit(UserFactory(username=f"l{n}"), exam, ["Rome", "Yes"], now=now)
        fix_key(question, Rome=0, Paris=100)
        # choices; answers with their attempts, learners and latest change; other attempts
        with django_assert_num_queries(3):
            plan = question_regrade_plan(question=question)
        assert len(plan.changes) == size + start
        fix_key(question, Rome=100, Paris=0)


# --- Applying it -----------------------------------------------------------------------------


def test_applying_changes_exactly_the_attempts_the_dry_run_listed(exam, cohort_sat, now):
    _, _, ines = cohort_sat
    question = first_question(exam)
    plan = question_regrade_plan(question=question)
    before = results(exam)

    outcome = question_regrade(
        question=question, by=ines, reason=REASON, now=now + timedelta(days=1)
    )

    after = results(exam)
    changed = {pk for pk in after if after[pk] != before[pk]}
    assert changed == {change.attempt.pk for change in plan.changes}
    for change in plan.changes:
        assert after[change.attempt.pk] == (
            change.result_after.score,
            change.result_after.percent,
            change.result_after.passed,
        )
    assert [c.attempt.pk for c in outcome.changes] == [c.attempt.pk for c in plan.changes]
    regrades = GradeChange.objects.filter(source=GradeChange.Source.REGRADE)
    assert sorted(
        (change.response.attempt.learner.first_name, change.score_before, change.score_after)
        for change in regrades
    ) == [("Ada", 0, 1), ("Bob", 1, 0), ("Cy", 1, 0)]
    assert {(change.by, change.reason, change.created_at) for change in regrades} == {
        (ines, REASON, now + timedelta(days=1))
    }


def test_applying_twice_changes_nothing_the_second_time(exam, cohort_sat, now):
    _, _, ines = cohort_sat
    question = first_question(exam)
    question_regrade(question=question, by=ines, reason=REASON, now=now)
    counts, before = row_counts(), results(exam)
    shown = list(Response.objects.order_by("pk").values_list("shown", flat=True))

    again = question_regrade(question=question, by=ines, reason=REASON, now=now)

    assert again.changes == [] and again.rekeyed == 0
    assert question_regrade_plan(question=question).changes == []
    assert row_counts() == counts
    assert results(exam) == before
    assert list(Response.objects.order_by("pk").values_list("shown", flat=True)) == shown


def test_a_grade_given_by_hand_is_left_alone(exam, cohort_sat, now):
    _, sat, ines = cohort_sat
    dee = sat["Dee"].responses.get(slot=1)

    outcome = question_regrade(question=first_question(exam), by=ines, reason=REASON, now=now)

    assert [item.attempt.pk for item in outcome.left_alone] == [sat["Dee"].pk]
    untouched = Response.objects.get(pk=dee.pk)
    assert (untouched.shown, untouched.score) == (dee.shown, dee.score)
    assert list(untouched.grade_changes.values_list("source", flat=True)) == ["override"]


def test_a_learner_who_no_longer_passes_keeps_the_certificate_and_is_flagged(
    exam, cohort_sat, now
):
    learners, sat, ines = cohort_sat
    bob = learners["Bob"]
    certificate = Certificate.objects.get(learner=bob)

    outcome = question_regrade(question=first_question(exam), by=ines, reason=REASON, now=now)

    assert [change.learner for change in outcome.no_longer_passing] == [bob]
    assert Certificate.objects.get(learner=bob) == certificate
    assert Attempt.objects.get(pk=sat["Bob"].pk).passed is False
    flags = cohort.regrade_flags(exam.course, [exam])
    # Cy lost points too and does not pass; Bob holds the certificate.
    assert [(flag.learner.first_name, flag.certified) for flag in flags] == [
        ("Bob", True),
        ("Cy", False),
    ]


def test_a_learner_who_now_passes_gets_the_certificate_once(exam, cohort_sat, now):
    learners, _, ines = cohort_sat
    ada = learners["Ada"]
    assert not Certificate.objects.filter(learner=ada).exists()
    later = now + timedelta(days=2)

    outcome = question_regrade(question=first_question(exam), by=ines, reason=REASON, now=later)

    assert [change.learner for change in outcome.now_passing] == [ada]
    assert Certificate.objects.get(learner=ada).issued_at == later
    # The key put back and fixed again: Ada fails, then passes again; one certificate.
    question = first_question(exam)
    fix_key(question, Rome=100, Paris=0)
    question_regrade(question=question, by=ines, reason="Undone by mistake", now=later)
    fix_key(question, Rome=0, Paris=100)
    question_regrade(question=question, by=ines, reason=REASON, now=later + timedelta(days=1))
    assert Certificate.objects.filter(learner=ada).count() == 1
    assert Certificate.objects.get(learner=ada).issued_at == later


def test_the_history_keeps_every_old_score_and_the_snapshot_its_old_key(exam, cohort_sat, now):
    _, sat, ines = cohort_sat
    ada = Response.objects.get(attempt=sat["Ada"], slot=1)
    shown_before = ada.shown

    question_regrade(question=first_question(exam), by=ines, reason=REASON, now=now)

    ada.refresh_from_db()
    assert ada.grade_changes.get().score_before == 0
    # What Ada saw is as she saw it: text, points, choices in their order, tokens.
    for key in ("text", "points", "question_id"):
        assert ada.shown[key] == shown_before[key]
    seen = [(c["id"], c["token"], c["text"]) for c in ada.shown["choices"]]
    assert seen == [(c["id"], c["token"], c["text"]) for c in shown_before["choices"]]
    # The key is the corrected one, and the replaced key is kept in the snapshot.
    assert {c["text"]: c["weight"] for c in ada.shown["choices"]} == {
        "Paris": "100.0000000",
        "Rome": "0.0000000",
    }
    assert ada.shown["earlier_keys"] == [
        {
            "replaced_at": now.isoformat(),
            "choices": shown_before["choices"],
            "explanation": shown_before["explanation"],
        }
    ]
    assert "earlier_keys" not in shown_for_learner(ada.shown)
    assert (ada.score, ada.is_correct) == (1, True)


def test_an_open_attempt_gets_the_corrected_key_and_is_graded_by_it(exam, now):
    learner = UserFactory()
    attempt = sit(learner, exam, ["Paris", "Yes"], now=now, submit=False)
    fix_key(exam.questions.get(position=1), Rome=0, Paris=100)
    ines = UserFactory(is_staff=True)

    outcome = question_regrade(question=first_question(exam), by=ines, reason=REASON, now=now)
    assert (outcome.changes, outcome.rekeyed) == ([], 1)

    submitted = quiz_attempt_submit(attempt=attempt, now=now + timedelta(minutes=5))
    assert (submitted.percent, submitted.passed) == (100, True)
    assert not GradeChange.objects.exists()


def test_what_was_corrected_must_be_said_and_nothing_is_written_without(exam, cohort_sat, now):
    _, _, ines = cohort_sat
    counts = row_counts()
    with pytest.raises(ValidationError) as refused:
        question_regrade(question=first_question(exam), by=ines, reason="  ", now=now)
    assert refused.value.message_dict == {
        "reason": ["Say what you corrected: learners read it beside their new score."]
    }
    assert row_counts() == counts


def test_an_attempt_that_cannot_be_regraded_stops_none_of_the_others(
    exam, cohort_sat, now, monkeypatch
):
    _, sat, ines = cohort_sat
    rescore = regrade_module.attempt_rescore

    def fails_for_bob(*, attempt):
        if attempt.pk == sat["Bob"].pk:
            raise RuntimeError("disk full")
        return rescore(attempt=attempt)

    monkeypatch.setattr(regrade_module, "attempt_rescore", fails_for_bob)
    bob = Response.objects.get(attempt=sat["Bob"], slot=1)

    outcome = question_regrade(question=first_question(exam), by=ines, reason=REASON, now=now)

    assert outcome.failed == [sat["Bob"].pk]
    assert {c.attempt.learner.first_name for c in outcome.changes} == {"Ada", "Cy"}
    # Bob's attempt is as it was: its transaction rolled back whole.
    untouched = Response.objects.get(pk=bob.pk)
    assert (untouched.shown, untouched.score) == (bob.shown, bob.score)
    assert not untouched.grade_changes.exists()
    assert Attempt.objects.get(pk=sat["Bob"].pk).passed is True


def test_written_answers_are_never_regraded(now):
    course = CourseFactory()
    exam = QuizFactory(final=True, course=course)
    essay = essay_question(quiz=exam, points=2)
    plan = question_regrade_plan(question=essay)
    assert plan.refused.startswith("Written answers are graded by people")
    with pytest.raises(ValidationError):
        question_regrade(question=essay, by=None, reason=REASON, now=now)


# --- What a key fix means for each kind ------------------------------------------------------


@pytest.fixture
def quiz_of():
    def make(build, **fields):
        exam = QuizFactory(final=True, course=CourseFactory(), pass_mark=50)
        return build(quiz=exam, position=1, **fields)

    return make


def regraded_score(question: Question, answer_before, fix, *, now, kind_answer=None):
    """The score of ``answer_before`` (as ``sit`` takes it) before and after ``fix`` and a
    regrade."""
    attempt = sit(UserFactory(), question.quiz, [answer_before], now=now)
    before = attempt.responses.get().score
    fix(question)
    question_regrade(
        question=Question.objects.select_related("quiz", "lesson").get(pk=question.pk),
        by=None,
        reason=REASON,
        now=now,
    )
    return before, attempt.responses.get().score


def test_a_short_answer_accepted_since_scores(quiz_of, now):
    question = quiz_of(short_question, answers=[("Treaty of Paris", 100)])

    def accept_more(question):
        Choice.objects.create(question=question, position=2, text="Paris", weight=100)

    assert regraded_score(question, "paris", accept_more, now=now) == (0, 1)


def test_a_numerical_tolerance_widened_scores(quiz_of, now):
    question = quiz_of(numerical_question, answers=[("1648", "0", 100)])

    def widen(question):
        choice = question.choices.get()
        choice.tolerance = Decimal(2)
        choice.save()

    assert regraded_score(question, "1647", widen, now=now) == (0, 1)


def test_a_matching_pair_corrected_scores_for_those_who_paired_it_so(quiz_of, now):
    question = quiz_of(matching_question, pairs=[("Helsinki", "Sweden"), ("Stockholm", "Finland")])
    attempt = sit(
        UserFactory(), question.quiz, [{}], now=now, submit=False
    )  # the learner pairs as the truth has it
    response = attempt.responses.get()
    ids = {c["text"]: str(c["id"]) for c in response.shown["choices"]}
    quiz_response_save(
        attempt=attempt,
        slot=1,
        answer={ids["Helsinki"]: "Finland", ids["Stockholm"]: "Sweden"},
        now=now,
    )
    quiz_attempt_submit(attempt=attempt, now=now)
    assert attempt.responses.get().score == 0
    for choice in question.choices.all():
        choice.match_text = {"Helsinki": "Finland", "Stockholm": "Sweden"}[choice.text]
        choice.save()

    question_regrade(question=first_question(question.quiz), by=None, reason=REASON, now=now)

    assert attempt.responses.get().score == 1


def test_multiple_answer_weights_fixed_score_again(quiz_of, now):
    question = quiz_of(
        multiple_question, choices=[("A", 100), ("B", 0), ("C", -100)]
    )  # the key forgot that B is right too

    def split(question):
        fix_key(question, A=50, B=50)

    assert regraded_score(question, ["A", "B"], split, now=now) == (1, 1)
    question2 = quiz_of(multiple_question, choices=[("A", 100), ("B", 0), ("C", -100)])
    assert regraded_score(question2, ["A"], split, now=now) == (1, Decimal("0.5"))


def test_a_choice_removed_since_scores_nothing_and_one_added_was_never_seen(quiz_of, now):
    question = quiz_of(single_question, choices=[("Rome", 100), ("Paris", 0), ("Vienna", 0)])

    def remove_rome_add_berlin(question):
        question.choices.get(text="Rome").delete()
        fix_key(question, Paris=100)
        Choice.objects.create(question=question, position=4, text="Berlin", weight=100)

    attempt = sit(UserFactory(), question.quiz, ["Rome"], now=now)
    remove_rome_add_berlin(question)
    question_regrade(question=first_question(question.quiz), by=None, reason=REASON, now=now)

    response = attempt.responses.get()
    assert response.score == 0
    # Rome keeps its text (the review still says what was answered), worth nothing now;
    # Berlin was not shown, so it is not among the choices.
    assert [(c["text"], c["weight"]) for c in response.shown["choices"]] == [
        ("Paris", "100.0000000"),
        ("Rome", "0.0000000"),
        ("Vienna", "0.0000000"),
    ]
    assert grade(response.shown, response.answer).score == 0


def test_an_answer_to_the_question_when_it_was_of_another_kind_is_left_alone(quiz_of, now):
    question = quiz_of(single_question, choices=[("Rome", 100), ("Paris", 0)])
    sit(UserFactory(), question.quiz, ["Paris"], now=now)
    question.kind = Question.Kind.MULTIPLE
    question.save()

    plan = question_regrade_plan(question=first_question(question.quiz))

    assert [item.why for item in plan.left_alone] == [
        "Answered when the question was single choice, not multiple answer: "
        "override its grade if it must change."
    ]


# --- The command -----------------------------------------------------------------------------


def test_the_command_says_what_would_change_then_regrades_with_apply(exam, cohort_sat, capsys):
    question = first_question(exam)
    counts = row_counts()

    call_command("regrade_question", str(question.pk), "--reason", REASON)
    said = capsys.readouterr().out
    assert "Ada Learner, attempt 1: 0 → 1 points, 50% → 100%" in said
    assert "Bob Learner no longer passes (certificate kept)" in said
    assert "Nothing was changed" in said
    assert row_counts() == counts

    call_command("regrade_question", str(question.pk), "--reason", REASON, "--apply")
    assert "Changed 3 attempts" in capsys.readouterr().out
    assert set(
        GradeChange.objects.filter(source=GradeChange.Source.REGRADE).values_list("by", "reason")
    ) == {(None, REASON)}
    with pytest.raises(CommandError, match="No question 0"):
        call_command("regrade_question", "0", "--reason", REASON)


# --- A learner submitting while the instructor regrades ---------------------------------------


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_regrade_and_a_learner_submitting_at_once_leave_the_corrected_grade(exam):
    """Either the regrade comes first (the open attempt gets the corrected key, and is graded
    by it when handed in) or the submission does (graded by the old key, then regraded, with
    the change in the history): the learner ends with the corrected grade either way."""
    from django.utils import timezone

    now = timezone.now()
    learner = UserFactory()
    attempt = sit(learner, exam, ["Paris", "Yes"], now=now, submit=False)
    fix_key(exam.questions.get(position=1), Rome=0, Paris=100)
    ines = UserFactory(is_staff=True)
    question = first_question(exam)

    pending = [
        lambda: question_regrade(question=question, by=ines, reason=REASON),
        lambda: quiz_attempt_submit(attempt=attempt),
    ]
    _, errors = run_at_once(lambda: pending.pop()(), times=2)

    assert errors == []
    attempt = Attempt.objects.get(pk=attempt.pk)
    response = attempt.responses.get(slot=1)
    assert (response.score, attempt.percent, attempt.passed) == (1, 100, True)
    assert grade(response.shown, response.answer).score == 1
    changes = list(response.grade_changes.all())
    assert [(c.score_before, c.score_after) for c in changes] in ([], [(0, 1)])
    assert Certificate.objects.filter(learner=learner).count() == 1


def test_a_regrade_cut_short_by_its_time_carries_on_where_it_stopped(exam, cohort_sat, now):
    """A web request must answer: given no time at all, each run regrades one attempt, says
    how many answers are left, and runs one after the other end as one whole run would."""
    _, _, ines = cohort_sat
    question = first_question(exam)
    planned = {
        c.attempt.pk: c.result_after for c in question_regrade_plan(question=question).changes
    }

    runs = []
    while not runs or runs[-1].unfinished:
        runs.append(
            question_regrade(question=question, by=ines, reason=REASON, now=now, seconds=0)
        )

    assert [run.unfinished for run in runs] == [2, 1, 0]
    assert {
        pk: (score, percent, passed)
        for pk, (score, percent, passed) in results(exam).items()
        if pk in planned
    } == {pk: (r.score, r.percent, r.passed) for pk, r in planned.items()}
    assert question_regrade_plan(question=question).changes == []

"""Cohort selectors: they must tell every learner's story as course_progress_for_learner does.

Each rule of ``progress.rules`` is read in Python by ``course_progress_for_learner`` and
as its SQL twin by the cohort pages; these tests hold each pair to the same answer,
learner by learner: module state (``module_state`` / ``module_state_sql`` and
``module_state_conditions``), module done, started and quiz passed, percent done.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Q

from assessments.grading import question_snapshot
from assessments.models import Quiz, through
from assessments.services import quiz_override_grant
from lessons.models import Status
from lessons.selectors import courses_taught
from progress import cohort, rules
from progress.models import Enrollment
from progress.selectors import course_progress_for_learner
from progress.services import (
    enrollment_create,
    lesson_complete,
    quiz_attempt_start,
)
from tests.factories import (
    NOW,
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    QuizFactory,
    UserFactory,
    built_once,
    complete_module,
    course_with_modules,
    essay_question,
    matching_question,
    multiple_question,
    numerical_question,
    short_question,
    single_question,
    take_quiz,
    true_false_question,
)

pytestmark = pytest.mark.django_db


def modules_of(course):
    return list(course.modules.order_by("position"))


def lessons_of(module):
    return list(module.lessons.order_by("position"))


@pytest.fixture(scope="class", params=[True, False], ids=["sequential", "open order"])
def cohort_course(request, django_db_setup, django_db_blocker):
    """Three modules (the third with a draft lesson), a draft fourth module, a final exam,
    and learners at every stage. Returns (course, {name: learner}).

    Built once for the tests of ``TestOneCohort``, which only read it."""
    with built_once(django_db_blocker):
        yield _cohort_build(sequential=request.param)


def _cohort_build(*, sequential: bool):
    now = NOW
    course = course_with_modules(modules=3, lessons=2, sequential=sequential)
    first, second, third = modules_of(course)
    LessonFactory(module=third, position=9, title="Draft lesson", status=Status.DRAFT)
    draft = ModuleFactory(course=course, position=4, title="Draft module", status=Status.DRAFT)
    LessonFactory(module=draft, position=1)
    exam = course.quizzes.get(kind="final")
    learners = {}

    def learner(name):
        learners[name] = UserFactory(first_name=name.capitalize(), last_name="Tester")
        enrollment_create(learner=learners[name], course=course)
        return learners[name]

    learner("fresh")
    lesson_complete(learner=learner("reading"), lesson=lessons_of(first)[0], now=now)
    failed = learner("failed")
    complete_module(failed, first, now=now, quiz=False)
    take_quiz(failed, first.quiz, now=now, right=False)
    # An attempt started and not submitted is no progress yet, as the learner sees it.
    quiz_attempt_start(learner=learner("opened"), quiz=first.quiz, now=now)
    complete_module(learner("one done"), first, now=now)
    two = learner("two done")
    complete_module(two, first, now=now)
    complete_module(two, second, now=now)
    lesson_complete(learner=two, lesson=lessons_of(third)[1], now=now)
    if not course.sequential:
        # Out of order: module 2 done while module 1 is not.
        complete_module(learner("skipper"), second, now=now)
    finished = learner("finished")
    for module in (first, second, third):
        complete_module(finished, module, now=now)
    take_quiz(finished, exam, now=now + timedelta(hours=1))
    waiting = learner("exam failed")
    for module in (first, second, third):
        complete_module(waiting, module, now=now)
    take_quiz(waiting, exam, now=now, right=lambda slot: slot == 1)
    # Out of attempts at the first quiz (two allowed), and granted one more: used or not.
    Quiz.objects.filter(pk=first.quiz.pk).update(max_attempts=2)
    first.quiz.refresh_from_db()
    teacher = UserFactory(is_staff=True)
    for name, granted, retakes in [("stuck", 0, 0), ("granted", 1, 0), ("granted used", 1, 1)]:
        failing = learner(name)
        for _ in range(2):
            take_quiz(failing, first.quiz, now=now, right=False)
        if granted:
            quiz_override_grant(
                quiz=first.quiz,
                learner=failing,
                granted_by=teacher,
                reason="Ill",
                extra_attempts=granted,
            )
        for _ in range(retakes):
            take_quiz(failing, first.quiz, now=now, right=False)
    # Out of attempts too, both awaiting the grade of an essay added to the quiz: not stuck.
    essay_question(quiz=first.quiz, position=9)
    waiting_grade = learner("awaiting grading")
    for _ in range(2):
        take_quiz(waiting_grade, first.quiz, now=now)
    # Content added after a learner finished: the course stays complete for them.
    LessonFactory(module=third, position=10, title="Added later")
    return course, learners


class TestOneCohort:
    """Every rule read by the cohort pages, against one cohort built for the class."""

    def test_matrix_cells_agree_with_each_learners_own_progress(self, cohort_course):
        course, learners = cohort_course
        outline = cohort.course_outline(course)

        rows = cohort.matrix_rows(outline, list(cohort.cohort_learners(outline)))

        assert len(rows) == len(learners)
        for row in rows:
            progress = course_progress_for_learner(learner=row.learner, course=course)
            name = row.learner.first_name
            assert [c.state for c in row.cells] == [m.state for m in progress.modules], name
            assert [c.lessons_read for c in row.cells] == [
                sum(item.done for item in m.lessons) for m in progress.modules
            ], name
            assert [c.best_percent for c in row.cells] == [
                m.quiz.best_percent for m in progress.modules
            ], name
            assert row.percent == progress.percent, name

    def test_each_module_fact_and_its_sql_twin_agree_learner_by_learner(self, cohort_course):
        course, learners = cohort_course
        outline = cohort.course_outline(course)
        enrollments = Enrollment.objects.filter(course=course)
        progress = {
            learner.pk: course_progress_for_learner(learner=learner, course=course)
            for learner in learners.values()
        }

        def who(condition):
            return set(enrollments.filter(condition).values_list("learner", flat=True))

        for index, module in enumerate(outline.modules):
            facts = {"lesson_ids": module.lesson_ids, "quiz": module.visible_quiz}
            mine = {pk: p.modules[index] for pk, p in progress.items()}
            assert who(rules.module_done_sql(**facts)) == {
                pk for pk, m in mine.items() if m.is_complete
            }, module.title
            assert who(rules.module_started_sql(**facts)) == {
                pk
                for pk, m in mine.items()
                if any(item.done for item in m.lessons) or (m.quiz and m.quiz.attempts_used)
            }, module.title
            assert who(rules.quiz_passed_sql(module.visible_quiz)) == {
                pk for pk, m in mine.items() if m.quiz.passed
            }, module.title
            assert who(rules.out_of_attempts_sql(module.visible_quiz)) == {
                pk for pk, m in mine.items() if m.quiz.attempts_left == 0
            }, module.title
            assert who(rules.awaiting_grading_sql(module.visible_quiz)) == {
                pk for pk, m in mine.items() if m.quiz.awaiting_grading
            }, module.title
            assert who(rules.stuck_sql(module.visible_quiz)) == {
                pk
                for pk, m in mine.items()
                if rules.quiz_stuck(
                    passed=m.quiz.passed,
                    awaiting_grading=m.quiz.awaiting_grading,
                    attempts_left=m.quiz.attempts_left,
                )
            }, module.title
        assert who(rules.quiz_passed_sql(outline.final_exam)) == {
            pk for pk, p in progress.items() if p.final_exam.passed
        }

    def test_the_cohort_holds_learners_out_of_attempts_with_and_without_a_grant(
        self, cohort_course
    ):
        """Guards the test above: attempts left is compared where a grant changes it, and stuck
        where an attempt awaits its grade."""
        course, learners = cohort_course
        first = cohort.course_outline(course).modules[0]

        left = {
            name: course_progress_for_learner(learner=learners[name], course=course)
            .modules[0]
            .quiz.attempts_left
            for name in ("stuck", "granted", "granted used")
        }

        assert left == {"stuck": 0, "granted": 1, "granted used": 0}
        assert first.visible_quiz.overrides.count() == 2
        waiting = course_progress_for_learner(learner=learners["awaiting grading"], course=course)
        assert waiting.modules[0].quiz.attempts_left == 0
        assert waiting.modules[0].quiz.awaiting_grading

    def test_the_cohort_holds_every_state(self, cohort_course):
        """Guards the test above: it compares something in each state."""
        course, _ = cohort_course
        outline = cohort.course_outline(course)
        rows = cohort.matrix_rows(outline, list(cohort.cohort_learners(outline)))

        states = {cell.state for row in rows for cell in row.cells}

        expected = {"done", "in_progress", "not_started"} | (
            {"locked"} if course.sequential else set()
        )
        assert states == expected

    def test_filtering_by_module_state_finds_the_learners_in_that_state(self, cohort_course):
        course, learners = cohort_course
        outline = cohort.course_outline(course)
        progress = {
            learner.pk: course_progress_for_learner(learner=learner, course=course)
            for learner in learners.values()
        }

        for index, module in enumerate(outline.modules):
            for state in cohort.STATES:
                found = cohort.cohort_learners(outline, module=module, state=state)
                expected = {pk for pk, p in progress.items() if p.modules[index].state == state}
                assert {e.learner_id for e in found} == expected, (module.title, state)

    def test_the_funnel_counts_learners_who_completed_each_step(self, cohort_course):
        course, learners = cohort_course
        outline = cohort.course_outline(course)
        progress = [
            course_progress_for_learner(learner=learner, course=course)
            for learner in learners.values()
        ]

        funnel = cohort.course_funnel(outline)

        assert funnel.enrolled == len(learners)
        assert funnel.completed == 1
        modules = [sum(p.modules[i].is_complete for p in progress) for i in range(3)]
        assert [step.learners for step in funnel.steps] == [*modules, 1, 1]
        assert [step.label for step in funnel.steps] == [
            "Module 1: Module 1",
            "Module 2: Module 2",
            "Module 3: Module 3",
            "Final exam passed",
            "Certificate issued",
        ]
        assert funnel.steps[0].share == 100 * modules[0] // len(learners)

    def test_sorting_by_progress_and_last_activity(self, cohort_course, now):
        course, learners = cohort_course
        outline = cohort.course_outline(course)

        by_progress = list(cohort.cohort_learners(outline, sort="-progress"))
        least_first = list(cohort.cohort_learners(outline, sort="progress"))
        by_activity = list(cohort.cohort_learners(outline, sort="-activity"))

        percents = [e.percent for e in by_progress]
        assert percents == sorted(percents, reverse=True)
        assert percents == [row.percent for row in cohort.matrix_rows(outline, by_progress)]
        assert by_progress[0].learner == learners["finished"]
        assert [e.percent for e in least_first] == sorted(percents)
        # The finisher was last active an hour after everyone else; the fresh learner never.
        assert by_activity[0].learner == learners["finished"]
        assert by_activity[-1].learner == learners["fresh"]

    def test_searching_by_name_and_sorting_by_name(self, cohort_course):
        course, learners = cohort_course
        outline = cohort.course_outline(course)

        found = cohort.cohort_learners(outline, search="two TESTER")
        names = [e.learner.first_name for e in cohort.cohort_learners(outline)]

        assert [e.learner for e in found] == [learners["two done"]]
        assert names == sorted(names)

    def test_gradebook_shows_best_scores_and_results_as_each_learner_sees_them(
        self, cohort_course
    ):
        course, learners = cohort_course
        outline = cohort.course_outline(course)

        for enrollment in cohort.gradebook_learners(outline):
            values = cohort.gradebook_values(outline, enrollment)
            progress = course_progress_for_learner(learner=enrollment.learner, course=course)
            quizzes = [m.quiz for m in progress.modules] + [progress.final_exam]
            expected = []
            for quiz in quizzes:
                result = None
                if quiz.passed:
                    result = cohort.PASSED
                elif quiz.awaiting_grading:
                    result = cohort.AWAITING_GRADING
                elif quiz.attempts_used:
                    result = cohort.NOT_PASSED
                expected += [quiz.best_percent, result]
            assert values[3:-1] == expected, enrollment.learner.first_name
            finished = enrollment.learner == learners["finished"]
            assert (values[-1] is not None) == finished


def test_gradebook_row_reads_like_the_page(learner, now, take_quiz):
    course = course_with_modules(modules=1, lessons=1)
    enrollment_create(learner=learner, course=course)
    quiz = modules_of(course)[0].quiz
    single_question(quiz=quiz, position=2)
    single_question(quiz=quiz, position=3)
    single_question(quiz=quiz, position=4)
    take_quiz(learner, quiz, now=now, right=lambda slot: slot <= 2)  # 50 %
    take_quiz(learner, quiz, now=now, right=lambda slot: slot <= 3)  # 75 %
    outline = cohort.course_outline(course)

    [enrollment] = cohort.gradebook_learners(outline)
    row = cohort.gradebook_row(outline, enrollment)

    assert cohort.gradebook_header(outline) == [
        "Learner",
        "Username",
        "Email",
        "Quiz 1: best %",
        "Quiz 1: result",
        "Final exam: best %",
        "Final exam: result",
        "Course completed",
    ]
    assert row.cells == [
        "Ada Lovelace",
        learner.username,
        learner.email,
        "75",
        "Passed",
        "",
        "",
        "",
    ]


def test_gradebook_ignores_attempts_at_other_courses(learner, now, take_quiz):
    course = course_with_modules(modules=1, lessons=1, final_exam=False)
    other = course_with_modules(modules=1, lessons=1, final_exam=False)
    for each in (course, other):
        enrollment_create(learner=learner, course=each)
    take_quiz(learner, modules_of(other)[0].quiz, now=now)
    outline = cohort.course_outline(course)

    [enrollment] = cohort.gradebook_learners(outline)

    assert cohort.gradebook_values(outline, enrollment)[3:5] == [None, None]


def test_percent_labels():
    assert cohort.as_text(Decimal("85.00")) == "85"
    assert cohort.as_text(Decimal("62.50")) == "62.5"
    assert cohort.as_text(Decimal("100.00")) == "100"
    assert cohort.as_text(None) == ""


# --- Access ----------------------------------------------------------------------------


def test_staff_see_the_courses_they_teach_and_superusers_all():
    taught, other = CourseFactory(), CourseFactory(status=Status.DRAFT)
    instructor = UserFactory(is_staff=True)
    taught.instructors.add(instructor)

    assert list(courses_taught(instructor)) == [taught]
    assert set(courses_taught(UserFactory(is_superuser=True))) == {taught, other}
    assert list(courses_taught(UserFactory(is_staff=True))) == []


def test_an_instructor_who_lost_staff_status_teaches_nothing():
    course = CourseFactory()
    former = UserFactory(is_staff=False)
    course.instructors.add(former)

    assert list(courses_taught(former)) == []
    assert cohort.course_for_instructor(user=former, slug=course.slug)[1] is False


def test_course_for_instructor_says_who_may_follow_it():
    course = CourseFactory()
    instructor = UserFactory(is_staff=True)
    course.instructors.add(instructor)

    assert cohort.course_for_instructor(user=instructor, slug=course.slug) == (course, True)
    assert (
        cohort.course_for_instructor(user=UserFactory(is_staff=True), slug=course.slug)[1] is False
    )
    inactive = UserFactory(is_superuser=True, is_active=False)
    assert cohort.course_for_instructor(user=inactive, slug=course.slug)[1] is False


# --- One learner -------------------------------------------------------------------------


def snapshot(question):
    import random

    return question_snapshot(question, rng=random.Random(1), shuffle_choices=False)


def choice_id(shown, text):
    return next(c["id"] for c in shown["choices"] if c["text"] == text)


def test_answers_read_in_the_words_the_learner_saw():
    single = snapshot(single_question(choices=[("Vienna", 100), ("Paris", 0)]))
    several = snapshot(multiple_question())
    matching = snapshot(matching_question(pairs=[("Helsinki", "Finland"), ("Riga", "Latvia")]))
    left = {c["text"]: str(c["id"]) for c in matching["choices"]}

    assert cohort.answer_text(single, choice_id(single, "Paris")) == "Paris"
    assert cohort.answer_text(single, None) == "No answer"
    assert cohort.answer_text(single, 987654) == "A choice no longer shown"
    answer = [choice_id(several, "Right A"), choice_id(several, "Wrong C")]
    assert cohort.answer_text(several, answer) == "Right A; Wrong C"
    assert (
        cohort.answer_text(matching, {left["Helsinki"]: "Latvia", left["Riga"]: "Finland"})
        == "Helsinki → Latvia; Riga → Finland"
    )
    assert cohort.answer_text(snapshot(short_question()), "helsinki ") == "helsinki "


def test_the_key_is_read_from_the_snapshot():
    single = snapshot(single_question(choices=[("Vienna", 100), ("Paris", 0)]))
    several = snapshot(multiple_question())
    numeric = snapshot(numerical_question(answers=[("3.14", "0.01", 100), ("3", "0", 50)]))
    short = snapshot(short_question(answers=[("Helsinki", 100), ("Helsingfors", 50)]))

    assert cohort.key_text(single) == "Vienna"
    assert cohort.key_text(several) == "Right A; Right B"
    assert cohort.key_text(numeric) == "3.14 (± 0.01)"
    assert cohort.key_text(short) == "Helsinki"  # the answers with full marks
    assert cohort.key_text(snapshot(true_false_question(answer=False))) == "False"


def test_learner_record_has_lessons_with_dates_and_attempts_with_answers(learner, now, take_quiz):
    course = course_with_modules(modules=1, lessons=2, final_exam=False)
    module = modules_of(course)[0]
    enrollment_create(learner=learner, course=course)
    lesson_complete(learner=learner, lesson=lessons_of(module)[0], now=now)
    take_quiz(learner, module.quiz, now=now, right=False)
    take_quiz(learner, module.quiz, now=now)

    record = cohort.learner_record(course=course, learner_id=learner.pk)

    assert record.progress.modules[0].lessons[0].completed_at == now
    assert [a.number for a in record.attempts] == [1, 2]
    first, second = (a.answers[0] for a in record.attempts)
    assert (first.answer, first.is_correct, first.score) == ("Wrong", False, Decimal("0.00"))
    assert (second.answer, second.key, second.points) == ("Right", "Right", Decimal("1.00"))


def test_learner_record_is_only_for_enrolled_learners(learner):
    course = course_with_modules(modules=1, lessons=1)

    with pytest.raises(cohort.Enrollment.DoesNotExist):
        cohort.learner_record(course=course, learner_id=learner.pk)


def test_a_module_with_no_visible_lessons_and_no_quiz_is_done_for_everyone(learner):
    course = CourseFactory(sequential=True)
    ModuleFactory(course=course, position=1, title="Empty")
    second = ModuleFactory(course=course, position=2)
    LessonFactory(module=second)
    QuizFactory(final=True, course=course)
    enrollment_create(learner=learner, course=course)
    outline = cohort.course_outline(course)

    [row] = cohort.matrix_rows(outline, list(cohort.cohort_learners(outline)))

    progress = course_progress_for_learner(learner=learner, course=course)
    assert [c.state for c in row.cells] == [m.state for m in progress.modules]
    assert [c.state for c in row.cells] == ["done", "not_started"]


def test_a_rule_stated_on_attempts_reads_the_same_through_a_join():
    """The gradebook joins attempts rather than asking subqueries; ``through`` moves a rule
    onto the join, keeping its and/or/not."""
    condition = Q(passed=True) & ~Q(percent__lt=50) | Q(submitted_at__isnull=False)

    moved = through("learner__attempts", condition)

    assert moved == (
        Q(learner__attempts__passed=True) & ~Q(learner__attempts__percent__lt=50)
        | Q(learner__attempts__submitted_at__isnull=False)
    )

"""Backup and restore of a course with its learners' records (export/import_course_records)."""

import io
import json
import zipfile
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Attempt, GradeChange, Quiz, QuizOverride
from assessments.services import quiz_override_grant
from lessons.course_folder import FINAL_EXAM_NAME
from lessons.markdown import MAX_LESSON_CHARS
from lessons.models import Course, Lesson, Module, Status
from lessons.services import SyncReport, content_remove
from progress.models import Certificate, Enrollment, LessonCompletion
from progress.records import RECORDS_FILE
from progress.selectors import course_progress_for_learner
from progress.services import (
    enrollment_create,
    lesson_complete,
    quiz_attempt_start,
    quiz_response_grade,
    quiz_response_save,
)
from tests.factories import (
    LessonFactory,
    ModuleFactory,
    QuizFactory,
    UserFactory,
    course_with_modules,
    right_answer,
    single_question,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


def run(command: str, *args) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def course(now, complete_module, take_quiz):
    """A course as its folder names it, with learners at every stage:

    ada finished it (certificate); bob read a lesson since archived, did a whole module
    since archived, failed a quiz and left the next one open with one answer saved;
    cleo only enrolled.
    """
    course = course_with_modules(slug="naval", modules=2, lessons=2)
    for quiz in course.quizzes.select_related("module"):
        quiz.slug = quiz.module.slug if quiz.module else FINAL_EXAM_NAME
        quiz.save()
    first, second = course.modules.order_by("position")
    gone = LessonFactory(module=first, position=3, slug="old-lesson", title="Old lesson")
    ada = UserFactory(username="ada", first_name="Ada", last_name="Lovelace")
    bob, cleo = UserFactory(username="bob"), UserFactory(username="cleo")
    for learner in (ada, bob, cleo):
        enrollment_create(learner=learner, course=course)
    lesson_complete(learner=bob, lesson=gone, now=now)
    content_remove(gone, report=SyncReport(), kind="lessons")
    assert gone.status == Status.ARCHIVED
    for module in (first, second):
        complete_module(ada, module, now=now)
    take_quiz(ada, course.quizzes.get(kind="final"), now=now)
    take_quiz(bob, first.quiz, now=now, right=False)
    # A module added later and taken out again: archived with its lesson and quiz.
    withdrawn = ModuleFactory(course=course, position=3, slug="withdrawn")
    LessonFactory(module=withdrawn, slug="withdrawn-lesson")
    single_question(quiz=QuizFactory(module=withdrawn, slug="withdrawn"))
    complete_module(bob, withdrawn, now=now)
    content_remove(withdrawn, report=SyncReport(), kind="modules")
    assert withdrawn.status == Status.ARCHIVED
    attempt = quiz_attempt_start(learner=bob, quiz=second.quiz, now=now)
    shown = attempt.responses.get(slot=1).shown
    quiz_response_save(attempt=attempt, slot=1, answer=right_answer(shown), now=now)
    return course


def in_folder(quiz) -> bool:
    return Status.ARCHIVED not in (quiz.status, quiz.module and quiz.module.status)


def everything_learners_did(slug: str) -> dict:
    """The course's records as a learner and the gradebook see them, by natural keys."""
    course = Course.objects.get(slug=slug)
    learners = User.objects.filter(enrollments__course=course).order_by("username")
    progress = {}
    for learner in learners:
        p = course_progress_for_learner(learner=learner, course=course)
        progress[learner.username] = {
            "enrollment": (p.enrollment.enrolled_at, p.enrollment.last_activity_at,
                           p.enrollment.completed_at),
            "summary": (p.percent, p.is_complete, p.lessons_done, p.lessons_total,
                        getattr(p.next_step, "slug", None)),
            "modules": [
                (m.module.slug, m.state, m.reasons,
                 [(x.lesson.slug, x.done, x.completed_at) for x in m.lessons],
                 m.quiz and (m.quiz.attempts_used, m.quiz.best_percent, m.quiz.passed,
                             m.quiz.reasons))
                for m in p.modules
            ],
            "final": (p.final_exam.attempts_used, p.final_exam.best_percent, p.final_exam.passed),
            "completions": sorted(
                LessonCompletion.objects.filter(learner=learner).values_list(
                    "lesson__slug", "completed_at"
                )
            ),
        }  # fmt: skip
    attempts = {
        (a.learner.username, a.quiz.slug, a.number): (
            a.started_at, a.deadline, a.submitted_at, a.pass_mark, a.score, a.max_score,
            a.percent, a.passed,
            [(r.slot, r.shown, r.answer, r.saved_at, r.score, r.is_correct,
              # The live question (for statistics) comes back with the quiz file; an
              # archived quiz has no file, its responses keep their copy in "shown".
              r.question and r.question.title if in_folder(a.quiz) else "-")
             for r in a.responses.all()],
        )
        for a in Attempt.objects.filter(quiz__course=course).select_related("learner", "quiz__module")
    }  # fmt: skip
    certificates = sorted(
        Certificate.objects.filter(course=course).values_list(
            "code", "learner__username", "learner_name", "course_title", "issued_at"
        )
    )
    return {"progress": progress, "attempts": attempts, "certificates": certificates}


def forget_everything():
    """An empty database, as on a new server: records, content and the learners go."""
    GradeChange.objects.all().delete()
    QuizOverride.objects.all().delete()
    Attempt.objects.all().delete()
    for records in (LessonCompletion, Enrollment, Certificate):
        records.objects.all().delete()
    Quiz.objects.all().delete()
    for content in ("lessons", "modules"):
        for course in Course.objects.all():
            getattr(course, content).all().delete()
    Course.objects.all().delete()
    User.objects.all().delete()


def test_a_course_and_its_records_survive_a_round_trip(course, tmp_path):
    before = everything_learners_did("naval")
    assert before["progress"]["ada"]["summary"][1] is True  # finished
    assert any(a[2] is None for a in before["attempts"].values())  # bob's open attempt
    backup = tmp_path / "naval.zip"

    assert "Wrote naval and its records" in run("export_course_records", "naval", str(backup))
    forget_everything()
    output = run("import_course_records", str(backup))

    assert "learners created: 3; archived lessons: 2; archived quizzes: 1;" in output
    assert "enrollments: 3; lesson completions: 6; attempts: 6; certificates: 1" in output
    assert everything_learners_did("naval") == before
    assert Module.objects.filter(course__slug="naval").count() == 3
    archived = Lesson.objects.filter(course__slug="naval", status=Status.ARCHIVED)
    assert set(archived.values_list("slug", flat=True)) == {"old-lesson", "withdrawn-lesson"}
    assert not User.objects.get(username="ada").has_usable_password()
    assert User.objects.get(username="ada").get_full_name() == "Ada Lovelace"


def grade_history(slug: str) -> list[tuple]:
    return list(
        GradeChange.objects.filter(response__attempt__quiz__course__slug=slug)
        .order_by("pk")
        .values_list(
            "response__attempt__learner__username", "response__attempt__quiz__slug",
            "response__attempt__number", "response__slot", "source", "score_before",
            "score_after", "is_correct_before", "is_correct_after", "reason", "feedback",
            "by__username", "created_at",
        )
    )  # fmt: skip


def test_the_changes_of_grades_and_who_made_them_survive_a_round_trip(course, tmp_path, now):
    ines = UserFactory(username="ines", first_name="Ines", is_staff=True)
    failed = Attempt.objects.get(learner__username="bob", quiz__module__position=1)
    quiz_response_grade(
        response=failed.responses.get(),
        score="0.5",
        by=ines,
        source=GradeChange.Source.OVERRIDE,
        reason="Two readings of the question were fair.",
        feedback="Half marks.",
        expected_version=0,
        now=now,
    )
    before = everything_learners_did("naval"), grade_history("naval")
    backup = tmp_path / "naval.zip"
    run("export_course_records", "naval", str(backup))
    forget_everything()

    output = run("import_course_records", str(backup))

    assert "learners created: 4;" in output  # ines, to keep her name on the change
    assert (everything_learners_did("naval"), grade_history("naval")) == before
    restored = User.objects.get(username="ines")
    assert not restored.is_staff and not restored.has_usable_password()


def overrides(slug: str) -> list[tuple]:
    return list(
        QuizOverride.objects.filter(quiz__course__slug=slug)
        .order_by("learner__username", "quiz__slug")
        .values_list(
            "learner__username", "quiz__slug", "extra_attempts", "time_limit_minutes",
            "time_multiplier", "closes_at", "reason", "granted_by__username", "created_at",
        )
    )  # fmt: skip


@pytest.fixture
def timed_final(course):
    final = Quiz.objects.get(course__slug="naval", kind="final")
    final.time_limit_minutes = 60
    final.save()
    return final


def test_overrides_and_who_granted_them_survive_a_round_trip(timed_final, tmp_path, now):
    ines = UserFactory(username="ines", is_staff=True)
    first = Quiz.objects.get(course__slug="naval", module__position=1)
    first.max_attempts, first.closes_at = 2, now + timedelta(days=7)
    first.save()
    quiz_override_grant(
        quiz=first,
        learner=User.objects.get(username="bob"),
        granted_by=ines,
        reason="Away on exercise for the second week.",
        extra_attempts=2,
        closes_at=now + timedelta(days=30),
    )
    quiz_override_grant(
        quiz=timed_final, learner=User.objects.get(username="cleo"), granted_by=ines,
        reason="Extra time (accommodation).", extra_attempts=0,
        time_multiplier=Decimal("1.50"),
    )  # fmt: skip
    before = everything_learners_did("naval"), overrides("naval")
    assert len(before[1]) == 2
    backup = tmp_path / "naval.zip"
    run("export_course_records", "naval", str(backup))
    forget_everything()

    output = run("import_course_records", str(backup))

    assert "overrides: 2" in output
    assert (everything_learners_did("naval"), overrides("naval")) == before
    assert not User.objects.get(username="ines").is_staff


def test_an_override_with_two_time_limits_is_refused(timed_final, tmp_path):
    quiz_override_grant(
        quiz=timed_final,
        learner=User.objects.get(username="cleo"),
        granted_by=UserFactory(username="ines", is_staff=True),
        reason="Extra time.", extra_attempts=0, time_limit_minutes=90,
    )  # fmt: skip
    backup = tmp_path / "naval.zip"
    run("export_course_records", "naval", str(backup))
    forget_everything()
    rewrite_records(backup, set_in(["overrides", 0, "time_multiplier"], "1.5"))

    with pytest.raises(CommandError) as error:
        run("import_course_records", str(backup))

    assert "overrides[0]: a time limit or a multiplier, not both" in str(error.value)
    assert not Course.objects.exists() and not User.objects.exists()


def test_a_second_restore_writes_nothing(course, tmp_path):
    backup = tmp_path / "naval.zip"
    run("export_course_records", "naval", str(backup))
    forget_everything()
    run("import_course_records", str(backup))
    before = everything_learners_did("naval")

    with CaptureQueriesContext(connection) as queries:
        output = run("import_course_records", str(backup))

    writes = [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    assert "naval: nothing new" in output
    assert everything_learners_did("naval") == before


def test_restoring_keeps_what_the_database_already_has(course, tmp_path, now):
    """Restoring over the live course adds nothing and changes nobody's records."""
    backup = tmp_path / "naval.zip"
    run("export_course_records", "naval", str(backup))
    before = everything_learners_did("naval")

    output = run("import_course_records", str(backup))

    assert "naval: nothing new" in output
    assert everything_learners_did("naval") == before


def rewrite_records(backup, change) -> None:
    with zipfile.ZipFile(backup) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    name = f"naval/{RECORDS_FILE}"
    data = json.loads(files[name])
    change(data)
    files[name] = json.dumps(data).encode()
    with zipfile.ZipFile(backup, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)


def set_in(path: list, value):
    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (set_in(["attempts", 1, "started_at"], "yesterday"),
         "attempts[1]: started_at: Enter a valid date/time."),
        (set_in(["completions", 0, "lesson"], "no-such-lesson"),
         "completions[0]: no lesson 'no-such-lesson' in the course"),
        (set_in(["attempts", 0, "learner"], "zoe"),
         "attempts[0]: the learner 'zoe' is not in 'learners'"),
        (set_in(["attempts", 2, "responses", 0, "shown"], None),
         "attempts[2].responses[0]: shown: the question as shown is missing"),
        (set_in(["certificates", 0, "code"], None), "certificates[0]: code: This field is required."),
        (set_in(["enrollments"], {"not": "a list"}), "records.json: 'enrollments' should be a list"),
        (set_in(["attempts", 0, "percent"], "250"), "attempts[0]: conflicts with a record already"),
        (set_in(["format"], "something else"), "records.json: not a course records file"),
        (set_in(["archived", "lessons", 0, "module"], None),
         "archived.lessons[0]: module: a lesson needs its module"),
        (set_in(["archived", "quizzes", 0, "kind"], "exam"),
         "archived.quizzes[0]: kind: Select a valid choice. exam is not one of"),
        (set_in(["archived", "lessons", 0, "body"], "[" * (MAX_LESSON_CHARS + 1)),
         f"archived.lessons[0]: body: This lesson is {MAX_LESSON_CHARS + 1:,} characters long"),
    ],
    ids=["date", "lesson", "learner", "shown", "code", "section", "constraint", "format",
         "archived-lesson", "archived-quiz", "archived-lesson-too-long"],
)  # fmt: skip
def test_a_malformed_file_says_what_is_wrong_and_writes_nothing(course, tmp_path, change, message):
    backup = tmp_path / "naval.zip"
    run("export_course_records", "naval", str(backup))
    forget_everything()
    rewrite_records(backup, change)

    with pytest.raises(CommandError) as error:
        run("import_course_records", str(backup))

    assert str(error.value).startswith("Nothing was restored: ")
    assert message in str(error.value)
    assert not Course.objects.exists() and not User.objects.exists()


def test_a_file_that_is_not_a_zip_is_refused(tmp_path, db):
    not_a_zip = tmp_path / "naval.zip"
    not_a_zip.write_text("hello")

    with pytest.raises(CommandError, match="not a readable zip file"):
        run("import_course_records", str(not_a_zip))
    with pytest.raises(CommandError, match="not a readable zip file"):
        run("import_course_records", str(tmp_path / "missing.zip"))


def test_an_unknown_course_cannot_be_exported(tmp_path, db):
    with pytest.raises(CommandError, match="No course with the slug 'nope'"):
        run("export_course_records", "nope", str(tmp_path / "x.zip"))


def test_the_admin_backs_up_a_course_as_the_command_does(client, course, admin_user, tmp_path):
    run("export_course_records", "naval", str(tmp_path / "command.zip"))
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:lessons_course_changelist"),
        {"action": "export_records_zip", "_selected_action": [course.pk]},
    )

    assert response["Content-Disposition"] == 'attachment; filename="naval-records.zip"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        records = json.loads(archive.read(f"naval/{RECORDS_FILE}"))
        assert "naval/course.yaml" in archive.namelist()
    with zipfile.ZipFile(tmp_path / "command.zip") as archive:
        assert records == json.loads(archive.read(f"naval/{RECORDS_FILE}"))


def test_only_a_superuser_may_back_up_learners_records(client, course, ines):
    course.instructors.add(ines)
    client.force_login(ines)

    page = client.get(reverse("admin:lessons_course_changelist")).content.decode()
    response = client.post(
        reverse("admin:lessons_course_changelist"),
        {"action": "export_records_zip", "_selected_action": [course.pk]},
    )

    assert "export_records_zip" not in page
    assert "Content-Disposition" not in response

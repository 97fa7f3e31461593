"""Quizzes in the admin: scoping, learners' results kept, course zips and GIFT files."""

import html
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.models import Attempt, GradeChange, Question, Quiz, QuizOverride, Response
from assessments.services import quiz_override_grant
from lessons.models import Course, Status
from lessons.tests.test_admin import as_read, form_data, query_count
from progress.services import enrollment_create, quiz_response_grade
from tests.factories import (
    CourseFactory,
    UserFactory,
    course_with_modules,
    single_question,
)

pytestmark = pytest.mark.django_db

COURSE_FOLDER = Path(settings.BASE_DIR) / "fixtures" / "military-diplomacy"


@pytest.fixture
def mine(ines):
    course = course_with_modules(modules=2, lessons=2, title="Ines's course")
    course.instructors.add(ines)
    return course


@pytest.fixture
def theirs(otto):
    course = course_with_modules(modules=1, lessons=1, title="Otto's course")
    course.instructors.add(otto)
    return course


@pytest.fixture
def attempted(mine, learner, now, complete_module):
    """Ines's first module quiz, which the learner passed."""
    module = mine.modules.order_by("position").first()
    enrollment_create(learner=learner, course=mine)
    complete_module(learner, module, now=now)
    return module.quiz


def url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def zipped(files: dict[str, str]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return SimpleUploadedFile("course.zip", buffer.getvalue(), content_type="application/zip")


def folder_zip(folder: Path, prefix: str) -> SimpleUploadedFile:
    return zipped(
        {
            f"{prefix}/{path.relative_to(folder).as_posix()}": path.read_text(encoding="utf-8")
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        }
    )


SMALL_COURSE = {
    "small/course.yaml": "slug: small\ntitle: Small\nmodules:\n- one\n",
    "small/modules/one.md": (
        "---\ntitle: One\nquiz:\n  title: One quiz\n---\n\n# Only {#only}\n\nText.\n"
    ),
    "small/quizzes/one.gift": "// lesson: only#passage-1\n::Q1::Is it?{T}\n",
}


# --- Who sees what -----------------------------------------------------------------------------


def test_instructor_sees_only_quizzes_questions_and_attempts_of_their_courses(
    client, ines, mine, theirs, attempted
):
    other_learner = UserFactory()
    enrollment_create(learner=other_learner, course=theirs)
    client.force_login(ines)

    quizzes = client.get(url("assessments_quiz_changelist")).context["cl"].queryset
    questions = client.get(url("assessments_question_changelist")).context["cl"].queryset
    attempts = client.get(url("assessments_attempt_changelist")).context["cl"].queryset
    enrollments = client.get(url("progress_enrollment_changelist")).context["cl"].queryset

    assert {quiz.course_id for quiz in quizzes} == {mine.pk}
    assert {question.quiz.course_id for question in questions} == {mine.pk}
    assert [attempt.quiz for attempt in attempts] == [attempted]
    assert {enrollment.course_id for enrollment in enrollments} == {mine.pk}


def test_instructor_cannot_open_change_or_delete_another_instructors_quiz(client, ines, theirs):
    quiz = theirs.quizzes.filter(kind="module").get()
    question = quiz.questions.get()
    client.force_login(ines)

    for name, obj in (("quiz", quiz), ("question", question)):
        for page in ("change", "delete", "import_gift", "export_gift"):
            if name == "question" and page in ("import_gift", "export_gift"):
                continue
            response = client.get(url(f"assessments_{name}_{page}", obj.pk))
            assert response.status_code == 302 and response.url == url("index"), (name, page)
    client.post(url("assessments_question_delete", question.pk), {"post": "yes"})
    client.post(
        url("assessments_quiz_import_gift", quiz.pk),
        {"file": SimpleUploadedFile("q.gift", b"::New::Question?{T}\n")},
    )

    assert list(quiz.questions.all()) == [question]


def test_superuser_sees_every_quiz(client, admin_user, mine, theirs):
    client.force_login(admin_user)

    quizzes = client.get(url("assessments_quiz_changelist")).context["cl"].queryset

    assert {quiz.course_id for quiz in quizzes} == {mine.pk, theirs.pk}


def test_a_question_only_points_at_lessons_of_its_own_course(client, ines, mine, theirs):
    question = mine.quizzes.filter(kind="module").first().questions.get()
    client.force_login(ines)
    page = client.get(url("assessments_question_change", question.pk))
    choices = page.context["adminform"].form.fields["lesson"].queryset
    assert {lesson.course_id for lesson in choices} == {mine.pk}

    response = client.post(
        url("assessments_question_change", question.pk),
        form_data(page) | {"lesson": theirs.lessons.get().pk},
    )

    assert "lesson" in response.context["adminform"].form.errors


def test_a_module_quiz_needs_a_module_of_its_course(client, ines, mine):
    other = CourseFactory()
    other.instructors.add(ines)
    other_module = other.modules.create(slug="m", title="M", position=1)
    quiz = mine.quizzes.filter(kind="module").first()
    client.force_login(ines)
    page = client.get(url("assessments_quiz_change", quiz.pk))

    response = client.post(
        url("assessments_quiz_change", quiz.pk), form_data(page) | {"module": other_module.pk}
    )

    assert "module" in response.context["adminform"].form.errors


# --- Learners' results -------------------------------------------------------------------------


def test_editing_and_deleting_questions_never_changes_recorded_results(
    client, ines, attempted, learner
):
    attempt = Attempt.objects.get(learner=learner, quiz=attempted)
    before = (attempt.score, attempt.max_score, attempt.percent, attempt.passed)
    shown = list(Response.objects.filter(attempt=attempt).values_list("shown", "score"))
    question = attempted.questions.get()
    client.force_login(ines)

    # Swap the key: the right answer becomes wrong, and the text changes.
    page = client.get(url("assessments_question_change", question.pk))
    data = form_data(page) | {
        "text": "Reworded?",
        "choices-0-weight": "0",
        "choices-1-weight": "100",
    }
    response = client.post(url("assessments_question_change", question.pk), data)
    assert response.status_code == 302
    assert list(question.choices.values_list("weight", flat=True)) == [0, 100]

    # Then delete the question from the quiz page.
    quiz_page = client.get(url("assessments_quiz_change", attempted.pk))
    data = form_data(quiz_page) | {"questions-0-DELETE": "on"}
    client.post(url("assessments_quiz_change", attempted.pk), data)
    assert not attempted.questions.exists()

    attempt.refresh_from_db()
    assert (attempt.score, attempt.max_score, attempt.percent, attempt.passed) == before
    assert list(Response.objects.filter(attempt=attempt).values_list("shown", "score")) == shown


def test_an_attempts_page_lists_the_changes_of_its_grades_and_edits_none(
    client, ines, attempted, learner, now
):
    attempt = Attempt.objects.get(learner=learner, quiz=attempted)
    client.force_login(ines)
    assert "Changes of grades" in page_text(
        client.get(url("assessments_attempt_change", attempt.pk))
    )
    quiz_response_grade(
        response=attempt.responses.get(),
        score="0.5",
        by=ines,
        source=GradeChange.Source.OVERRIDE,
        reason="Half marks <b>as agreed</b>",
        expected_version=0,
        now=now,
    )

    page = client.get(url("assessments_attempt_change", attempt.pk))

    text = page_text(page)
    assert "Grade overridden" in text
    assert "1 → 0.5" in text
    assert "Half marks <b>as agreed</b>" in text  # shown as typed, never as markup
    assert 'name="score"' not in text
    posted = client.post(url("assessments_attempt_change", attempt.pk), {"score": "1"})
    assert posted.status_code == 403
    assert GradeChange.objects.get().score_after == Decimal("0.50")


def test_the_admin_says_how_often_a_question_was_answered(client, ines, attempted):
    question = attempted.questions.get()
    client.force_login(ines)

    change = page_text(client.get(url("assessments_question_change", question.pk)))
    quiz_page = page_text(client.get(url("assessments_quiz_change", attempted.pk)))
    listing = page_text(client.get(url("assessments_question_changelist")))
    delete = page_text(client.get(url("assessments_question_delete", question.pk)))

    assert "Answered 1 time. Learners' recorded results keep the question" in change
    assert "Answered 1 time" in quiz_page
    assert "1 attempt by 1 learner" in quiz_page
    assert "Answered 1 time" in listing
    assert "Answered 1 time. Deleting it leaves learners' attempts and scores" in delete


def test_deleting_an_attempted_quiz_archives_it(client, ines, attempted):
    client.force_login(ines)

    confirm = client.get(url("assessments_quiz_delete", attempted.pk)).content.decode()
    assert "1 attempt points at it" in confirm
    client.post(url("assessments_quiz_delete", attempted.pk), {"post": "yes"})

    attempted.refresh_from_db()
    assert attempted.status == Status.ARCHIVED
    assert attempted.attempts.count() == 1
    assert attempted.questions.count() == 1


def test_deleting_an_unattempted_quiz_deletes_it_with_its_questions(client, ines, mine):
    quiz = mine.quizzes.filter(kind="final").get()
    client.force_login(ines)

    client.post(url("assessments_quiz_delete", quiz.pk), {"post": "yes"})

    assert not Quiz.objects.filter(pk=quiz.pk).exists()
    assert not Question.objects.filter(quiz_id=quiz.pk).exists()


def test_question_history_shows_changes_to_its_answers(client, ines, mine):
    question = mine.quizzes.filter(kind="module").first().questions.get()
    client.force_login(ines)
    page = client.get(url("assessments_question_change", question.pk))
    client.post(
        url("assessments_question_change", question.pk),
        form_data(page) | {"choices-1-text": "Now plausible"},
    )

    history = client.get(url("assessments_question_history", question.pk)).content.decode()

    assert "Changes to its answers" in history
    assert "Now plausible" in history
    assert "ines" in history


def test_an_instructor_keeps_moodle_tags_idnumber_and_formats_of_a_question(client, ines, mine):
    question = mine.quizzes.filter(kind="module").first().questions.get()
    client.force_login(ines)
    page = client.get(url("assessments_question_change", question.pk))

    client.post(
        url("assessments_question_change", question.pk),
        form_data(page)
        | {
            "tags": " unit-1, hard ,, unit-1",
            "idnumber": "Q-17",
            "text_format": "html",
            "explanation_format": "markdown",
            "choices-0-feedback_format": "plain",
        },
    )

    question.refresh_from_db()
    assert (question.tags, question.idnumber) == (["unit-1", "hard"], "Q-17")
    assert (question.text_format, question.explanation_format) == ("html", "markdown")
    assert question.choices.order_by("position").first().feedback_format == "plain"
    again = client.get(url("assessments_question_change", question.pk))
    assert 'value="unit-1, hard"' in again.content.decode()


def test_a_question_gift_cannot_hold_is_refused_and_left_as_it_was(client, ines, mine):
    quiz = mine.quizzes.filter(kind="module").first()
    question = single_question(quiz=quiz, choices=(("Only one", 100),))
    client.force_login(ines)
    page = client.get(url("assessments_question_change", question.pk))

    response = client.post(
        url("assessments_question_change", question.pk), form_data(page) | {"text": "New?"}
    )

    assert "needs at least two answers" in page_text(response)
    question.refresh_from_db()
    assert question.text != "New?"


def test_the_quiz_page_adds_no_question_and_still_names_those_unfinished(client, ines, mine):
    # Questions come from files too (a course folder, GIFT): the quiz page names those
    # learners could not answer yet, and adds none (a question is added with its answers).
    quiz = mine.quizzes.filter(kind="module").first()
    existing = quiz.questions.get()
    single_question(quiz=quiz, title="Soap", position=9, choices=(("Only one", 100),))
    client.force_login(ines)
    page = client.get(url("assessments_quiz_change", quiz.pk))
    assert not page.context["inline_admin_formsets"][0].has_add_permission

    response = client.post(url("assessments_quiz_change", quiz.pk), form_data(page), follow=True)

    warnings = as_read(m for m in response.context["messages"] if m.level_tag == "warning")
    assert warnings == [
        "Check this question: cannot write question 'Soap': "
        "a multiple choice question needs at least two answers"
    ]
    assert str(existing) not in " ".join(warnings)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"kind": "module", "module": ""}, "module", "A module quiz belongs to a module"),
        ({"kind": "final"}, "module", "A final exam covers the whole course"),
        ({"kind": "final", "module": ""}, "kind", "The course already has a final exam"),
        ({"pass_mark": "150"}, "pass_mark", "less than or equal to 100"),
        ({"max_attempts": "0"}, "max_attempts", "greater than or equal to 1"),
    ],
)
def test_a_quiz_the_database_would_refuse_is_explained_on_its_field(
    client, ines, mine, change, field, message
):
    quiz = mine.quizzes.filter(kind="module").first()
    client.force_login(ines)
    data = {**form_data(client.get(url("assessments_quiz_change", quiz.pk))), **change}

    response = client.post(url("assessments_quiz_change", quiz.pk), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors.get(field, [])), errors
    assert "Constraint" not in page_text(response)
    quiz.refresh_from_db()
    assert (quiz.kind, quiz.pass_mark, quiz.max_attempts) == ("module", 70, None)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("weight", "150", "less than or equal to 100"), ("tolerance", "-1", "greater than or")],
)
def test_a_choice_out_of_range_is_explained_on_its_field(
    client, ines, mine, field, value, message
):
    question = mine.quizzes.filter(kind="module").first().questions.get()
    if field == "tolerance":  # a field of numerical questions' answers alone
        Question.objects.filter(pk=question.pk).update(kind="numerical")
        question.choices.update(numeric_value=1)
    before = list(question.choices.values_list("weight", "tolerance"))
    client.force_login(ines)
    data = form_data(client.get(url("assessments_question_change", question.pk)))
    data[f"choices-0-{field}"] = value

    response = client.post(url("assessments_question_change", question.pk), data)

    choices = response.context["inline_admin_formsets"][0].formset
    assert message in " ".join(choices.forms[0].errors.get(field, [])), choices.errors
    assert "Constraint" not in page_text(response)
    assert list(question.choices.values_list("weight", "tolerance")) == before


# --- Navigation --------------------------------------------------------------------------------


def test_module_and_course_pages_lead_to_their_quizzes(client, ines, mine):
    module = mine.modules.order_by("position").first()
    client.force_login(ines)

    module_page = client.get(url("lessons_module_change", module.pk)).content.decode()
    course_page = client.get(url("lessons_course_change", mine.pk)).content.decode()

    assert url("assessments_quiz_change", module.quiz.pk) in module_page
    final = mine.quizzes.get(kind="final")
    assert url("assessments_quiz_change", final.pk) in course_page
    quiz_page = client.get(url("assessments_quiz_change", module.quiz.pk)).content.decode()
    assert url("assessments_question_change", module.quiz.questions.get().pk) in quiz_page


def test_a_module_without_a_quiz_offers_to_add_one_prefilled(client, ines):
    course = course_with_modules(modules=1, module_quizzes=False, final_exam=False)
    course.instructors.add(ines)
    module = course.modules.get()
    client.force_login(ines)

    page = client.get(url("lessons_module_change", module.pk)).content.decode()
    add = (
        f"{url('assessments_quiz_add')}?course={course.pk}&amp;module={module.pk}&amp;kind=module"
    )
    assert add in page

    form = client.get(url("assessments_quiz_add"), {"course": course.pk, "module": module.pk})
    assert form.context["adminform"].form.initial["module"] == str(module.pk)


def test_quiz_page_query_count_does_not_grow_with_questions(client, ines, attempted):
    client.force_login(ines)
    small = query_count(client, url("assessments_quiz_change", attempted.pk))
    for _ in range(5):
        single_question(quiz=attempted, choices=(("Yes", 100), ("No", 0), ("Maybe", 0)))

    assert query_count(client, url("assessments_quiz_change", attempted.pk)) == small


def test_question_page_query_count_does_not_grow_with_choices(client, ines, attempted):
    question = attempted.questions.get()
    client.force_login(ines)
    small = query_count(client, url("assessments_question_change", question.pk))
    for position in range(3, 9):
        question.choices.create(position=position, text=f"Choice {position}")

    assert query_count(client, url("assessments_question_change", question.pk)) == small


# --- Course zips -------------------------------------------------------------------------------


def import_zip(client, archive, **options):
    """Upload a course zip, then apply the plan it shows."""
    plan = client.post(url("lessons_course_import"), {"archive": archive})
    token = plan.context["token"]
    return client.post(url("lessons_course_import_apply"), {"token": token}, **options)


def test_instructor_imports_a_course_zip_and_teaches_it(client, ines):
    client.force_login(ines)
    page = client.get(url("lessons_course_changelist")).content.decode()
    assert url("lessons_course_import") in page

    response = import_zip(client, folder_zip(COURSE_FOLDER, "military-diplomacy"))

    course = Course.objects.get(slug="military-diplomacy")
    assert response.status_code == 302
    assert response.url == url("lessons_course_change", course.pk)
    assert list(course.instructors.all()) == [ines]
    assert course.quizzes.count() == 7


def test_superuser_imports_a_course_zip_with_its_files_at_the_top(client, admin_user):
    client.force_login(admin_user)
    files = {name.removeprefix("small/"): text for name, text in SMALL_COURSE.items()}

    response = import_zip(client, zipped(files))

    assert response.status_code == 302
    course = Course.objects.get(slug="small")
    assert not course.instructors.exists()
    assert course.quizzes.get().questions.get().lesson.slug == "only"


@pytest.mark.parametrize(
    ("files", "error"),
    [
        (
            {**SMALL_COURSE, "small/course.yaml": "slug: small\ntitle: Small\nbogus: 1\n"},
            "small/course.yaml, line 3: unknown setting 'bogus'",
        ),
        (
            {**SMALL_COURSE, "small/quizzes/one.gift": "::Q1::Is it?{T}\n\n::Q2::Bad{=\n"},
            "small/quizzes/one.gift, line 3: '{' is not closed",
        ),
        ({**SMALL_COURSE, "../evil.txt": "x"}, "evil.txt: unsafe file name in the zip"),
        ({**SMALL_COURSE, "/etc/evil": "x"}, "evil: unsafe file name in the zip"),
        ({"notes.txt": "x"}, "the zip: no course.yaml"),
    ],
)
def test_a_bad_course_zip_shows_file_and_line_and_writes_nothing(client, ines, files, error):
    client.force_login(ines)

    response = client.post(url("lessons_course_import"), {"archive": zipped(files)})

    assert response.status_code == 200
    assert error in " ".join(as_read(response.context["form"].errors["archive"]))
    assert not Course.objects.exists()


def test_a_file_that_is_not_a_zip_is_refused(client, ines):
    client.force_login(ines)
    upload = SimpleUploadedFile("course.zip", b"not a zip")

    response = client.post(url("lessons_course_import"), {"archive": upload})

    assert as_read(response.context["form"].errors["archive"]) == [
        "the zip: not a zip file, or a damaged one"
    ]
    # English, as the file formats' messages are, and marked so inside a French page.
    assert '<span lang="en">the zip: not a zip file, or a damaged one</span>' in (
        response.content.decode()
    )


def test_a_zip_cannot_overwrite_another_instructors_course(client, ines, otto):
    theirs = CourseFactory(slug="small", title="Otto's small course")
    theirs.instructors.add(otto)
    client.force_login(ines)

    response = client.post(url("lessons_course_import"), {"archive": zipped(SMALL_COURSE)})

    assert as_read(response.context["form"].errors["archive"]) == [
        "small/course.yaml: the course 'small' exists and you do not teach it"
    ]
    theirs.refresh_from_db()
    assert theirs.title == "Otto's small course"
    assert not theirs.modules.exists()


def test_export_as_zip_reimports_unchanged(client, ines, admin_user):
    client.force_login(admin_user)
    import_zip(client, folder_zip(COURSE_FOLDER, "md"))
    course = Course.objects.get(slug="military-diplomacy")
    course.instructors.add(ines)
    client.force_login(ines)

    response = client.get(url("lessons_course_export", course.pk))

    assert response["Content-Type"] == "application/zip"
    assert 'filename="military-diplomacy.zip"' in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    for path in COURSE_FOLDER.rglob("*"):
        if path.is_file():
            name = f"military-diplomacy/{path.relative_to(COURSE_FOLDER).as_posix()}"
            assert archive.read(name).decode() == path.read_text(encoding="utf-8"), name
    again = SimpleUploadedFile("again.zip", response.content)
    follow = import_zip(client, again, follow=True)
    assert "nothing changed" in follow.content.decode()


def test_export_action_zips_the_selected_courses(client, ines, mine):
    other = course_with_modules(modules=1)
    other.instructors.add(ines)
    client.force_login(ines)

    response = client.post(
        url("lessons_course_changelist"),
        {"action": "export_zip", "_selected_action": [mine.pk, other.pk]},
    )

    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert f"{mine.slug}/course.yaml" in names
    assert f"{other.slug}/course.yaml" in names


def test_instructor_cannot_export_another_instructors_course(client, ines, theirs):
    client.force_login(ines)

    response = client.get(url("lessons_course_export", theirs.pk))

    assert response.status_code == 302
    assert response.url == url("index")


# --- GIFT files --------------------------------------------------------------------------------


GIFT = """// lesson: lesson-{lesson}#passage-1
::Capital::Capital of Finland?{{=Helsinki ~Turku}}

::Sure::Sure?{{T}}
"""


def test_import_gift_replaces_the_quiz_questions(client, ines, mine):
    quiz = mine.quizzes.filter(kind="module").first()
    lesson = mine.lessons.first()
    client.force_login(ines)
    page = client.get(url("assessments_quiz_change", quiz.pk)).content.decode()
    assert url("assessments_quiz_import_gift", quiz.pk) in page

    text = GIFT.format(lesson=lesson.slug.removeprefix("lesson-")).encode()
    response = client.post(
        url("assessments_quiz_import_gift", quiz.pk),
        {"file": SimpleUploadedFile("capitals.gift", b"\xef\xbb\xbf" + text)},
        follow=True,
    )

    assert [q.title for q in quiz.questions.order_by("position")] == ["Capital", "Sure"]
    assert quiz.questions.get(title="Capital").lesson == lesson
    message = response.content.decode()
    assert "Imported capitals.gift: 2 questions (1 single choice, 1 true/false)" in message


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"::A::Fine?{T}\n\n::B::Broken{=\n", "broken.gift, line 3: '{' is not closed"),
        (b"// lesson: nowhere\n::A::Q?{T}\n", "broken.gift, line 2: no lesson 'nowhere'"),
        (b"\xff\xfe", "broken.gift, line 1: not UTF-8 text (invalid start byte at byte 1)"),
    ],
)
def test_a_bad_gift_file_shows_the_line_and_changes_nothing(client, ines, mine, content, error):
    quiz = mine.quizzes.filter(kind="module").first()
    before = list(quiz.questions.values_list("pk", "title", "text"))
    client.force_login(ines)

    response = client.post(
        url("assessments_quiz_import_gift", quiz.pk),
        {"file": SimpleUploadedFile("broken.gift", content)},
    )

    assert response.status_code == 200
    assert error in " ".join(as_read(response.context["form"].errors["file"]))
    assert list(quiz.questions.values_list("pk", "title", "text")) == before


def test_export_gift_downloads_the_quiz(client, ines, mine):
    quiz = mine.quizzes.filter(kind="final").get()
    client.force_login(ines)

    response = client.get(url("assessments_quiz_export_gift", quiz.pk))

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert f'filename="{mine.slug}-{quiz.slug}.gift"' in response["Content-Disposition"]
    text = response.content.decode()
    assert text.count("::Question") == 2
    assert "{F}" in text or "{\n\tF" in text


def test_export_gift_reports_a_question_gift_cannot_hold(client, ines, mine):
    quiz = mine.quizzes.filter(kind="final").get()
    question = quiz.questions.first()
    question.points = Decimal(0)
    question.save()
    client.force_login(ines)

    response = client.get(url("assessments_quiz_export_gift", quiz.pk), follow=True)

    assert "only a written answer (an essay) may be worth 0 points" in response.content.decode()


def test_setting_a_draw_per_module_warns_of_a_module_with_fewer_questions(client, ines, mine):
    final = mine.quizzes.get(kind="final")
    first, second = mine.modules.order_by("position")
    final.questions.all().delete()
    for position in range(1, 4):
        single_question(quiz=final, position=position, lesson=first.lessons.first())
    single_question(quiz=final, position=4, lesson=second.lessons.first())
    client.force_login(ines)
    data = form_data(client.get(url("assessments_quiz_change", final.pk)))

    response = client.post(
        url("assessments_quiz_change", final.pk),
        data | {"draw_count": "2", "draw_per": "module"},
        follow=True,
    )

    final.refresh_from_db()
    assert (final.draw_per, final.draw_count) == ("module", 2)
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert warnings == [
        f"Each attempt draws 2 questions from each module, but module “{second.slug}” "
        "has 1: attempts take all 1 of them."
    ]


def test_a_draw_per_module_without_a_number_is_a_form_error(client, ines, mine):
    final = mine.quizzes.get(kind="final")
    client.force_login(ines)
    data = form_data(client.get(url("assessments_quiz_change", final.pk)))

    response = client.post(
        url("assessments_quiz_change", final.pk), data | {"draw_count": "", "draw_per": "module"}
    )

    assert response.status_code == 200
    assert "how many questions to draw from each module" in response.content.decode()
    final.refresh_from_db()
    assert final.draw_per == ""


# --- Quiz overrides -------------------------------------------------------------------------


def test_an_override_added_in_the_admin_is_granted_by_the_instructor(
    client, ines, attempted, learner
):
    Quiz.objects.filter(pk=attempted.pk).update(max_attempts=2, time_limit_minutes=20)
    client.force_login(ines)

    response = client.post(
        url("assessments_quizoverride_add"),
        {
            "quiz": attempted.pk,
            "learner": learner.pk,
            "extra_attempts": "1",
            "time_multiplier": "1.5",
            "reason": "Exam accommodation",
        },
    )

    assert response.status_code == 302, page_text(response)
    override = QuizOverride.objects.get()
    assert (override.learner, override.granted_by, override.extra_attempts) == (
        learner,
        ines,
        1,
    )
    assert override.history.get().history_user == ines


def test_the_admin_form_says_what_the_service_would_refuse(client, ines, attempted, learner):
    Quiz.objects.filter(pk=attempted.pk).update(time_limit_minutes=None)
    client.force_login(ines)

    response = client.post(
        url("assessments_quizoverride_add"),
        {
            "quiz": attempted.pk,
            "learner": learner.pk,
            "extra_attempts": "0",
            "time_multiplier": "1.5",
            "reason": " ",
        },
    )

    assert response.status_code == 200
    text = page_text(response)
    assert "has no time limit to multiply" in text
    assert not QuizOverride.objects.exists()


def test_another_instructor_neither_sees_nor_grants_overrides_of_a_course_they_do_not_teach(
    client, ines, otto, theirs, attempted, learner
):
    override = quiz_override_grant(
        quiz=attempted, learner=learner, granted_by=ines, reason="Ill", time_limit_minutes=40
    )
    client.force_login(otto)

    listing = page_text(client.get(url("assessments_quizoverride_changelist")))
    assert str(learner) not in listing
    change = client.get(url("assessments_quizoverride_change", override.pk))
    assert change.status_code == 302  # the admin's "not found", to its index
    add = client.get(url("assessments_quizoverride_add"))
    offered = {q.pk for q in add.context["adminform"].form.fields["quiz"].queryset}
    assert offered == {q.pk for q in Quiz.objects.filter(course=theirs)}
    assert attempted.pk not in offered
    refused = client.post(
        url("assessments_quizoverride_add"),
        {"quiz": attempted.pk, "learner": learner.pk, "extra_attempts": "3", "reason": "x"},
    )
    assert refused.status_code == 200
    assert QuizOverride.objects.get().time_limit_minutes == 40

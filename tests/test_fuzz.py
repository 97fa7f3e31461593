"""Generated input thrown at the readers, the importers and the quiz answer views.

Whatever comes in, the outcome is a clean result or the module's own error (a form
error for the views), never an unhandled exception; and on an error nothing is written.
"""

import contextlib
import io
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.course_io import course_import, course_zip_extract, quiz_questions_import
from assessments.gift import GiftError, parse_gift
from assessments.grading import grade
from assessments.models import Attempt, Response
from lessons.course_folder import CourseFormatError
from progress.services import enrollment_create, quiz_attempt_start
from tests.factories import (
    QuizFactory,
    matching_question,
    multiple_question,
    numerical_question,
    short_question,
    single_question,
)
from tests.test_hostile_input import COURSE_YAML, MODULE_MD, row_counts, upload, write_folder

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text that looks enough like the formats to get past the first checks.
YAML_PIECES = st.sampled_from(
    [
        "slug: ", "title: ", "modules:", "\n  - ", "basics", "status: ", "published", "draft",
        "final_exam:", "quiz:", "\n  title: ", "\n  pass_mark: ", "1e999", "-1", "[", "]", "{",
        "}", "&a ", "*a", "!!python/object:os.system", "'", '"', "\\0", "\n", ": ", "- ", "~",
        "sequential: ", "yes", "null", ".inf", "99999999999999999999", "\t", "#", "---",
    ]
)  # fmt: skip
MARKDOWN_PIECES = st.sampled_from(
    [
        "---\n", "title: T\n", "objectives:\n  - x\n", "quiz:\n  title: Q\n", "# ", "Lesson",
        " {#slug}", " {#Bad Slug}", " {#x .draft}", " .unknown", "\n", "\n\n", "```\n", "> ",
        "- ", "<script>", "<div>", "[a](javascript:x)", "|a|\n|-|\n", "#", "\u202e", "\ufeff",
    ]
)  # fmt: skip
GIFT_PIECES = st.sampled_from(
    [
        "{", "}", "=", "~", "#", "####", "->", ":", "::", "%", "%50%", "%-100%", "\\", "\\n",
        "T", "F", "TRUE", "\n", "\n\n", "// lesson: x", "// points: 2", "$CATEGORY: c",
        "[html]", "[markdown]", "..", "1e999", "9" * 30, "-", " ", "Q", "text", "\t", "_____",
    ]
)  # fmt: skip


def pieces(strategy) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(strategy, max_size=40).map("".join),
        st.text(max_size=300),
        st.lists(st.one_of(strategy, st.text(max_size=5)), max_size=40).map("".join),
    )


def imports_or_refuses(folder) -> None:
    before = row_counts()
    try:
        course_import(folder)
    except CourseFormatError as error:
        assert str(error)
        assert row_counts() == before


@FUZZ
@given(course_yaml=pieces(YAML_PIECES), module=pieces(MARKDOWN_PIECES))
def test_any_course_folder_imports_or_is_refused_and_writes_nothing(course_yaml, module):
    with tempfile.TemporaryDirectory() as folder:
        # Appended to a valid course, so the generated part reaches the later checks…
        files = {"course.yaml": COURSE_YAML + course_yaml, "modules/basics.md": MODULE_MD + module}
        imports_or_refuses(write_folder(Path(folder), files))
        # …and alone.
        imports_or_refuses(
            write_folder(Path(folder), {"course.yaml": course_yaml, "modules/basics.md": module})
        )


@FUZZ
@given(text=pieces(GIFT_PIECES))
def test_any_gift_text_parses_or_is_refused_and_writes_nothing(text):
    try:
        questions = parse_gift(text)
    except GiftError as error:
        assert error.line >= 1
        questions = None
    quiz = QuizFactory()
    single_question(quiz=quiz)
    before = row_counts()
    try:
        quiz_questions_import(quiz, text, source="fuzz.gift")
    except CourseFormatError:
        assert row_counts() == before
    else:
        assert questions is not None


ZIP_NAMES = st.one_of(
    st.sampled_from(
        [
            "course.yaml", "modules/basics.md", "quizzes/basics.gift", "../x", "/x", "C:x",
            "a\\b", ".", "a/./b", "a//b", "modules", "modules/", "course.yaml/x", "x" * 300,
            "__MACOSX/x", "sub/course.yaml", "\u00e9.md",
        ]
    ),
    st.text(min_size=1, max_size=20),
)  # fmt: skip


@pytest.mark.filterwarnings("ignore:Duplicate name")  # zipfile warns; the reader must cope
@FUZZ
@given(
    members=st.lists(st.tuples(ZIP_NAMES, st.binary(max_size=200)), max_size=6),
    flip=st.one_of(st.none(), st.tuples(st.integers(min_value=0), st.integers(1, 255))),
    junk=st.binary(max_size=100),
)
def test_any_zip_unpacks_and_imports_or_is_refused_and_writes_nothing(members, flip, junk):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("course.yaml", COURSE_YAML)
        archive.writestr("modules/basics.md", MODULE_MD)
        for name, data in members:
            # A name zipfile itself cannot write; IndexError when it is empty once zipfile
            # cuts it at a NUL ("\x00").
            with contextlib.suppress(ValueError, IndexError):
                archive.writestr(name, data)
    data = bytearray(buffer.getvalue())
    if flip is not None:
        at, mask = flip
        data[at % len(data)] ^= mask
    data += junk
    with tempfile.TemporaryDirectory() as parent:
        folder = Path(parent) / "unpacked"
        folder.mkdir()
        before = row_counts()
        try:
            course_import(course_zip_extract(upload(bytes(data)), folder))
        except CourseFormatError as error:
            assert str(error)
            assert row_counts() == before
        # Nothing escaped the folder it was unpacked into.
        assert sorted(p.name for p in Path(parent).iterdir()) == ["unpacked"]


# --- The quiz answer views ---------------------------------------------------------------


@pytest.fixture
def quiz():
    quiz = QuizFactory(max_attempts=None)
    single_question(quiz=quiz, position=1)
    multiple_question(quiz=quiz, position=2)
    short_question(quiz=quiz, position=3)
    numerical_question(quiz=quiz, position=4)
    matching_question(quiz=quiz, position=5)
    return quiz


FIELD_NAMES = st.one_of(
    st.sampled_from(["answers", "confirm", "q1", "q2", "q3", "q4", "q5", "q0", "q99", "q-1"]),
    st.integers(1, 5).flatmap(lambda slot: st.integers(-5, 10**6).map(lambda i: f"q{slot}-{i}")),
    st.text(max_size=10),
)
FIELD_VALUES = st.one_of(
    st.text(max_size=50),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["", " ", "3,14", "1e999", "NaN", "-inf", "0x10", "\x00", "x" * 100_000]),
    st.lists(st.text(max_size=10), max_size=4),
)
POSTS = st.dictionaries(FIELD_NAMES, FIELD_VALUES, max_size=8)


@pytest.fixture
def taker(client, learner, quiz):
    enrollment_create(learner=learner, course=quiz.course)
    client.force_login(learner)
    # Resumes the open attempt, or starts a new one once the last was handed in.
    return lambda: quiz_attempt_start(learner=learner, quiz=quiz)


@FUZZ
@given(post=POSTS, slot=st.integers(0, 6), htmx=st.booleans())
def test_any_post_to_save_an_answer_is_saved_or_refused_cleanly(client, taker, post, slot, htmx):
    attempt = taker()
    before = (Attempt.objects.count(), Response.objects.count())
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(
        reverse("response_save", args=[attempt.pk, slot]), post, headers=headers
    )

    assert response.status_code in (200, 302, 404)
    assert (Attempt.objects.count(), Response.objects.count()) == before
    attempt.refresh_from_db()
    assert not attempt.is_submitted


@FUZZ
@given(post=POSTS, view=st.sampled_from(["attempt_detail", "attempt_submit"]))
def test_any_post_to_the_attempt_is_saved_submitted_or_shown_with_errors(
    client, taker, post, view
):
    attempt = taker()
    before = (Attempt.objects.count(), Response.objects.count())
    response = client.post(reverse(view, args=[attempt.pk]), post)

    assert response.status_code in (200, 302)
    assert (Attempt.objects.count(), Response.objects.count()) == before
    attempt.refresh_from_db()
    if response.status_code == 200:  # errors shown, or asked to confirm: not handed in
        assert not attempt.is_submitted


# --- Grading any snapshot and any answer ---------------------------------------------------

# Numbers as a snapshot or an old answer may hold them: ordinary, at and past every bound.
NUMBER_LIKE = st.one_of(
    st.sampled_from(
        [
            "1", "0", "-1", "2.00", "100.0000", "-100.0000", "33.3333", "9999.99", "3.14",
            "0.01", "1e1000000", "-1e1000000", "1e-1000000", "1E+999999999999999", "NaN",
            "sNaN", "Infinity", "-inf", "9" * 40, "0." + "0" * 40 + "1", "1,5", "", " ",
        ]
    ),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(),
    st.floats(),
)  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | NUMBER_LIKE,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
KINDS = st.sampled_from(["single", "true_false", "multiple", "short", "numerical", "matching"])
CHOICE_IDS = st.one_of(st.integers(1, 4), st.sampled_from(["1", "2", " 3", "x", None]), JSON)
CHOICES = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {"id": CHOICE_IDS},
            optional={
                key: st.one_of(NUMBER_LIKE, st.text(max_size=8), JSON)
                for key in ("text", "weight", "feedback", "match", "value", "tolerance")
            },
        ),
        JSON,
    ),
    max_size=5,
)
SNAPSHOTS = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "kind": st.one_of(KINDS, st.just("essay"), JSON),
            "points": st.one_of(NUMBER_LIKE, JSON),
            "choices": st.one_of(CHOICES, JSON),
            "options": st.one_of(st.lists(st.text(max_size=8), max_size=4), JSON),
        },
    ),
    JSON,
)
ANSWERS = st.one_of(
    JSON,
    NUMBER_LIKE,
    CHOICE_IDS,
    st.lists(CHOICE_IDS, max_size=5),
    st.dictionaries(st.sampled_from(["1", "2", "3", "4"]), st.one_of(st.text(max_size=8), JSON)),
)
# What Response.score holds: 8 digits, 2 of them decimals.
LARGEST_SCORE = Decimal("999999.99")


@FUZZ
@given(shown=SNAPSHOTS, answer=ANSWERS)
def test_any_snapshot_and_any_answer_grade_to_a_score_that_can_be_stored(shown, answer):
    result = grade(shown, answer)

    assert Decimal(0) <= result.score <= LARGEST_SCORE
    assert result.score == result.score.quantize(Decimal("0.01"))
    assert result.is_correct in (True, False, None)
    assert all(isinstance(line, str) for line in result.feedback)

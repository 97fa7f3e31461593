"""The instructor area through the test client: who may enter, what each page shows,
the downloads against their pages, and the number of queries at two cohort sizes."""

import csv
import io
import os
import random
import re
import time
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.http import StreamingHttpResponse
from django.urls import reverse
from openpyxl import load_workbook

from assessments.grading import question_snapshot
from assessments.models import Attempt, Response
from lessons.models import Course
from progress import cohort
from progress.models import Certificate, Enrollment, LessonCompletion
from progress.services import enrollment_create, lesson_complete, quiz_attempt_start
from progress.views import teach
from tests.factories import UserFactory, course_with_modules, right_answer, wrong_answer

pytestmark = pytest.mark.django_db


class _TableText(HTMLParser):
    """Text of the header and body cells of the table whose class includes ``css_class``."""

    def __init__(self, css_class):
        super().__init__()
        self.css_class = css_class
        self.depth = 0  # > 0 inside the wanted table
        self.header, self.rows, self.cell = [], [], None
        self.section = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            if self.depth or self.css_class in (dict(attrs).get("class") or "").split():
                self.depth += 1
        elif self.depth and tag in ("thead", "tbody"):
            self.section = tag
        elif self.depth and tag == "tr" and self.section == "tbody":
            self.rows.append([])
        elif self.depth and tag in ("th", "td"):
            self.cell = []
        elif self.cell is not None and tag == "br":
            self.cell.append("\n")

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.cell is not None and tag in ("th", "td"):
            lines = "".join(self.cell).split("\n")
            text = "\n".join(" ".join(line.split()) for line in lines).strip()
            (self.header if self.section == "thead" else self.rows[-1]).append(text)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data.replace("\n", " "))  # only <br> breaks a line


def table(response, css_class):
    parser = _TableText(css_class)
    parser.feed(response.content.decode())
    return parser.header, parser.rows


def words(cells):
    """Cells without their icons (✓, a lock): what a screen reader says of a state badge."""
    return [
        " ".join(w for w in cell.split() if any(c.isalnum() for c in w) or w == "·")
        for cell in cells
    ]


def csv_rows(response):
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def modules_of(course):
    return list(course.modules.order_by("position"))


@pytest.fixture
def course():
    return course_with_modules(modules=2, lessons=2, sequential=True, title="Diplomacy")


@pytest.fixture
def instructor(course):
    user = UserFactory(is_staff=True, first_name="Ines", last_name="Instructor")
    course.instructors.add(user)
    return user


@pytest.fixture
def cohort_of(course, now, complete_module, take_quiz):
    """Add ``size`` learners, cycling through states: fresh, reading, one module, finished."""
    first, second = modules_of(course)
    exam = course.quizzes.get(kind="final")

    def add(size, start=0):
        for n in range(start, start + size):
            learner = UserFactory(first_name=f"Learner{n:03d}", last_name="Cohort")
            enrollment_create(learner=learner, course=course)
            stage = n % 4
            if stage == 1:
                lesson_complete(learner=learner, lesson=first.lessons.first(), now=now)
            if stage >= 2:
                complete_module(learner, first, now=now)
            if stage == 3:
                complete_module(learner, second, now=now)
                take_quiz(learner, exam, now=now, right=lambda slot: slot == 1)
                take_quiz(learner, exam, now=now + timedelta(minutes=n))

    return add


def urls(course):
    quiz = course.quizzes.get(kind="final")
    learner = Enrollment.objects.filter(course=course).first()
    learner_id = learner.learner_id if learner else 1
    return [
        reverse("teach_course", args=[course.slug]),
        reverse("teach_stuck", args=[course.slug]),
        reverse("teach_learner", args=[course.slug, learner_id]),
        reverse("teach_gradebook", args=[course.slug]),
        reverse("teach_gradebook_csv", args=[course.slug]),
        reverse("teach_gradebook_xlsx", args=[course.slug]),
        reverse("teach_quiz_stats", args=[course.slug, quiz.slug]),
        reverse("teach_quiz_stats_csv", args=[course.slug, quiz.slug]),
    ]


# --- Who may enter -----------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, course):
    for url in [reverse("teach_index"), *urls(course)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_learners_get_403_everywhere(client, course, learner, cohort_of):
    cohort_of(1)
    enrollment_create(learner=learner, course=course)
    client.force_login(learner)

    for url in [reverse("teach_index"), *urls(course)]:
        assert client.get(url).status_code == 403, url


def test_a_learner_listed_as_instructor_is_still_not_staff(client, course, learner, cohort_of):
    cohort_of(1)
    course.instructors.add(learner)
    client.force_login(learner)

    assert client.get(urls(course)[0]).status_code == 403


def test_staff_who_do_not_teach_the_course_get_403(client, course, cohort_of):
    cohort_of(1)
    other = UserFactory(is_staff=True)
    course_with_modules(modules=1, title="Their own course").instructors.add(other)
    client.force_login(other)

    page = client.get(reverse("teach_index")).content.decode()
    assert "Their own course" in page
    assert course.title not in page
    for url in urls(course):
        assert client.get(url).status_code == 403, url


def test_instructors_and_superusers_may_open_every_page(client, course, instructor, cohort_of):
    cohort_of(4)
    for user in (instructor, UserFactory(is_staff=True, is_superuser=True)):
        client.force_login(user)
        for url in [reverse("teach_index"), *urls(course)]:
            assert client.get(url).status_code == 200, (user, url)


def test_unknown_course_quiz_or_learner_is_not_found(client, course, instructor, learner):
    client.force_login(instructor)

    assert client.get(reverse("teach_course", args=["no-such-course"])).status_code == 404
    stats = reverse("teach_quiz_stats", args=[course.slug, "no-such-quiz"])
    assert client.get(stats).status_code == 404
    # Someone who is not enrolled in the course has no record in it.
    not_enrolled = reverse("teach_learner", args=[course.slug, learner.pk])
    assert client.get(not_enrolled).status_code == 404


def test_index_lists_the_courses_taught_with_their_numbers(client, course, instructor, cohort_of):
    cohort_of(4)
    course_with_modules(modules=1, title="Someone else’s course")
    client.force_login(instructor)

    header, rows = table(client.get(reverse("teach_index")), "courses")

    assert header == ["Course", "Status", "Enrolled", "Completed"]
    assert rows == [["Diplomacy", "Published", "4", "1"]]


def test_index_tells_staff_without_courses_what_to_do(client):
    client.force_login(UserFactory(is_staff=True))

    assert "You don’t teach any course yet" in client.get(reverse("teach_index")).content.decode()


# --- The course page -------------------------------------------------------------------------


def test_course_page_shows_the_funnel_and_the_matrix(client, course, instructor, cohort_of):
    cohort_of(4)
    client.force_login(instructor)

    response = client.get(reverse("teach_course", args=[course.slug]))

    page = response.content.decode()
    assert "4 learners enrolled · 1 completed the course" in page
    _, funnel = table(response, "funnel")
    assert funnel == [
        ["Module 1: Module 1", "2", "50%"],
        ["Module 2: Module 2", "1", "25%"],
        ["Final exam passed", "1", "25%"],
        ["Certificate issued", "1", "25%"],
    ]
    header, rows = table(response, "cohort-matrix")
    assert header == ["Learner", "Progress", "Last activity", "1. Module 1", "2. Module 2"]
    by_name = {row[0].split()[0]: row for row in rows}
    assert by_name["Learner000"][1:2] == ["0%"]
    assert words(by_name["Learner000"][3:]) == ["Not started 0/2 read", "Locked 0/2 read"]
    assert words(by_name["Learner001"][3:4]) == ["In progress 1/2 read"]
    assert words(by_name["Learner002"][3:]) == [
        "Done 2/2 read · quiz 100%",
        "Not started 0/2 read",
    ]
    assert by_name["Learner003"][1] == "100%"
    learner = Enrollment.objects.get(learner__first_name="Learner001").learner
    assert reverse("teach_learner", args=[course.slug, learner.pk]) in page


def test_course_page_filters_by_module_state_and_searches(client, course, instructor, cohort_of):
    cohort_of(8)
    client.force_login(instructor)
    url = reverse("teach_course", args=[course.slug])

    module_2 = modules_of(course)[1].slug
    locked = client.get(url, {"module": module_2, "state": "locked"})
    found = client.get(url, {"q": "learner005"})

    names = [row[0].split()[0] for row in table(locked, "cohort-matrix")[1]]
    assert names == ["Learner000", "Learner001", "Learner004", "Learner005"]
    assert "Learners 1–4 of 4" in locked.content.decode()
    assert [row[0].split()[0] for row in table(found, "cohort-matrix")[1]] == ["Learner005"]
    # Unknown values are ignored rather than failing.
    assert client.get(url, {"module": "nope", "state": "bogus", "sort": "x"}).status_code == 200


@pytest.fixture
def eight_learners_in_pages_of_three(client, instructor, cohort_of, monkeypatch):
    """Eight learners, the instructor logged in, and lists of three learners a page."""
    monkeypatch.setattr(teach, "LEARNERS_PER_PAGE", 3)
    cohort_of(8)
    client.force_login(instructor)


@pytest.mark.usefixtures("eight_learners_in_pages_of_three")
def test_course_page_sorts_and_pages_keeping_the_filters(client, course):
    url = reverse("teach_course", args=[course.slug])

    first = client.get(url, {"sort": "-progress", "q": "cohort"})
    second = client.get(url, {"sort": "-progress", "q": "cohort", "page": 2})

    percents = [row[1] for page in (first, second) for row in table(page, "cohort-matrix")[1]]
    assert percents == ["100%", "100%", "42%", "42%", "14%", "14%"]
    assert "?sort=-progress&amp;q=cohort&amp;page=2" in first.content.decode()


def test_course_page_says_when_nobody_matches(client, course, instructor):
    client.force_login(instructor)

    page = client.get(reverse("teach_course", args=[course.slug]), {"q": "nobody"})

    assert "No learners match." in page.content.decode()


def test_draft_course_is_open_to_its_instructors(client, instructor, course):
    course.status = "draft"
    course.save()
    client.force_login(instructor)

    page = client.get(reverse("teach_course", args=[course.slug])).content.decode()

    assert "Draft" in page


def test_a_course_with_nothing_in_it_yet_still_shows(client, learner):
    empty = course_with_modules(modules=1, lessons=0, module_quizzes=False, final_exam=False)
    instructor = UserFactory(is_staff=True)
    empty.instructors.add(instructor)
    enrollment_create(learner=learner, course=empty)
    client.force_login(instructor)

    for name in ("teach_course", "teach_gradebook", "teach_gradebook_csv", "teach_gradebook_xlsx"):
        assert client.get(reverse(name, args=[empty.slug])).status_code == 200, name
    assert client.get(reverse("teach_learner", args=[empty.slug, learner.pk])).status_code == 200


# --- One learner -----------------------------------------------------------------------------


def test_learner_page_shows_lessons_with_dates_and_each_answer_as_shown(
    client, course, instructor, learner, now, take_quiz
):
    first = modules_of(course)[0]
    enrollment_create(learner=learner, course=course)
    lesson_complete(learner=learner, lesson=first.lessons.order_by("position").first(), now=now)
    take_quiz(learner, first.quiz, now=now, right=False)
    quiz = first.quiz.questions.get()
    quiz.choices.filter(text="Wrong").update(text="Edited after the attempt")
    client.force_login(instructor)

    response = client.get(reverse("teach_learner", args=[course.slug, learner.pk]))

    page = response.content.decode()
    assert "<h1>Ada Lovelace</h1>" in page
    _, lessons = table(response, "lessons")
    assert lessons[0] == ["Lesson 1.1", "Module 1", "3 Mar 2025, 09:00"]
    assert lessons[1] == ["Lesson 1.2", "Module 1", "Not yet"]
    assert "Quiz 1: attempt 1" in page
    header, answers = table(response, "answers")
    assert header[-1] == "Grade"
    assert [row[:6] for row in answers] == [
        ["1", "Which one is right? Single choice", "Wrong", "✗ Wrong", "Right", "0 / 1"]
    ]
    assert answers[0][6].startswith("Override grade Points (0 to 1) Reason for the change")
    assert "Edited after the attempt" not in page  # the answer as it was shown


def test_learner_page_hands_in_an_attempt_whose_time_ran_out(
    client, course, instructor, learner, now, complete_module, answer_all
):
    enrollment_create(learner=learner, course=course)
    for module in modules_of(course):
        complete_module(learner, module, now=now)
    exam = course.quizzes.get(kind="final")
    exam.time_limit_minutes = 20
    exam.save(update_fields=["time_limit_minutes"])
    # Every answer right and saved, then the learner left; the periodic job has not run yet.
    answer_all(quiz_attempt_start(learner=learner, quiz=exam, now=now), now=now)
    client.force_login(instructor)

    response = client.get(reverse("teach_learner", args=[course.slug, learner.pk]))

    text = " ".join(response.content.decode().split())
    assert "In progress" not in text
    assert (
        'Final exam: attempt 1</h3> <p class="mb-2"> 100% (2 of 2 points), '
        '<span class="state-done">passed</span>; submitted 3 Mar 2025, 09:20 when the time ran out'
    ) in text
    assert 'Course completed</dt><dd class="col-sm-9">Not yet' not in text  # the exam passed it
    assert Certificate.objects.filter(learner=learner, course=course).exists()


# --- Gradebook --------------------------------------------------------------------------------


def test_gradebook_csv_and_xlsx_hold_exactly_what_the_page_shows(
    client, course, instructor, cohort_of
):
    cohort_of(6)
    client.force_login(instructor)

    header, rows = table(client.get(reverse("teach_gradebook", args=[course.slug])), "gradebook")
    downloaded = csv_rows(client.get(reverse("teach_gradebook_csv", args=[course.slug])))
    workbook = load_workbook(
        io.BytesIO(client.get(reverse("teach_gradebook_xlsx", args=[course.slug])).content)
    )

    assert downloaded == [header, *rows]
    assert len(rows) == 6
    finished = next(row for row in rows if row[0] == "Learner003 Cohort")
    assert finished[3:] == ["100", "Passed", "100", "Passed", "100", "Passed", "2025-03-03"]
    sheet = [list(row) for row in workbook["Gradebook"].iter_rows(values_only=True)]
    # Excel has no dates without a time: the completion day reads back as midnight.
    assert [
        [cohort.as_text(v.date() if isinstance(v, datetime) else v) for v in row] for row in sheet
    ] == downloaded
    assert sheet[4][3] == 100  # a number the spreadsheet can add up, not text


@pytest.mark.usefixtures("eight_learners_in_pages_of_three")
def test_gradebook_pages_follow_the_csv_learner_by_learner(client, course):
    url = reverse("teach_gradebook", args=[course.slug])

    pages = [table(client.get(url, {"page": n}), "gradebook")[1] for n in (1, 2, 3)]
    [_, *downloaded] = csv_rows(client.get(reverse("teach_gradebook_csv", args=[course.slug])))

    assert [len(rows) for rows in pages] == [3, 3, 2]
    assert [row for rows in pages for row in rows] == downloaded
    assert pages[2][1][3:5] == ["100", "Passed"]  # Learner007 finished: figures, not blanks
    assert "Learners 7–8 of 8, by name" in client.get(url, {"page": 3}).content.decode()


def test_gradebook_csv_is_streamed_as_an_attachment(client, course, instructor):
    client.force_login(instructor)

    response = client.get(reverse("teach_gradebook_csv", args=[course.slug]))

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{course.slug}-gradebook.csv"'


# Text a spreadsheet could run: a formula at the start, or after a separator (a spreadsheet
# set to ";" or "," reads the file with that), a line break or a quote.
HOSTILE_TEXTS = [
    '=HYPERLINK("http://evil.example","Click")',
    ";=4+5",
    ",=1+1",
    "-2+3",
    "+1+1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    " =1+1",
    "Ann;=4+5",
    'Bo,"=1+1',
    "Cy\n-2+3",
    "Dee\t@SUM(A1)",
]
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def could_run_as_a_formula(cell) -> bool:
    """Whether a spreadsheet could take ``cell`` for a formula: text that starts, past
    blanks and quotes, with a formula trigger, and is not a plain number such as -0.5."""
    if not isinstance(cell, str):
        return False
    text = cell.lstrip(' "')
    return text[:1] in FORMULA_TRIGGERS and not re.fullmatch(r"-?\d+(\.\d+)?", text)


def every_csv_reading(response) -> list[str]:
    """Every cell of the download read with "," and with ";" as the separator, quotes
    honoured or not: the ways a spreadsheet may open it."""
    text = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
    cells = []
    for delimiter in (",", ";"):
        for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_NONE):
            reader = csv.reader(
                io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting
            )
            cells += [cell for row in reader for cell in row]
    return cells


def every_xlsx_cell(response) -> list:
    workbook = load_workbook(io.BytesIO(response.content))
    return [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]


@pytest.fixture
def hostile_cohort(course, now, take_quiz):
    """Learners, a quiz title, a question and its choices holding every hostile text."""
    quiz = modules_of(course)[0].quiz  # open to every learner of the sequential course
    quiz.title = HOSTILE_TEXTS[0]
    quiz.save()
    question = quiz.questions.order_by("position").first()
    question.title = question.text = " ".join(HOSTILE_TEXTS)
    question.save()
    for choice, text in zip(question.choices.all(), HOSTILE_TEXTS[1:], strict=False):
        choice.text = text
        choice.save()
    for n, text in enumerate(HOSTILE_TEXTS):
        learner = UserFactory(
            first_name=text, last_name="", username=f"{text[:3]}{n}", email=f"{text}@example.org"
        )
        enrollment_create(learner=learner, course=course)
        take_quiz(learner, quiz, now=now, right=n % 2 == 0)
    return quiz


def test_no_csv_download_holds_a_cell_a_spreadsheet_could_run(
    client, course, instructor, hostile_cohort
):
    client.force_login(instructor)
    downloads = [reverse("teach_gradebook_csv", args=[course.slug])] + [
        reverse("teach_quiz_stats_csv", args=[course.slug, hostile_cohort.slug]) + f"?attempts={w}"
        for w in ("first", "best", "all")
    ]

    for url in downloads:
        cells = every_csv_reading(client.get(url))
        assert [cell for cell in cells if could_run_as_a_formula(cell)] == [], url

    [_, *rows] = csv_rows(client.get(downloads[0]))
    names = {row[0] for row in rows}
    assert '\'=HYPERLINK("http://evil.example","Click")' in names  # kept, made inert
    assert "Ann;'=4+5" in names
    [_, question, *_] = csv_rows(client.get(downloads[1]))
    assert question[1].startswith("'=HYPERLINK(")  # the question text, made inert
    assert ";'=4+5 (key)" in question[7]  # and its choices


def test_no_xlsx_download_holds_a_formula_and_figures_stay_numbers(
    client, course, instructor, hostile_cohort
):
    client.force_login(instructor)

    cells = every_xlsx_cell(client.get(reverse("teach_gradebook_xlsx", args=[course.slug])))

    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    assert [cell.value for cell in cells if could_run_as_a_formula(cell.value)] == []
    percents = [cell for cell in cells if cell.column == 4 and cell.row > 1]
    assert len(percents) == len(HOSTILE_TEXTS)
    assert {cell.data_type for cell in percents} == {"n"}  # numbers a spreadsheet adds up


def test_a_name_with_control_characters_still_downloads_as_xlsx(client, course, instructor):
    enrollment_create(
        learner=UserFactory(first_name="Bell\x07", last_name="Ringer"), course=course
    )
    client.force_login(instructor)

    response = client.get(reverse("teach_gradebook_xlsx", args=[course.slug]))

    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content))["Gradebook"]["A2"].value == "Bell Ringer"


# --- Question statistics ------------------------------------------------------------------------


def test_statistics_csv_holds_exactly_what_the_page_shows(client, course, instructor, cohort_of):
    cohort_of(8)
    client.force_login(instructor)
    exam = course.quizzes.get(kind="final")
    page_url = reverse("teach_quiz_stats", args=[course.slug, exam.slug])
    csv_url = reverse("teach_quiz_stats_csv", args=[course.slug, exam.slug])

    shown = {}
    for which in ("first", "best", "all"):
        header, shown[which] = table(client.get(page_url, {"attempts": which}), "quiz-stats")
        downloaded = csv_rows(client.get(csv_url, {"attempts": which}))
        assert downloaded == [header, *shown[which]], which

    # Two finishers, each failing once (question 2 wrong) then passing.
    assert [row[3:6] for row in shown["first"]] == [["2", "2", "1.00"], ["2", "2", "0.00"]]
    assert [row[3:6] for row in shown["all"]] == [["4", "4", "1.00"], ["4", "4", "0.50"]]
    assert "Almost nobody gets this right" in shown["first"][1][-1]


def test_statistics_page_explains_itself_and_offers_the_choice(client, course, instructor):
    client.force_login(instructor)
    quiz = modules_of(course)[0].quiz

    page = client.get(
        reverse("teach_quiz_stats", args=[course.slug, quiz.slug]), {"attempts": "x"}
    )

    text = page.content.decode()
    assert '<option value="best" selected>' in text  # an unknown choice falls back to best
    assert '<label class="form-label" for="stats-attempts">' in text
    assert "0 attempts counted" in text


# --- Queries do not grow with the cohort -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # session, user, course; outline (3); funnel; lost a pass in a regrade; count; page;
        # states, lessons, scores
        ("teach_course", 13),
        # session, user, course; expired attempts (none); enrollment; progress: outline (3),
        # learner (3), from an empty cache; attempts, responses, grade changes; own terms
        ("teach_learner", 15),
        # session, user, course; outline (3); count; page
        ("teach_gradebook", 8),
        ("teach_gradebook_csv", 7),
        ("teach_gradebook_xlsx", 7),
        # session, user, course, quiz; summary, responses by question, snapshots, questions
        ("teach_quiz_stats", 8),
        ("teach_quiz_stats_csv", 8),
    ],
)
def test_queries_do_not_grow_with_the_cohort(
    client, course, instructor, cohort_of, django_assert_num_queries, name, expected
):
    client.force_login(instructor)
    exam = course.quizzes.get(kind="final")

    def url():
        if name == "teach_learner":
            finished = Enrollment.objects.filter(course=course, completed_at__isnull=False)
            return reverse(name, args=[course.slug, finished.latest("pk").learner_id])
        if name.startswith("teach_quiz"):
            return reverse(name, args=[course.slug, exam.slug])
        return reverse(name, args=[course.slug])

    for size, start in ((4, 0), (8, 4)):
        cohort_of(size, start=start)
        address = url()
        cache.clear()  # the same count whatever an earlier page left in the cache
        with django_assert_num_queries(expected):
            response = client.get(address, {"attempts": "first"})
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code == 200


def test_index_queries_do_not_grow_with_courses(client, instructor, django_assert_num_queries):
    client.force_login(instructor)
    with django_assert_num_queries(3):  # session, user, courses with their counts
        client.get(reverse("teach_index"))
    for _ in range(3):
        course_with_modules(modules=1).instructors.add(instructor)
    with django_assert_num_queries(3):
        client.get(reverse("teach_index"))


# --- 10,000 learners (opt-in: COURSEWARE_PERF=1, on PostgreSQL) ----------------------------------


def big_cohort(course: Course, size: int, *, seed: int = 1) -> None:
    """``size`` learners in varied states, written with bulk_create.

    Each has an ability; they read a module, take its quiz up to three times, and
    stop where they fail or lose patience. The final exam draws from its bank.
    """
    rng = random.Random(seed)
    start = datetime(2025, 1, 6, 8, tzinfo=UTC)
    outline = cohort.course_outline(course)
    lessons = {m.pk: list(m.lessons.filter(pk__in=m.lesson_ids)) for m in outline.modules}
    snapshots = {
        quiz.pk: [
            question_snapshot(q, rng=rng, shuffle_choices=False)
            for q in quiz.questions.select_related("lesson").prefetch_related("choices")
        ]
        for quiz in outline.quizzes
    }
    User = get_user_model()
    users = User.objects.bulk_create(
        User(
            username=f"perf{seed}-{n}",
            first_name=rng.choice(["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken"]),
            last_name=f"Learner{n:05d}",
            email=f"perf{seed}-{n}@example.org",
            password="!",
        )
        for n in range(size)
    )
    enrollments, completions, attempts, responses, certificates = [], [], [], [], []

    def take(user, quiz, number, ability, when) -> bool:
        shown = snapshots[quiz.pk]
        if quiz.draw_count and quiz.draw_count < len(shown):
            shown = rng.sample(shown, quiz.draw_count)
        rows, score, max_score = [], Decimal(0), Decimal(0)
        for slot, snapshot in enumerate(shown, start=1):
            points, right = Decimal(snapshot["points"]), rng.random() < ability
            score += points if right else 0
            max_score += points
            answer = right_answer(snapshot) if right else wrong_answer(snapshot)
            rows.append(
                Response(
                    slot=slot,
                    question_id=snapshot["question_id"],
                    shown=snapshot,
                    answer=answer,
                    saved_at=when,
                    score=points if right else Decimal(0),
                    is_correct=right,
                )
            )
        percent = (score * 100 / max_score).quantize(Decimal("0.01"), ROUND_HALF_UP)
        attempt = Attempt(
            learner=user,
            quiz=quiz,
            number=number,
            started_at=when,
            submitted_at=when + timedelta(minutes=10),
            pass_mark=quiz.pass_mark,
            score=score,
            max_score=max_score,
            percent=percent,
            passed=percent >= quiz.pass_mark,
        )
        attempts.append(attempt)
        responses.append((attempt, rows))
        return attempt.passed

    def pass_quiz(user, quiz, ability, when) -> bool:
        return any(
            take(user, quiz, number, ability, when + timedelta(hours=number))
            for number in range(1, (quiz.max_attempts or 3) + 1)
        )

    for user in users:
        ability = rng.uniform(0.45, 0.98)
        patience = rng.randint(0, len(outline.modules) + 1)
        when = start + timedelta(minutes=rng.randint(0, 60 * 24 * 30))
        enrollment = Enrollment(learner=user, course=course)
        enrollments.append(enrollment)
        finished_modules = True
        for index, module in enumerate(outline.modules):
            read = lessons[module.pk]
            if index >= patience:
                read = read[: rng.randint(0, len(read))]
            for lesson in read:
                when += timedelta(minutes=rng.randint(5, 90))
                completions.append(
                    LessonCompletion(learner=user, lesson=lesson, completed_at=when)
                )
                enrollment.last_activity_at = when
            if index >= patience or (
                module.visible_quiz and not pass_quiz(user, module.visible_quiz, ability, when)
            ):
                finished_modules = False
                break
        if finished_modules and outline.final_exam:
            enrollment.last_activity_at = when
            if pass_quiz(user, outline.final_exam, ability, when):
                enrollment.completed_at = when
                certificates.append(
                    Certificate(
                        learner=user,
                        course=course,
                        learner_name=f"{user.first_name} {user.last_name}",
                        course_title=course.title,
                        issued_at=when,
                    )
                )
    Enrollment.objects.bulk_create(enrollments, batch_size=5000)
    LessonCompletion.objects.bulk_create(completions, batch_size=5000)
    Attempt.objects.bulk_create(attempts, batch_size=5000)
    batch = []
    for attempt, rows in responses:
        for row in rows:
            row.attempt = attempt
        batch += rows
        if len(batch) >= 5000:
            Response.objects.bulk_create(batch)
            batch = []
    Response.objects.bulk_create(batch)
    Certificate.objects.bulk_create(certificates, batch_size=5000)


@pytest.mark.skipif(not os.environ.get("COURSEWARE_PERF"), reason="slow: set COURSEWARE_PERF=1")
def test_pages_stay_fast_with_ten_thousand_learners(client):
    from django.core.management import call_command

    call_command("loaddata", "military_diplomacy.json", verbosity=0)
    course = Course.objects.get(slug="military-diplomacy")
    big_cohort(course, int(os.environ.get("COURSEWARE_PERF_SIZE", 10_000)))
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    third = course.modules.order_by("position")[2].slug
    pages = {
        "course": (reverse("teach_course", args=[course.slug]), {}),
        "course, by progress": (
            reverse("teach_course", args=[course.slug]),
            {"sort": "-progress"},
        ),
        "course, page 100": (reverse("teach_course", args=[course.slug]), {"page": 100}),
        "course, module 3 in progress": (
            reverse("teach_course", args=[course.slug]),
            {"module": third, "state": "in_progress", "sort": "-activity"},
        ),
        "course, search": (reverse("teach_course", args=[course.slug]), {"q": "ada 0042"}),
        "learner": (
            reverse(
                "teach_learner", args=[course.slug, Enrollment.objects.latest("pk").learner_id]
            ),
            {},
        ),
        "gradebook": (reverse("teach_gradebook", args=[course.slug]), {}),
        "gradebook.csv": (reverse("teach_gradebook_csv", args=[course.slug]), {}),
        "gradebook.xlsx": (reverse("teach_gradebook_xlsx", args=[course.slug]), {}),
    }
    for quiz in course.quizzes.order_by("kind", "module__position")[:2]:
        for which in ("first", "best", "all"):
            url = reverse("teach_quiz_stats", args=[course.slug, quiz.slug])
            pages[f"stats {quiz.slug} {which}"] = (url, {"attempts": which})
    url = reverse("teach_quiz_stats_csv", args=[course.slug, "final-exam"])
    pages["stats final-exam.csv all"] = (url, {"attempts": "all"})

    print(f"\n{Enrollment.objects.count()} learners on {connection.vendor}; best of 3 runs")
    for label, (url, params) in pages.items():
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            response = client.get(url, params)
            if response.streaming:
                size = len(b"".join(response.streaming_content))
            else:
                size = len(response.content)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, label
        print(f"{label:36} {min(timings) * 1000:8.0f} ms  {size / 1024:8.0f} KiB")

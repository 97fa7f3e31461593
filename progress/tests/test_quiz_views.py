"""The quiz pages through Django's test client: intro, attempt, autosave, submit, result."""

import re
from datetime import timedelta
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from assessments import grading
from assessments.models import Attempt, Quiz, Response
from assessments.review import key_lines
from lessons.models import Lesson, Status
from progress.services import (
    enrollment_create,
    lesson_complete,
    quiz_attempt_start,
    quiz_attempt_submit,
    quiz_response_save,
)
from tests.factories import (
    UserFactory,
    answer_fields,
    course_with_modules,
    essay_question,
    matching_question,
    multiple_question,
    numerical_question,
    right_answer,
    short_question,
    single_question,
    true_false_question,
    wrong_answer,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
# Strings only the answer key, the feedback or the explanation contain.
SECRETS = [
    "SECRET-FEEDBACK",
    "SECRET-EXPLANATION",
    "SECRET-ACCEPTED",
    "271.828",
    "0.001",
    "100.0000",
    "-100.0000",
    "passage-",
]


# --- Building quizzes and answering them ---------------------------------------------


@pytest.fixture
def course():
    """Sequential: module 1's quiz is open, module 2's locked until module 1 is complete."""
    return course_with_modules(modules=2, lessons=1, sequential=True)


@pytest.fixture
def lesson(course):
    return Lesson.objects.get(module__course=course, module__position=1)


@pytest.fixture
def quiz(course, lesson):
    """Module 1's quiz: one question of every kind, each answered by a passage of the lesson."""
    quiz = Quiz.objects.get(module__course=course, module__position=1)
    quiz.questions.all().delete()
    cite = {"quiz": quiz, "lesson": lesson, "explanation": "SECRET-EXPLANATION"}
    single_question(
        position=1,
        text="Which city is the capital of Finland?",
        choices=[("Helsinki", 100, "SECRET-FEEDBACK right"), ("Turku", 0, "SECRET-FEEDBACK no")],
        passage=1,
        **cite,
    )
    multiple_question(position=2, passage=2, **cite)
    true_false_question(position=3, passage=1, **cite)
    short_question(position=4, answers=[("SECRET-ACCEPTED", 100)], **cite)
    numerical_question(position=5, answers=[("271.828", "0.001", 100)], **cite)
    matching_question(position=6, distractors=["Sweden"], **cite)
    # Worth no points, so it holds no attempt back waiting for a grade (test_grading_views).
    essay_question(position=7, points=0, **cite)
    return quiz


@pytest.fixture
def enrolled(learner, course):
    enrollment_create(learner=learner, course=course)
    return learner


@pytest.fixture
def as_learner(client, enrolled):
    client.force_login(enrolled)
    return client


def start(learner, quiz, *, minutes_ago=0) -> Attempt:
    return quiz_attempt_start(
        learner=learner, quiz=quiz, now=timezone.now() - timedelta(minutes=minutes_ago)
    )


def fields(response, answer) -> dict:
    """The POST fields a browser sends for ``answer`` to ``response``'s question."""
    return answer_fields(response.shown, response.slot, answer)


def answers_form(attempt, *, right=True, skip=()) -> dict:
    """What the attempt form posts: every question answered right or wrong, but ``skip``."""
    data = {"answers": "1"}
    for response in attempt.responses.order_by("slot"):
        if response.slot in skip:
            continue
        correct = right(response.slot) if callable(right) else right
        answer = right_answer(response.shown) if correct else wrong_answer(response.shown)
        data |= fields(response, answer)
    return data


def url(name, attempt, **kwargs):
    return reverse(name, kwargs={"pk": attempt.pk, **kwargs})


def quiz_url(name, quiz):
    return reverse(name, kwargs={"course_slug": quiz.course.slug, "slug": quiz.slug})


class Tags(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def __call__(self, name: str) -> list[dict]:
        return [attrs for tag, attrs in self.found if tag == name]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Who may open what -----------------------------------------------------------------


def test_every_quiz_page_needs_a_login(client, enrolled, quiz):
    attempt = start(enrolled, quiz)
    pages = [
        ("get", quiz_url("quiz_detail", quiz)),
        ("post", quiz_url("quiz_start", quiz)),
        ("get", url("attempt_detail", attempt)),
        ("post", url("response_save", attempt, slot=1)),
        ("post", url("attempt_submit", attempt)),
        ("get", url("attempt_result", attempt)),
    ]
    for method, page in pages:
        response = getattr(client, method)(page)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_learner_not_enrolled_is_sent_to_the_course_to_enrol(client, learner, quiz):
    client.force_login(learner)

    response = client.get(quiz_url("quiz_detail", quiz), follow=True)

    assertRedirects(response, quiz.course.get_absolute_url())
    assert "Enrol in the course to take its quizzes." in messages_of(response)
    response = client.post(quiz_url("quiz_start", quiz))
    assertRedirects(response, quiz.course.get_absolute_url())
    assert not Attempt.objects.exists()


def test_a_locked_quiz_says_what_opens_it(as_learner, course):
    locked = Quiz.objects.get(module__course=course, module__position=2)

    for response in (
        as_learner.get(quiz_url("quiz_detail", locked)),
        as_learner.post(quiz_url("quiz_start", locked)),
    ):
        assertContains(response, "opens when you complete “Module 1”", status_code=403)
    assert not Attempt.objects.exists()


def test_a_draft_quiz_is_not_found(as_learner, quiz):
    quiz.status = "draft"
    quiz.save()

    assert as_learner.get(quiz_url("quiz_detail", quiz)).status_code == 404


def test_someone_elses_attempt_is_not_found(client, enrolled, quiz):
    attempt = start(enrolled, quiz)
    other = UserFactory()
    enrollment_create(learner=other, course=quiz.course)
    client.force_login(other)

    assert client.get(url("attempt_detail", attempt)).status_code == 404
    assert client.post(url("attempt_detail", attempt), answers_form(attempt)).status_code == 404
    assert client.post(url("response_save", attempt, slot=1), {"q1": "1"}).status_code == 404
    assert client.post(url("attempt_submit", attempt), {"confirm": "1"}).status_code == 404
    assert client.get(url("attempt_result", attempt)).status_code == 404
    attempt.refresh_from_db()
    assert attempt.submitted_at is None
    assert not attempt.responses.exclude(answer=None).exists()


# --- A course, module or quiz taken off line ------------------------------------------------

# What an instructor can take off line, and how: each leaves the learner's attempts in place.
OFF_LINE = pytest.mark.parametrize(
    ("part", "status"),
    [
        ("course", Status.DRAFT),
        ("course", Status.ARCHIVED),
        ("module", Status.DRAFT),
        ("module", Status.ARCHIVED),
        ("quiz", Status.DRAFT),
        ("quiz", Status.ARCHIVED),
    ],
)


def set_status(quiz, part: str, status: str) -> None:
    """Save the course, module or quiz with ``status``, as the admin does."""
    target = {"course": quiz.course, "module": quiz.module, "quiz": quiz}[part]
    target.status = status
    target.save()


def answers_of(attempt) -> dict:
    return dict(attempt.responses.values_list("slot", "answer"))


@OFF_LINE
def test_an_open_attempt_is_out_of_reach_while_off_line_and_nothing_is_written(
    as_learner, enrolled, quiz, part, status
):
    attempt = start(enrolled, quiz)
    quiz_response_save(attempt=attempt, slot=4, answer="Oslo")
    before = answers_of(attempt)
    set_status(quiz, part, status)

    assert as_learner.get(url("attempt_detail", attempt)).status_code == 404
    assert (
        as_learner.post(url("attempt_detail", attempt), answers_form(attempt)).status_code == 404
    )
    assert as_learner.post(url("response_save", attempt, slot=4), {"q4": "x"}).status_code == 404
    autosave = as_learner.post(url("response_save", attempt, slot=4), {"q4": "x"}, headers=HTMX)
    assertContains(autosave, "⚠ Not saved:")
    assertContains(autosave, "not open at the moment")
    submit = as_learner.post(
        url("attempt_submit", attempt), {**answers_form(attempt), "confirm": "1"}
    )
    assert submit.status_code == 404
    assert as_learner.get(url("attempt_result", attempt)).status_code == 404
    assert as_learner.post(quiz_url("quiz_start", quiz)).status_code in (403, 404)

    attempt.refresh_from_db()
    assert attempt.submitted_at is None
    assert answers_of(attempt) == before
    assert Attempt.objects.filter(learner=enrolled).count() == 1


@OFF_LINE
def test_publishing_again_gives_back_the_open_attempt_with_its_answers(
    as_learner, enrolled, quiz, part, status
):
    attempt = start(enrolled, quiz)
    quiz_response_save(attempt=attempt, slot=4, answer="Oslo")
    set_status(quiz, part, status)
    set_status(quiz, part, Status.PUBLISHED)

    page = as_learner.get(url("attempt_detail", attempt))

    assertContains(page, 'value="Oslo"')
    submitted = as_learner.post(url("attempt_submit", attempt), {"q4": "Oslo", "confirm": "1"})
    assertRedirects(submitted, url("attempt_result", attempt))
    attempt.refresh_from_db()
    assert attempt.is_submitted and attempt.responses.get(slot=4).answer == "Oslo"


@OFF_LINE
def test_a_submitted_result_is_hidden_while_off_line_and_kept(
    as_learner, enrolled, quiz, take_quiz, part, status
):
    attempt = take_quiz(enrolled, quiz, now=timezone.now(), right=False)
    set_status(quiz, part, status)

    assert as_learner.get(url("attempt_result", attempt)).status_code == 404

    set_status(quiz, part, Status.PUBLISHED)
    assertContains(as_learner.get(url("attempt_result", attempt)), "<strong>Not passed</strong>")


@pytest.mark.parametrize("status", [Status.DRAFT, Status.ARCHIVED])
def test_the_deadline_still_runs_off_line_and_the_job_grades_what_was_saved(
    enrolled, quiz, status
):
    quiz.time_limit_minutes = 10
    quiz.save()
    attempt = start(enrolled, quiz, minutes_ago=30)
    helsinki = right_answer(attempt.responses.get(slot=1).shown)
    quiz_response_save(attempt=attempt, slot=1, answer=helsinki, now=attempt.started_at)
    set_status(quiz, "course", status)

    call_command("submit_expired_attempts", stdout=StringIO())

    attempt.refresh_from_db()
    assert attempt.auto_submitted and attempt.submitted_at == attempt.deadline
    assert attempt.score == 1


# --- The intro --------------------------------------------------------------------------


def test_the_intro_says_what_the_quiz_is_and_offers_to_start(as_learner, quiz):
    quiz.max_attempts, quiz.time_limit_minutes, quiz.pass_mark = 3, 15, 80
    quiz.save()

    response = as_learner.get(quiz_url("quiz_detail", quiz))

    assertContains(response, f"<h1>{quiz.title}</h1>", html=True)
    assertContains(response, "The quiz of “Module 1”.")
    for fact in ("<dd class='col-sm-7'>7</dd>", "<dd class='col-sm-7'>80%</dd>"):
        assertContains(response, fact, html=True)
    assertContains(response, "0 used, 3 left of 3")
    assertContains(response, "15 minutes from the moment you start")
    assertContains(response, "No attempt yet")
    assertContains(response, ">Start attempt</button>")
    assertNotContains(response, "Continue attempt")


def test_a_drawn_quiz_counts_the_questions_of_one_attempt(as_learner, quiz):
    quiz.draw_count = 4
    quiz.save()

    response = as_learner.get(quiz_url("quiz_detail", quiz))

    assertContains(response, "4, drawn from a bank of 7 for each attempt")


def test_an_open_attempt_is_continued_not_restarted(as_learner, enrolled, quiz):
    attempt = start(enrolled, quiz)

    response = as_learner.get(quiz_url("quiz_detail", quiz))
    assertContains(response, ">Continue attempt</button>")
    assertNotContains(response, "Start attempt")

    response = as_learner.post(quiz_url("quiz_start", quiz))
    assertRedirects(response, url("attempt_detail", attempt))
    assert Attempt.objects.count() == 1


def test_past_attempts_are_listed_with_their_results(as_learner, enrolled, quiz, take_quiz):
    now = timezone.now()
    first = take_quiz(enrolled, quiz, now=now, right=False)
    second = take_quiz(enrolled, quiz, now=now, right=True)

    response = as_learner.get(quiz_url("quiz_detail", quiz))

    assertContains(response, url("attempt_result", first))
    assertContains(response, url("attempt_result", second))
    assertContains(response, "✓ Passed")
    assertContains(response, "✗ Not passed")
    assertContains(response, "You have passed. You may take it again: your best score counts.")


def test_no_attempts_left_means_no_button_and_says_why(as_learner, enrolled, quiz, take_quiz):
    quiz.max_attempts = 2
    quiz.save()
    for _ in range(2):
        take_quiz(enrolled, quiz, now=timezone.now(), right=False)

    response = as_learner.get(quiz_url("quiz_detail", quiz))

    assertNotContains(response, "Start attempt")
    assertNotContains(response, "Continue attempt")
    assertContains(response, "You have used all 2 attempts. Your best score, 0%, is below")


# --- Starting and retaking ---------------------------------------------------------------


def test_starting_creates_an_attempt_and_opens_it(as_learner, enrolled, quiz):
    response = as_learner.post(quiz_url("quiz_start", quiz))

    attempt = Attempt.objects.get(learner=enrolled, quiz=quiz)
    assertRedirects(response, url("attempt_detail", attempt))
    assert attempt.responses.count() == 7
    assert as_learner.get(quiz_url("quiz_start", quiz)).status_code == 405


def test_retake_from_the_result_creates_attempt_2(as_learner, enrolled, quiz, take_quiz):
    first = take_quiz(enrolled, quiz, now=timezone.now(), right=True)

    result = as_learner.get(url("attempt_result", first))
    assertContains(result, ">Retake the quiz</button>")
    assertContains(result, "Your best score counts")
    response = as_learner.post(quiz_url("quiz_start", quiz))

    second = Attempt.objects.get(learner=enrolled, quiz=quiz, number=2)
    assertRedirects(response, url("attempt_detail", second))


def test_no_retake_once_the_attempts_are_used(as_learner, enrolled, quiz, take_quiz):
    quiz.max_attempts = 1
    quiz.save()
    only = take_quiz(enrolled, quiz, now=timezone.now(), right=False)

    result = as_learner.get(url("attempt_result", only))
    assertNotContains(result, "Retake the quiz")
    assertContains(result, "You have no attempts left")
    response = as_learner.post(quiz_url("quiz_start", quiz), follow=True)

    assertRedirects(response, quiz_url("quiz_detail", quiz))
    assert f"You have used your one attempt at “{quiz.title}”." in messages_of(response)
    assert Attempt.objects.count() == 1


# --- The attempt page --------------------------------------------------------------------


def answer_posts(attempt) -> dict:
    """What the learner posts in ``before_submitting``, read from the key as it is now."""
    wrong = answers_form(attempt, right=False)
    posts = {
        "wrong": wrong,
        "invalid": wrong | {"q5": "about three"},
        "blanks": answers_form(attempt, right=False, skip={2, 4}),
    }
    for response in attempt.responses.all():
        for which, answer in (("right", right_answer), ("wrong", wrong_answer)):
            posts[response.slot, which] = fields(response, answer(response.shown))
    return posts


def before_submitting(client, attempt, posts) -> dict[str, object]:
    """Every response a learner can get from an open attempt, by what they did."""
    pages = {
        "the quiz intro": client.get(quiz_url("quiz_detail", attempt.quiz)),
        "the attempt page": client.get(url("attempt_detail", attempt)),
        "the attempt page, htmx": client.get(url("attempt_detail", attempt), headers=HTMX),
        "the result, asked too early": client.get(url("attempt_result", attempt), follow=True),
        "saving answers with an error": client.post(
            url("attempt_detail", attempt), posts["invalid"]
        ),
        "saving answers": client.post(url("attempt_detail", attempt), posts["wrong"], follow=True),
        "submitting with blanks": client.post(url("attempt_submit", attempt), posts["blanks"]),
        "submitting with an error": client.post(url("attempt_submit", attempt), posts["invalid"]),
    }
    for slot in range(1, attempt.responses.count() + 1):
        save = url("response_save", attempt, slot=slot)
        wrong = posts[slot, "wrong"]
        pages[f"saving question {slot} without htmx"] = client.post(save, wrong, follow=True)
        for which in ("right", "wrong"):
            pages[f"saving question {slot} {which}, htmx"] = client.post(
                save, posts[slot, which], headers=HTMX
            )
    return pages


def test_nothing_sent_before_submitting_holds_a_key_feedback_or_explanation(
    as_learner, enrolled, quiz
):
    attempt = start(enrolled, quiz)

    pages = before_submitting(as_learner, attempt, answer_posts(attempt))

    for what, page in pages.items():
        assert page.status_code == 200, what
        html = page.content.decode()
        for secret in SECRETS:
            assert secret not in html, f"{what} shows {secret}"
    html = pages["the attempt page"].content.decode()
    # The questions, and the options the learner picks from, are there.
    assert "Which city is the capital of Finland?" in html
    assert "Turku" in html
    assert "Latvia" in html and "Sweden" in html
    # Every item of the matching question offers the same list, in an order of its own.
    selects = re.findall(r"<select[^>]*>(.*?)</select>", html, re.S)
    assert len(set(selects)) == 1
    assert re.findall(r"<option[^>]*>([^<]*)</option>", selects[0]) == [
        "Choose…", "Estonia", "Finland", "Latvia", "Sweden",
    ]  # fmt: skip


def _other_key(shown: dict) -> dict:
    """The question as the learner sees it, with every part of its key changed: which
    choices are right, the accepted answers and value, the pairs, the feedback, the
    explanation and the passage that answers it."""
    choices = [dict(choice) for choice in shown["choices"]]
    for choice, weight in zip(choices, [c["weight"] for c in reversed(choices)], strict=True):
        choice |= {"weight": weight, "feedback": "OTHER-FEEDBACK"}
        if shown["kind"] == "short":
            choice["text"] = "OTHER-ACCEPTED"
        if shown["kind"] == "numerical":
            choice |= {"text": "1.5", "value": "1.5", "tolerance": "0.5"}
    lefts = [choice for choice in choices if choice["match"] and choice["text"]]
    for left, match in zip(lefts, [left["match"] for left in lefts[1:] + lefts[:1]], strict=True):
        left["match"] = match
    lesson = shown["lesson"] and {**shown["lesson"], "passage": 2}
    return {**shown, "choices": choices, "explanation": "OTHER-EXPLANATION", "lesson": lesson}


def _as_sent(page) -> tuple:
    # The CSRF token is masked afresh on every page.
    html = re.sub(
        r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1…", page.content.decode()
    )
    hops = getattr(page, "redirect_chain", [])
    return page.status_code, hops, page.headers.get("HX-Redirect"), html


def test_nothing_sent_before_submitting_depends_on_the_answer_key(as_learner, enrolled, quiz):
    attempt = start(enrolled, quiz)
    posts = answer_posts(attempt)  # the same answers are posted again once the key changed

    def sent():
        with transaction.atomic():  # each run starts from the same saved answers
            pages = before_submitting(as_learner, attempt, posts)
            transaction.set_rollback(True)
        return {what: _as_sent(page) for what, page in pages.items()}

    with_key = sent()
    for response in attempt.responses.all():
        response.shown = _other_key(response.shown)
        response.save(update_fields=["shown"])
    with_other_key = sent()

    assert with_key.keys() == with_other_key.keys()
    for what in with_key:
        assert with_key[what] == with_other_key[what], what


def test_every_question_is_a_fieldset_with_a_legend_and_labelled_fields(
    as_learner, enrolled, quiz
):
    attempt = start(enrolled, quiz)

    html = as_learner.get(url("attempt_detail", attempt)).content.decode()
    tags = Tags(html)

    assert len(tags("fieldset")) == 7
    for slot in range(1, 8):
        assert re.search(rf"<legend[^>]*>\s*<span[^>]*>Question {slot} ", html)
    controls = [
        attrs
        for name in ("input", "select", "textarea")
        for attrs in tags(name)
        if attrs.get("type") != "hidden"
    ]
    labelled = {attrs["for"] for attrs in tags("label")}
    assert controls and all(control["id"] in labelled for control in controls)
    kinds = {(c.get("type"), c["name"].split("-")[0]) for c in tags("input") if "name" in c}
    assert {("radio", "q1"), ("checkbox", "q2"), ("radio", "q3"), ("text", "q4")} <= kinds
    answers = [c for c in tags("input") if c.get("name", "").startswith("q")]
    assert answers[-1]["inputmode"] == "decimal"  # the numerical question
    assert len(tags("select")) == 3  # one per matching item
    assert html.count('<option value="">Choose…</option>') == 3
    assert tags("textarea")[0]["name"] == "q7"
    assert [attrs["aria-live"] for attrs in tags("p") if "aria-live" in attrs] == ["polite"] * 7


def test_each_question_saves_itself_as_it_changes(as_learner, enrolled, quiz):
    attempt = start(enrolled, quiz)

    tags = Tags(as_learner.get(url("attempt_detail", attempt)).content.decode())

    for slot, fieldset in enumerate(tags("fieldset"), start=1):
        assert fieldset["hx-post"] == url("response_save", attempt, slot=slot)
        assert fieldset["hx-trigger"] == "change"
        assert fieldset["hx-target"] == f"#q{slot}-status"
    matching = tags("fieldset")[5]
    assert matching["hx-params"] == ",".join(s["name"] for s in tags("select"))
    typed = [a for a in tags("input") + tags("textarea") if a.get("type", "text") == "text"]
    assert [a["name"] for a in typed] == ["q4", "q5", "q7"]
    for attrs in typed:
        assert attrs["hx-trigger"] == "keyup changed delay:800ms"


def test_saved_answers_are_pre_filled(as_learner, enrolled, quiz):
    attempt = start(enrolled, quiz)
    responses = {r.slot: r for r in attempt.responses.all()}
    helsinki = right_answer(responses[1].shown)
    quiz_response_save(attempt=attempt, slot=1, answer=helsinki)
    quiz_response_save(attempt=attempt, slot=4, answer="Oslo")
    quiz_response_save(attempt=attempt, slot=7, answer="My essay so far")

    tags = Tags(as_learner.get(url("attempt_detail", attempt)).content.decode())

    checked = [attrs["value"] for attrs in tags("input") if "checked" in attrs]
    assert checked == [answer_fields(responses[1].shown, 1, helsinki)["q1"]]
    assert next(a for a in tags("input") if a.get("name") == "q4")["value"] == "Oslo"
    assertContains(as_learner.get(url("attempt_detail", attempt)), "My essay so far</textarea>")


def test_save_answers_without_javascript_saves_every_answer(as_learner, enrolled, quiz):
    attempt = start(enrolled, quiz)

    response = as_learner.post(url("attempt_detail", attempt), answers_form(attempt), follow=True)

    assertRedirects(response, url("attempt_detail", attempt))
    assert "Your answers are saved." in messages_of(response)
    for saved in attempt.responses.all():
        assert saved.answer is not None, saved.slot
    attempt.refresh_from_db()
    assert attempt.submitted_at is None


def test_an_invalid_answer_is_explained_and_kept_as_typed(as_learner, enrolled, quiz):
    attempt = start(enrolled, quiz)
    data = answers_form(attempt) | {"q5": "about three"}

    response = as_learner.post(url("attempt_detail", attempt), data)

    assert response.status_code == 200
    assertContains(response, "1 answer was not saved")
    assertContains(response, "Not saved: Type a number, for example 3.14 or 3,14.")
    assertContains(response, 'value="about three"')
    assert attempt.responses.get(slot=5).answer is None
    assert attempt.responses.get(slot=4).answer == "SECRET-ACCEPTED"


def test_a_timed_attempt_shows_a_countdown_without_inline_script(as_learner, enrolled, quiz):
    quiz.time_limit_minutes = 20
    quiz.save()
    attempt = start(enrolled, quiz, minutes_ago=5)

    html = as_learner.get(url("attempt_detail", attempt)).content.decode()

    (timer,) = [attrs for attrs in Tags(html)("p") if attrs.get("role") == "timer"]
    assert timer["data-deadline"] == attempt.deadline.isoformat(timespec="milliseconds")
    assert re.search(r"Time left: <span data-time-left>1[45]:\d\d</span>", html)
    assert not re.search(r"<script>|<script [^>]*>[^<]", html)
    assert "courseware/attempt.js" in html


def test_an_untimed_attempt_has_no_countdown(as_learner, enrolled, quiz):
    attempt = start(enrolled, quiz)

    assertNotContains(as_learner.get(url("attempt_detail", attempt)), 'role="timer"')


def test_a_submitted_attempt_opens_its_result(as_learner, enrolled, quiz, take_quiz):
    attempt = take_quiz(enrolled, quiz, now=timezone.now())

    assertRedirects(as_learner.get(url("attempt_detail", attempt)), url("attempt_result", attempt))


def test_an_expired_attempt_is_submitted_with_what_was_saved(as_learner, enrolled, quiz):
    quiz.time_limit_minutes = 10
    quiz.save()
    attempt = start(enrolled, quiz, minutes_ago=30)
    helsinki = right_answer(attempt.responses.get(slot=1).shown)
    quiz_response_save(attempt=attempt, slot=1, answer=helsinki, now=attempt.started_at)

    response = as_learner.get(url("attempt_detail", attempt), follow=True)

    assertRedirects(response, url("attempt_result", attempt))
    assert any("Time ran out" in message for message in messages_of(response))
    attempt.refresh_from_db()
    assert attempt.auto_submitted is True
    assert attempt.submitted_at == attempt.deadline
    assert attempt.score == 1


# --- Saving as you go (htmx) --------------------------------------------------------------


def test_autosave_saves_one_answer_and_returns_its_status(as_learner, enrolled, quiz):
    attempt = start(enrolled, quiz)
    matching = attempt.responses.get(slot=6)
    answer = right_answer(matching.shown)

    response = as_learner.post(
        url("response_save", attempt, slot=6), fields(matching, answer), headers=HTMX
    )

    assert response.status_code == 200
    assert (
        response.content.decode().strip() == '<span class="text-success-emphasis">✓ Saved</span>'
    )
    matching.refresh_from_db()
    assert matching.answer == answer


def test_autosave_of_an_invalid_answer_says_what_is_wrong(as_learner, enrolled, quiz):
    attempt = start(enrolled, quiz)
    quiz_response_save(attempt=attempt, slot=5, answer="3")

    response = as_learner.post(url("response_save", attempt, slot=5), {"q5": "x"}, headers=HTMX)

    assertContains(response, "⚠ Not saved: Type a number, for example 3.14 or 3,14.")
    assert attempt.responses.get(slot=5).answer == "3"


def test_autosave_of_a_cleared_answer_clears_it(as_learner, enrolled, quiz):
    attempt = start(enrolled, quiz)
    quiz_response_save(
        attempt=attempt, slot=2, answer=right_answer(attempt.responses.get(slot=2).shown)
    )

    as_learner.post(url("response_save", attempt, slot=2), {}, headers=HTMX)

    assert attempt.responses.get(slot=2).answer is None


def test_a_late_answer_is_refused_and_the_attempt_handed_in(as_learner, enrolled, quiz):
    quiz.time_limit_minutes = 10
    quiz.save()
    attempt = start(enrolled, quiz, minutes_ago=11)

    response = as_learner.post(url("response_save", attempt, slot=4), {"q4": "late"}, headers=HTMX)

    assert response["HX-Redirect"] == url("attempt_result", attempt)
    assert attempt.responses.get(slot=4).answer is None
    attempt.refresh_from_db()
    assert attempt.auto_submitted and attempt.submitted_at == attempt.deadline
    result = as_learner.get(url("attempt_result", attempt))
    assert any("came in after the time limit" in m for m in messages_of(result))


def test_saving_into_a_submitted_attempt_is_refused(as_learner, enrolled, quiz, take_quiz):
    attempt = take_quiz(enrolled, quiz, now=timezone.now(), right=False)
    before = attempt.responses.get(slot=4).answer

    response = as_learner.post(url("response_save", attempt, slot=4), {"q4": "SECRET-ACCEPTED"})

    assertRedirects(response, url("attempt_result", attempt))
    assert attempt.responses.get(slot=4).answer == before


def test_autosave_without_htmx_returns_to_the_question(as_learner, enrolled, quiz):
    attempt = start(enrolled, quiz)

    response = as_learner.post(url("response_save", attempt, slot=4), {"q4": "Oslo"})

    assertRedirects(response, url("attempt_detail", attempt) + "#question-4")
    assert attempt.responses.get(slot=4).answer == "Oslo"


# --- Submitting ----------------------------------------------------------------------------


def test_unanswered_questions_ask_for_confirmation_first(as_learner, enrolled, quiz):
    attempt = start(enrolled, quiz)

    response = as_learner.post(url("attempt_submit", attempt), answers_form(attempt, skip={2, 7}))

    assertContains(response, "You have not answered 2 of 7 questions.")
    assertContains(response, f'href="{url("attempt_detail", attempt)}#question-2">Question 2</a>')
    assertContains(response, f'href="{url("attempt_detail", attempt)}#question-7">Question 7</a>')
    assertNotContains(response, "#question-1")
    assertContains(response, ">Submit anyway</button>")
    assertContains(
        response, f'<a class="btn btn-outline-primary" href="{url("attempt_detail", attempt)}">'
    )
    assertContains(response, "Back to the questions</a>")
    attempt.refresh_from_db()
    assert attempt.submitted_at is None
    # What was posted is saved meanwhile: going back loses nothing.
    assert attempt.responses.get(slot=4).answer == "SECRET-ACCEPTED"

    response = as_learner.post(url("attempt_submit", attempt), {"confirm": "1"})

    assertRedirects(response, url("attempt_result", attempt))
    attempt.refresh_from_db()
    assert attempt.submitted_at is not None
    assert attempt.responses.get(slot=4).answer == "SECRET-ACCEPTED"


def test_a_complete_attempt_is_graded_at_once(as_learner, enrolled, quiz):
    attempt = start(enrolled, quiz)

    response = as_learner.post(url("attempt_submit", attempt), answers_form(attempt), follow=True)

    assertRedirects(response, url("attempt_result", attempt))
    attempt.refresh_from_db()
    assert attempt.passed is True
    assert attempt.percent == 100


def test_a_double_submit_grades_once(as_learner, enrolled, quiz):
    attempt = start(enrolled, quiz)
    wrong = answers_form(attempt, right=False) | {"confirm": "1"}
    as_learner.post(url("attempt_submit", attempt), wrong)
    attempt.refresh_from_db()
    graded = (attempt.submitted_at, attempt.score, attempt.percent)

    # The second click carries right answers: they must change nothing.
    response = as_learner.post(url("attempt_submit", attempt), answers_form(attempt, right=True))

    assertRedirects(response, url("attempt_result", attempt))
    attempt.refresh_from_db()
    assert (attempt.submitted_at, attempt.score, attempt.percent) == graded
    assert attempt.responses.get(slot=4).answer == "certainly not this"


def test_submitting_an_invalid_answer_shows_the_page_again(as_learner, enrolled, quiz):
    attempt = start(enrolled, quiz)

    response = as_learner.post(
        url("attempt_submit", attempt), answers_form(attempt) | {"q5": "many"}
    )

    assertContains(response, "Not saved: Type a number")
    attempt.refresh_from_db()
    assert attempt.submitted_at is None


def test_submitting_after_the_deadline_hands_in_what_was_saved_in_time(as_learner, enrolled, quiz):
    quiz.time_limit_minutes = 10
    quiz.save()
    attempt = start(enrolled, quiz, minutes_ago=12)

    response = as_learner.post(url("attempt_submit", attempt), answers_form(attempt))

    assertRedirects(response, url("attempt_result", attempt), fetch_redirect_response=False)
    attempt.refresh_from_db()
    assert attempt.auto_submitted is True
    assert attempt.score == 0
    assert not attempt.responses.exclude(answer=None).exists()


def test_the_result_of_an_open_attempt_sends_back_to_it(as_learner, enrolled, quiz):
    attempt = start(enrolled, quiz)

    assertRedirects(as_learner.get(url("attempt_result", attempt)), url("attempt_detail", attempt))


# --- The result ------------------------------------------------------------------------------


def submit(client, attempt, **answers):
    client.post(
        url("attempt_submit", attempt), answers_form(attempt, **answers) | {"confirm": "1"}
    )
    return client.get(url("attempt_result", attempt))


def test_the_result_gives_the_score_and_right_or_wrong_per_question(as_learner, enrolled, quiz):
    attempt = start(enrolled, quiz)

    # Right but for the single choice and the matching (one of three pairs right).
    response = submit(as_learner, attempt, right=lambda slot: slot not in (1, 6))

    assertContains(response, f"<h1>{quiz.title}: Result</h1>", html=True)
    assertContains(response, "<strong>Not passed</strong>", html=True)
    assertContains(response, "You scored 4 of 6 points: 66.67%. The pass mark is 70%.")
    html = response.content.decode()
    statuses = re.findall(r"Question (\d):\s*<span class=\"badge [^\"]+\">([^<]+)</span>", html)
    assert statuses == [
        ("1", "✗ Wrong"),
        ("2", "✓ Right"),
        ("3", "✓ Right"),
        ("4", "✓ Right"),
        ("5", "✓ Right"),
        ("6", "✗ Wrong"),
        ("7", "Not marked automatically"),
    ]


def alert_boxes(response) -> list[str]:
    """The colour of every alert box on the page, messages included, in order."""
    return [
        alert
        for attrs in Tags(response.content.decode())("div")
        for alert in (attrs.get("class") or "").split()
        if alert.startswith("alert-")
    ]


@pytest.mark.parametrize(
    ("answers", "essay_points", "box", "verdict"),
    [
        ({"right": True}, 0, "alert-success", "Passed"),
        ({"right": False}, 0, "alert-warning", "Not passed"),
        ({"right": True}, 1, "alert-info", "Awaiting grading"),
    ],
    ids=["passed", "not-passed", "awaiting-grading"],
)
def test_submitting_leads_to_one_verdict_never_success_beside_failure(
    as_learner, enrolled, quiz, answers, essay_points, box, verdict
):
    quiz.questions.filter(kind="essay").update(points=essay_points)
    attempt = start(enrolled, quiz)

    response = as_learner.post(
        url("attempt_submit", attempt),
        answers_form(attempt, **answers) | {"confirm": "1"},
        follow=True,
    )

    assertRedirects(response, url("attempt_result", attempt))
    assertContains(response, f"<strong>{verdict}</strong>", html=True)
    # The result box is the page's only news: no green "submitted" above a "Not passed".
    assert alert_boxes(response) == [box]
    assert messages_of(response) == []


def test_partly_right_is_said_so(as_learner, enrolled, quiz):
    attempt = start(enrolled, quiz)
    multiple = attempt.responses.get(slot=2)
    half = [right_answer(multiple.shown)[0]]
    as_learner.post(url("response_save", attempt, slot=2), fields(multiple, half))

    as_learner.post(url("attempt_submit", attempt), {"confirm": "1"})
    response = as_learner.get(url("attempt_result", attempt))

    assertContains(response, "◐ Partly right")
    assertContains(response, "0.5 of 1 point")


def test_a_pass_says_passed_and_points_to_the_next_module(
    as_learner, enrolled, quiz, course, lesson
):
    lesson_complete(learner=enrolled, lesson=lesson)
    attempt = start(enrolled, quiz)

    response = submit(as_learner, attempt, right=True)

    assertContains(response, "<strong>Passed</strong>", html=True)
    next_lesson = Lesson.objects.get(module__course=course, module__position=2)
    assertContains(
        response,
        f'<a class="btn btn-primary" href="{next_lesson.get_absolute_url()}">'
        "Continue to the next module: Module 2</a>",
        html=True,
    )
    assertNotContains(response, "Re-read:")


def test_re_read_links_go_to_the_passage_of_each_missed_question(
    as_learner, enrolled, quiz, lesson
):
    attempt = start(enrolled, quiz)

    response = submit(as_learner, attempt, right=lambda slot: slot not in (1, 2))

    for passage in (1, 2):
        link = (
            f'<a href="{lesson.get_absolute_url()}#passage-{passage}">Re-read: {lesson.title}</a>'
        )
        assertContains(response, link, html=True)
    # Questions 3-6 were right and the essay is not marked: no links for them.
    assertContains(response, "Re-read:", count=2)


REVEALED = ["<dt>Your answer</dt>", "SECRET-FEEDBACK no", "SECRET-EXPLANATION", "Right answer"]


def test_after_each_attempt_shows_answers_keys_feedback_and_explanations(
    as_learner, enrolled, quiz
):
    quiz.review = Quiz.Review.AFTER_EACH_ATTEMPT
    quiz.save()
    attempt = start(enrolled, quiz)

    response = submit(as_learner, attempt, right=lambda slot: slot != 1)

    for text in REVEALED:
        assertContains(response, text)
    assertContains(response, "<dd>Turku</dd>", html=True)  # the learner's answer
    assertContains(response, '<dd lang="en">Helsinki</dd>', html=True)  # the right one
    assertContains(response, "Re-read: Lesson 1.1")


def test_score_only_shows_right_or_wrong_and_nothing_more(as_learner, enrolled, quiz):
    quiz.review = Quiz.Review.SCORE_ONLY
    quiz.save()
    attempt = start(enrolled, quiz)

    response = submit(as_learner, attempt, right=lambda slot: slot != 1)

    for text in [*REVEALED, "SECRET-ACCEPTED", "271.828", "Helsinki"]:
        assertNotContains(response, text)
    assertContains(response, "✗ Wrong")
    assertContains(response, "This quiz shows which questions you got right, not the answers.")
    assertContains(response, "Re-read: Lesson 1.1", count=1)


def test_after_passing_reveals_only_once_passed(as_learner, enrolled, quiz):
    quiz.review = Quiz.Review.AFTER_PASSING
    quiz.save()
    failed = start(enrolled, quiz)

    response = submit(as_learner, failed, right=False)
    for text in REVEALED:
        assertNotContains(response, text)
    assertContains(response, "shown once you pass this quiz or have used all your attempts")
    # Every question, the essay left blank too: a blank answer is wrong, whatever its kind.
    assertContains(response, "Re-read: Lesson 1.1", count=7)

    passed = start(enrolled, quiz)
    submit(as_learner, passed, right=True)
    # Passing opens the review of every attempt, the failed one too.
    response = as_learner.get(url("attempt_result", failed))
    for text in REVEALED:
        assertContains(response, text)


def test_after_passing_reveals_once_no_attempt_is_left(as_learner, enrolled, quiz):
    quiz.review = Quiz.Review.AFTER_PASSING
    quiz.max_attempts = 2
    quiz.save()
    first = start(enrolled, quiz)
    assertNotContains(submit(as_learner, first, right=False), "SECRET-EXPLANATION")

    last = start(enrolled, quiz)
    response = submit(as_learner, last, right=False)

    assertContains(response, "<strong>Not passed</strong>", html=True)
    for text in REVEALED:
        assertContains(response, text)


def review_sections(page) -> dict[int, str]:
    """The result page's review of each question, by slot."""
    html = page.content.decode()
    found = re.findall(r'<section [^>]*aria-labelledby="review-(\d+)">(.*?)</section>', html, re.S)
    return {int(slot): section for slot, section in found}


def what_reveals_the_key(response) -> dict[str, list[str]]:
    """What the snapshot holds that gives a question's key away: the key itself, the
    feedback of every choice, the explanation."""
    shown = response.shown
    return {
        "key": key_lines(shown),
        "feedback": [c["feedback"] for c in shown.get("choices", []) if c.get("feedback")],
        "explanation": [shown["explanation"]] if shown.get("explanation") else [],
    }


def leaked(page, attempt) -> list[str]:
    """Every key, feedback or explanation of ``attempt`` that ``page`` shows."""
    html, sections = page.content.decode(), review_sections(page)
    leaks = []
    for response in attempt.responses.all():
        secrets = what_reveals_the_key(response)
        # Feedback and explanations appear nowhere; a key line not in its own question's
        # review (another question may legitimately show the same words as an answer).
        for text in [*secrets["feedback"], *secrets["explanation"]]:
            if escape(text) in html:
                leaks.append(text)
        leaks += [line for line in secrets["key"] if escape(line) in sections[response.slot]]
    return leaks


def test_by_default_a_failed_quiz_with_attempts_left_shows_right_or_wrong_but_no_key(
    as_learner, enrolled, quiz, lesson
):
    attempt = start(enrolled, quiz)  # the quiz keeps the default review; no attempt limit

    page = submit(as_learner, attempt, right=False)

    assertContains(page, "<strong>Not passed</strong>", html=True)
    assert leaked(page, attempt) == []
    assertContains(page, "✗ Wrong", count=7)  # the blank essay too
    assertContains(page, "<dt>Your answer</dt>", count=7, html=True)
    assertContains(page, "<dd>Turku</dd>", html=True)  # the learner's own (wrong) answer
    for passage in (1, 2):
        assertContains(page, f'<a href="{lesson.get_absolute_url()}#passage-{passage}">')
    assertContains(page, "Re-read: Lesson 1.1", count=7)
    assertContains(page, "shown once you pass this quiz or have used all your attempts")


def test_by_default_the_key_is_shown_once_passed(as_learner, enrolled, quiz):
    failed = start(enrolled, quiz)
    submit(as_learner, failed, right=False)

    submit(as_learner, start(enrolled, quiz), right=True)
    page = as_learner.get(url("attempt_result", failed))

    # Every question was wrong: each review now holds its key (if it has one), the
    # explanation, and the feedback of the answer given.
    for response in failed.responses.all():
        secrets = what_reveals_the_key(response)
        section = review_sections(page)[response.slot]
        for text in [*secrets["key"], *secrets["explanation"]]:
            assert escape(text) in section, (response.slot, text)
    assertContains(page, "SECRET-FEEDBACK no")


def test_by_default_the_key_is_shown_once_no_attempt_is_left(as_learner, enrolled, quiz):
    quiz.max_attempts = 2
    quiz.save()
    first = start(enrolled, quiz)
    assert leaked(submit(as_learner, first, right=False), first) == []

    last = start(enrolled, quiz)
    page = submit(as_learner, last, right=False)

    assertContains(page, "You have no attempts left")
    assert set(leaked(page, last)) >= {"SECRET-EXPLANATION", "SECRET-FEEDBACK no", "Helsinki"}
    assert leaked(as_learner.get(url("attempt_result", first)), first) != []


# --- Numbers that cannot be compared ----------------------------------------------------------

BOUNDS = (
    "Type a number between -1,000,000,000,000,000 and 1,000,000,000,000,000, "
    "with at most 10 decimal places."
)


def test_a_number_too_large_to_compare_gets_a_form_error_and_is_not_saved(
    as_learner, enrolled, quiz
):
    attempt = start(enrolled, quiz)
    data = answers_form(attempt) | {"q5": "1e1000000"}

    page = as_learner.post(url("attempt_detail", attempt), data)
    autosaved = as_learner.post(
        url("response_save", attempt, slot=5), {"q5": "1e1000000"}, headers=HTMX
    )
    submitted = as_learner.post(url("attempt_submit", attempt), data | {"confirm": "1"})

    assertContains(page, f"Not saved: {BOUNDS}")
    assertContains(autosaved, f"⚠ Not saved: {BOUNDS}")
    assertContains(submitted, f"Not saved: {BOUNDS}")
    assert attempt.responses.get(slot=5).answer is None
    attempt.refresh_from_db()
    assert attempt.submitted_at is None


def huge_number_saved_before_the_bound(attempt) -> None:
    """What an attempt saved before numbers were bounded holds: written as it was stored."""
    Response.objects.filter(attempt=attempt, slot=5).update(answer="1e1000000")


def test_an_attempt_holding_a_huge_number_is_submitted_and_its_result_shown(
    as_learner, enrolled, quiz
):
    attempt = start(enrolled, quiz)
    huge_number_saved_before_the_bound(attempt)

    submitted = as_learner.post(url("attempt_submit", attempt), {"confirm": "1"}, follow=True)

    assertRedirects(submitted, url("attempt_result", attempt))
    assertContains(submitted, "You scored 0 of 6 points")
    assertContains(submitted, "1e1000000")
    attempt.refresh_from_db()
    assert attempt.responses.get(slot=5).answer == "1e1000000"  # graded, not rewritten
    assert attempt.responses.get(slot=5).is_correct is False


def test_an_expired_attempt_holding_a_huge_number_is_handed_in_from_the_intro(
    as_learner, enrolled, quiz
):
    quiz.time_limit_minutes = 10
    quiz.save()
    attempt = start(enrolled, quiz, minutes_ago=30)
    huge_number_saved_before_the_bound(attempt)

    intro = as_learner.get(quiz_url("quiz_detail", quiz), follow=True)

    assert intro.status_code == 200
    assert any("Time ran out" in message for message in messages_of(intro))
    attempt.refresh_from_db()
    assert attempt.auto_submitted and attempt.score == 0


def test_the_instructor_sees_an_expired_attempt_holding_a_huge_number(
    client, enrolled, quiz, course
):
    quiz.time_limit_minutes = 10
    quiz.save()
    attempt = start(enrolled, quiz, minutes_ago=30)
    huge_number_saved_before_the_bound(attempt)
    instructor = UserFactory(is_staff=True)
    course.instructors.add(instructor)
    client.force_login(instructor)

    page = client.get(reverse("teach_learner", args=[course.slug, enrolled.pk]))

    assertContains(page, "1e1000000")
    attempt.refresh_from_db()
    assert attempt.auto_submitted and attempt.score == 0


# --- The cron command ------------------------------------------------------------------------


def test_the_command_submits_expired_attempts_only(enrolled, quiz, course):
    quiz.time_limit_minutes = 10
    quiz.save()
    expired = start(enrolled, quiz, minutes_ago=20)
    other = UserFactory()
    enrollment_create(learner=other, course=course)
    running = start(other, quiz, minutes_ago=2)
    out = StringIO()

    call_command("submit_expired_attempts", stdout=out)

    assert out.getvalue() == "Submitted 1 expired attempt.\n"
    expired.refresh_from_db()
    running.refresh_from_db()
    assert expired.auto_submitted and expired.submitted_at == expired.deadline
    assert running.submitted_at is None
    out = StringIO()
    call_command("submit_expired_attempts", stdout=out)
    assert out.getvalue() == "Submitted 0 expired attempts.\n"


def test_the_command_grades_the_others_when_one_fails_and_exits_with_an_error(
    enrolled, quiz, course, monkeypatch
):
    quiz.time_limit_minutes = 10
    quiz.save()
    failing = start(enrolled, quiz, minutes_ago=30)
    other = UserFactory()
    enrollment_create(learner=other, course=course)
    graded = start(other, quiz, minutes_ago=20)
    failing.responses.filter(slot=4).update(answer="cannot be graded")
    real_grade = grading.grade
    monkeypatch.setattr(
        "assessments.services.grade",
        lambda shown, answer: 1 / 0 if answer == "cannot be graded" else real_grade(shown, answer),
    )
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match="1 expired attempt could not be graded"):
        call_command("submit_expired_attempts", stdout=out, stderr=err)

    assert out.getvalue() == "Submitted 1 expired attempt.\n"
    graded.refresh_from_db()
    failing.refresh_from_db()
    assert graded.auto_submitted and graded.submitted_at == graded.deadline
    assert failing.submitted_at is None
    # The next run tries it again, and still grades nothing twice.
    with pytest.raises(CommandError):
        call_command("submit_expired_attempts", stdout=StringIO(), stderr=StringIO())


# --- Query counts: fixed, whatever the size ------------------------------------------------


def sized_quiz(course, questions: int) -> Quiz:
    quiz = Quiz.objects.get(module__course=course, module__position=1)
    quiz.questions.all().delete()
    lesson = Lesson.objects.get(module=quiz.module)
    for position in range(1, questions + 1):
        single_question(quiz=quiz, position=position, lesson=lesson, passage=1)
    return quiz


def sized_attempts(learner, quiz, take_quiz, attempts: int) -> list[Attempt]:
    """``attempts`` submitted attempts, all failed, so that one more may start."""
    return [take_quiz(learner, quiz, now=timezone.now(), right=False) for _ in range(attempts)]


def sized_open_attempt(learner, course, take_quiz, questions: int, attempts: int) -> Attempt:
    """An attempt just started at a quiz of ``questions`` questions, after ``attempts``
    failed ones."""
    quiz = sized_quiz(course, questions)
    sized_attempts(learner, quiz, take_quiz, attempts)
    return start(learner, quiz)


# Questions in the quiz, and attempts the learner already made at it.
SIZES = pytest.mark.parametrize(("questions", "attempts"), [(3, 1), (15, 4)])


@SIZES
def test_queries_of_the_intro(
    as_learner, enrolled, course, take_quiz, questions, attempts, django_assert_num_queries
):
    quiz = sized_quiz(course, questions)
    sized_attempts(enrolled, quiz, take_quiz, attempts)
    start(enrolled, quiz)

    cache.clear()
    # Session, user, quiz, attempts; the outline's 3 and the learner's 3 once cached.
    with django_assert_num_queries(4 + 6):
        as_learner.get(quiz_url("quiz_detail", quiz))
    with django_assert_num_queries(4):
        response = as_learner.get(quiz_url("quiz_detail", quiz))
    assert response.status_code == 200
    assertContains(response, "Continue attempt")


@SIZES
def test_queries_of_the_attempt_page(
    as_learner, enrolled, course, take_quiz, questions, attempts, django_assert_num_queries
):
    attempt = sized_open_attempt(enrolled, course, take_quiz, questions, attempts)

    with django_assert_num_queries(4):
        response = as_learner.get(url("attempt_detail", attempt))
    assert response.content.decode().count("<fieldset") == questions


@SIZES
def test_queries_of_an_autosave(
    as_learner, enrolled, course, take_quiz, questions, attempts, django_assert_num_queries
):
    attempt = sized_open_attempt(enrolled, course, take_quiz, questions, attempts)
    response = attempt.responses.get(slot=questions)

    # Session, user, the response with its attempt; BEGIN, lock the attempt, write the
    # answer by key, COMMIT.
    with django_assert_num_queries(7):
        saved = as_learner.post(
            url("response_save", attempt, slot=questions),
            fields(response, right_answer(response.shown)),
            headers=HTMX,
        )
    assertContains(saved, "Saved")


@SIZES
def test_queries_of_an_autosave_to_an_attempt_submitted_in_another_tab(
    as_learner, enrolled, course, take_quiz, questions, attempts, django_assert_num_queries
):
    attempt = sized_open_attempt(enrolled, course, take_quiz, questions, attempts)
    response = attempt.responses.get(slot=questions)
    quiz_attempt_submit(attempt=attempt)

    # The autosave's seven, then what the refusal's follow-up reads (the attempt's quiz and
    # course, its learner, the learner's progress for the gradebooks' event): none of it
    # one column at a time because the lock read only what decides whether to take answers.
    with django_assert_num_queries(13):
        refused = as_learner.post(
            url("response_save", attempt, slot=questions),
            fields(response, right_answer(response.shown)),
            headers=HTMX,
        )
    assert refused.headers["HX-Redirect"] == url("attempt_result", attempt)


@SIZES
@pytest.mark.parametrize("right", [False, True])
def test_queries_of_a_submit(
    as_learner, enrolled, course, take_quiz, questions, attempts, right, django_assert_num_queries
):
    attempt = sized_open_attempt(enrolled, course, take_quiz, questions, attempts)
    answers = answers_form(attempt, right=right)
    as_learner.post(url("attempt_detail", attempt), answers)  # saved, as the page does

    # Session, user, the attempt with its quiz and course, its responses; BEGIN, lock the
    # attempt with its quiz, course and learner, responses again (under the lock), grades,
    # the attempt; the last activity; the learner's gradebook links on learning platforms
    # (lti, told by ``Event.RESULTS_CHANGED``), COMMIT: one transaction, the grading's own in a
    # SAVEPOINT and its RELEASE, and so each listener (the LRS's outbox for the submission, the
    # gradebooks' for the results). A pass also looks for a certificate and reads the
    # learner's changed progress (3).
    with django_assert_num_queries(18 + (4 if right else 0)):
        submitted = as_learner.post(url("attempt_submit", attempt), {**answers, "confirm": "1"})
    assert submitted.status_code == 302
    attempt.refresh_from_db()
    assert attempt.is_submitted and attempt.passed is right


@SIZES
def test_queries_of_the_result(
    as_learner, enrolled, course, take_quiz, questions, attempts, django_assert_num_queries
):
    quiz = sized_quiz(course, questions)
    attempt = sized_attempts(enrolled, quiz, take_quiz, attempts)[-1]

    cache.clear()
    # Session, user, attempt, responses, grade changes; the outline's 3 and the learner's 3
    # once cached.
    with django_assert_num_queries(5 + 6):
        as_learner.get(url("attempt_result", attempt))
    with django_assert_num_queries(5):
        response = as_learner.get(url("attempt_result", attempt))
    assertContains(response, "Re-read:", count=questions)

"""Question texts shown in their Moodle text format, on every page that shows them."""

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import Quiz
from assessments.review import answer_lines, key_lines
from assessments.text_formats import plain_text, render_text
from progress.services import enrollment_create, quiz_attempt_start, quiz_attempt_submit
from tests.factories import course_with_modules, matching_question, single_question

HOSTILE = '<b>bold</b> <i id="question-1-status">x</i><script>alert(1)</script>'


def test_html_is_sanitised_as_lessons_are_and_names_no_element():
    shown = render_text(HOSTILE + '<a href="javascript:x">l</a><img src=x onerror=y>', "html")

    assert "<b>bold</b>" in shown and "<i>x</i>" in shown
    assert "script" not in shown and "javascript" not in shown and "onerror" not in shown
    assert "id=" not in shown  # the page's own ids (autosave targets) cannot be taken


def test_markdown_is_rendered_as_lessons_are_without_passage_anchors():
    shown = render_text("The **sun** rises\n\n- east", "markdown")

    assert "<strong>sun</strong>" in shown and "<li>east</li>" in shown
    assert "passage" not in shown


@pytest.mark.parametrize("text_format", ["", "moodle", "plain", "no such format"])
def test_plain_and_moodle_texts_are_escaped_with_their_line_breaks(text_format):
    assert render_text("a < b & <b>c</b>\nnext", text_format) == (
        "a &lt; b &amp; &lt;b&gt;c&lt;/b&gt;<br>next"
    )


# --- On the pages ---------------------------------------------------------------------------


@pytest.fixture
def quiz(db):
    course = course_with_modules(modules=1, lessons=1)
    quiz = Quiz.objects.get(module__course=course)
    quiz.questions.all().delete()
    quiz.review = Quiz.Review.AFTER_EACH_ATTEMPT
    quiz.save()
    question = single_question(
        quiz=quiz,
        position=1,
        text="Which is <b>bold</b>?\n<pre>  kept</pre>",
        text_format="html",
        explanation="It is **this** one.",
        explanation_format="markdown",
        choices=[("<i>this</i>", 100, "<em>Right</em>"), ("that", 0, "Not <i>that</i>")],
    )
    question.choices.filter(text="that").update(text_format="plain", feedback_format="moodle")
    matching_question(quiz=quiz, position=2, text="Pair *them*", text_format="markdown")
    return quiz


@pytest.fixture
def attempt(quiz, learner):
    enrollment_create(learner=learner, course=quiz.course)
    return quiz_attempt_start(learner=learner, quiz=quiz, now=timezone.now())


def test_the_attempt_page_shows_each_text_in_its_format(client, attempt):
    client.force_login(attempt.learner)

    page = client.get(reverse("attempt_detail", args=[attempt.pk])).content.decode()

    assert "Which is <b>bold</b>?\n<pre>  kept</pre>" in page
    assert "<i>this</i>" in page  # a choice in the question's format
    assert ">&lt;that&gt;<" not in page and ">that<" in page  # plain, as written
    assert "Pair <em>them</em>" in page
    assert "&lt;b&gt;" not in page


def test_the_result_shows_feedback_and_explanation_in_their_formats(client, attempt, answer_all):
    answer_all(attempt, now=timezone.now(), right=True)
    quiz_attempt_submit(attempt=attempt, now=timezone.now())
    client.force_login(attempt.learner)

    page = client.get(reverse("attempt_result", args=[attempt.pk])).content.decode()

    assert "Which is <b>bold</b>?" in page
    assert "<em>Right</em>" in page
    assert "It is <strong>this</strong> one." in page


def test_answer_and_key_lines_read_formatted_choices_as_plain_text():
    shown = {
        "kind": "single",
        "text_format": "html",
        "choices": [
            {"id": 1, "text": "<p>Right &amp; <b>proper</b></p>", "weight": "100"},
            {"id": 2, "text": "a < b", "text_format": "plain", "weight": "0"},
        ],
    }

    assert answer_lines(shown, 1) == key_lines(shown) == ["Right & proper"]
    assert answer_lines(shown, 2) == ["a < b"]
    assert plain_text("The **sun**\n\n- east", "markdown") == "The sun east"

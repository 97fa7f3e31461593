"""How a question's texts are shown, in Moodle's four text formats.

Every page that shows a learner or an instructor a question's text, its choices, feedback or
general feedback renders it here, from the snapshot the attempt keeps:

    html        sanitised with the lessons' sanitiser (no ids: the text sits within a page)
    markdown    rendered with the lessons' Markdown renderer, then sanitised the same way
    plain       escaped, line breaks kept (Moodle's FORMAT_PLAIN)
    moodle, ""  the same: plain text with its line breaks (docs/moodle.md says why Moodle's
                auto-format is not followed further)

A choice's text, a feedback and the general feedback have a format of their own only where it
differs from the question's (``gift.own_format``); otherwise they are in the question's. A
snapshot taken before formats were kept has none, and shows its texts as it always did.
"""

import html

import nh3
from django.template.defaultfilters import linebreaksbr
from django.utils.safestring import SafeString, mark_safe

from lessons.markdown import render_markdown_fragment, sanitise_html


def render_text(text: str, text_format: str = "") -> SafeString:
    """``text`` as HTML for a page, in its format."""
    text = text if isinstance(text, str) else ""
    if text_format == "html":
        return mark_safe(sanitise_html(text, fragment=True))
    if text_format == "markdown":
        return mark_safe(render_markdown_fragment(text))
    return linebreaksbr(text, autoescape=True)


def plain_text(text: str, text_format: str = "") -> str:
    """``text`` without its markup, for a line of text (a review's answer, a CSV cell): what
    the learner reads of it."""
    if text_format not in ("html", "markdown"):
        return text if isinstance(text, str) else ""
    shown = render_text(text, text_format)
    return " ".join(html.unescape(nh3.clean(shown, tags=set())).split())


def _format(shown: dict, own: object = "") -> str:
    question_format = shown.get("text_format")
    text_format = own or question_format
    return text_format if isinstance(text_format, str) else ""


def question_text_html(shown: dict) -> SafeString:
    return render_text(shown.get("text", ""), _format(shown))


def explanation_html(shown: dict) -> SafeString:
    return render_text(
        shown.get("explanation", ""), _format(shown, shown.get("explanation_format"))
    )


def choice_text_html(shown: dict, choice: dict) -> SafeString:
    """A choice's text (a matching item's left side) as the learner sees it."""
    return render_text(choice.get("text", ""), _format(shown, choice.get("text_format")))


def feedback_html(shown: dict, feedback: str) -> SafeString:
    """A feedback line of a grade, in the format of the choice it came from."""
    for choice in shown.get("choices") or []:
        if isinstance(choice, dict) and choice.get("feedback") == feedback:
            return render_text(feedback, _format(shown, choice.get("feedback_format")))
    return render_text(feedback, _format(shown))


def choice_plain_text(shown: dict, choice: dict) -> str:
    """A choice's text (a matching item's left side) as a line of plain text."""
    return plain_text(choice.get("text", ""), _format(shown, choice.get("text_format")))

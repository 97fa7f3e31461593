"""Answering a quiz in the browser, right or wrong on purpose.

The test process shares the live server's database, so it reads the open
attempt's snapshots (``Response.shown``) to know which label to pick, then
fills the form by its labels, as a learner would.
"""

import re
from urllib.parse import urlsplit

from django.utils.html import escape
from playwright.sync_api import expect

from tests.factories import right_answer, wrong_answer

ATTEMPT_PATH = re.compile(r"/attempts/(\d+)/")


def open_attempt_id(page) -> int:
    match = ATTEMPT_PATH.search(urlsplit(page.url).path)
    assert match, f"not on an attempt page: {page.url}"
    return int(match.group(1))


def responses(attempt_id: int) -> list:
    from assessments.models import Response

    return list(Response.objects.filter(attempt_id=attempt_id).order_by("slot"))


def question(page, slot: int):
    """The fieldset of question ``slot``, found by its legend."""
    return page.get_by_role("group", name=re.compile(rf"^Question {slot}\b"))


def choose(group, label: str):
    return group.get_by_label(label, exact=True)


def fill_answer(group, shown: dict, answer) -> None:
    kind = shown["kind"]
    by_id = {choice["id"]: choice for choice in shown["choices"]}
    if kind in ("single", "true_false"):
        choose(group, by_id[answer]["text"]).check()
    elif kind == "multiple":
        for choice in shown["choices"]:
            box = choose(group, choice["text"])
            if choice["id"] in answer:
                box.check()
            else:
                box.uncheck()
    elif kind in ("short", "numerical", "essay"):
        group.get_by_role("textbox").or_(group.get_by_role("spinbutton")).fill(str(answer))
    elif kind == "matching":
        for left_id, right_side in answer.items():
            choose(group, by_id[int(left_id)]["text"]).select_option(label=right_side)
    else:
        raise AssertionError(f"no way to answer a {kind} question")


def answer_questions(page, *, right: bool, skip: set[int] = frozenset()) -> list:
    """Answer every question of the open attempt on ``page`` (but the ``skip`` slots)."""
    saved = responses(open_attempt_id(page))
    assert saved, "the attempt has no questions"
    for response in saved:
        group = question(page, response.slot)
        expect(group).to_be_visible()
        if response.slot in skip:
            continue
        answer = right_answer(response.shown) if right else wrong_answer(response.shown)
        fill_answer(group, response.shown, answer)
    return saved


def missed_passages(attempt_id: int) -> set[tuple[str, str, str]]:
    """(lesson title, lesson slug, passage anchor) of every question the attempt got wrong; the
    anchor is empty for a question that links its whole lesson."""
    missed = set()
    for response in responses(attempt_id):
        lesson = response.shown.get("lesson")
        if response.is_correct is False and lesson:
            anchor = f"passage-{lesson['passage']}" if lesson.get("passage") else ""
            missed.add((lesson["title"], lesson["slug"], anchor))
    return missed


def assert_keys_hidden(page, attempt_id: int) -> None:
    """No explanation or choice feedback in the page while the attempt is open: they give
    the answers away (DESIGN.md: keys never reach the browser before submitting)."""
    html = page.content()
    for response in responses(attempt_id):
        secrets = [response.shown.get("explanation", "")]
        secrets += [choice.get("feedback", "") for choice in response.shown["choices"]]
        for secret in filter(None, secrets):
            assert secret not in html and escape(secret) not in html, (
                f"question {response.slot} gives away: {secret!r}"
            )

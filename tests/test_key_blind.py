"""Nothing the attempt page holds tells a right option from a wrong one: not its value, not
its place on the page.

The attacker is a learner with a script. They read the options of every question as the page
sends them and pick by some ordering: the values read as numbers or as text, lowest or
highest first, or the option's place on the page, first or last. Across many attempts no
ordering may score better than picking blindly. The existing leak tests change the key and
compare pages; they cannot see a leak in what stays the same (ids in file order, where the
right answer usually comes first), which is what this file looks for.
"""

import math
import random
import re
from html.parser import HTMLParser
from math import comb
from pathlib import Path

import pytest
from django.conf import settings
from django.http import QueryDict
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assessments.course_io import course_import
from assessments.forms import answer_from_post, question_fieldset
from assessments.grading import grade, listing_order, question_snapshot, validate_answer
from assessments.models import Attempt, Choice, Question, Quiz
from assessments.services import attempt_start
from progress.services import enrollment_create, quiz_attempt_start, quiz_response_save
from tests.factories import (
    QuestionFactory,
    QuizFactory,
    UserFactory,
    answer_fields,
    matching_question,
    multiple_question,
    right_answer,
    single_question,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
COURSE_FOLDER = Path(settings.BASE_DIR) / "fixtures" / "military-diplomacy"
# How far above chance a strategy may land before the page is taken to give the key away:
# five standard deviations of a blind guesser's score, about one false alarm in 3.5 million.
SIGMAS = 5


def _as_number(value: str) -> int:
    # Tokens are letters and digits: read them as base-36 numbers, as a script might.
    return int(value) if value.isdigit() else int(value, 36)


# Each ordering ranks the options of one question as the page lists them: (place, value).
ORDERINGS = {
    "first on the page": lambda option: option[0],
    "last on the page": lambda option: -option[0],
    "lowest value as text": lambda option: option[1],
    "lowest value as a number": lambda option: _as_number(option[1]),
    "highest value as a number": lambda option: -_as_number(option[1]),
}
# True/false always lists True before False, whichever is right: the page is the same for
# either key (progress/tests/test_quiz_views.py compares it byte for byte), so its places
# are no ordering to test here.
BY_PLACE = ("first on the page", "last on the page")


class Tally:
    """Right picks of one strategy against what blind guessing would expect."""

    def __init__(self):
        self.hits = 0
        self.expected = 0.0
        self.variance = 0.0
        self.trials = 0

    def add(self, *, hit: bool, chance: float) -> None:
        self.hits += hit
        self.expected += chance
        self.variance += chance * (1 - chance)
        self.trials += 1

    def beats_chance(self) -> bool:
        return self.hits > self.expected + SIGMAS * math.sqrt(self.variance) + 1

    def __repr__(self):
        return f"{self.hits} right of {self.trials}, chance {self.expected:.1f}"


def _post(fields: dict) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in fields.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    return data


def _graded_right(shown: dict, fields: dict, slot: int) -> bool:
    """Whether posting ``fields`` answers the question fully right, read as the server does."""
    answer = validate_answer(shown, answer_from_post(shown, _post(fields), slot))
    return grade(shown, answer).is_correct is True


def _try_every_ordering(shown: dict, tallies: dict[str, Tally], *, slot: int = 1) -> None:
    """Pick by each ordering on one question as its page shows it, and count the right picks."""
    page = question_fieldset(shown, slot=slot, answer=None)
    kind = shown["kind"]
    if kind in ("single", "true_false", "multiple"):
        options = [(place, option.value) for place, option in enumerate(page.options)]
        # Told how many options are right: more than any learner is, so a stronger attacker.
        right = sum(1 for choice in shown["choices"] if float(choice["weight"]) > 0)
        right = 1 if kind != "multiple" else right
        for name in tallies:
            order = ORDERINGS[name]
            if kind == "true_false" and name in BY_PLACE:
                continue
            picked = [value for _, value in sorted(options, key=order)[:right]]
            fields = {page.name: picked if kind == "multiple" else picked[0]}
            tallies[name].add(
                hit=_graded_right(shown, fields, slot), chance=1 / comb(len(options), right)
            )
    elif kind == "matching":
        # Item n goes with option n, both ranked by the same ordering; counted pair by pair.
        for name in tallies:
            order = ORDERINGS[name]
            items = [
                item
                for _, item in sorted(
                    enumerate(page.items),
                    key=lambda pair: order((pair[0], pair[1].name.rsplit("-", 1)[1])),
                )
            ]
            options = [
                value
                for _, value in sorted(
                    enumerate(option.value for option in page.items[0].options), key=order
                )
            ]
            for item, value in zip(items, options, strict=False):
                tallies[name].add(
                    hit=_pair_right(shown, {item.name: value}, slot), chance=1 / len(options)
                )


def _pair_right(shown: dict, fields: dict, slot: int) -> bool:
    """One matching pair is right when, posted alone, it earns its share of the points."""
    answer = validate_answer(shown, answer_from_post(shown, _post(fields), slot))
    return grade(shown, answer).score > 0


def _assert_no_ordering_beats_chance(tallies: dict[str, Tally]) -> None:
    winners = {name: tally for name, tally in tallies.items() if tally.beats_chance()}
    assert not winners, f"these orderings beat chance: {winners}"
    assert all(tally.trials for tally in tallies.values()), tallies


def test_no_ordering_of_the_shipped_courses_options_beats_chance():
    course, _ = course_import(COURSE_FOLDER)
    questions = list(
        Question.objects.filter(
            quiz__course=course, kind__in=("single", "multiple", "true_false", "matching")
        )
        .select_related("quiz", "lesson")
        .prefetch_related("choices")
    )
    assert len(questions) > 40
    tallies = {name: Tally() for name in ORDERINGS}

    for attempt in range(40):
        rng = random.Random(attempt)
        for question in questions:
            shown = question_snapshot(
                question, rng=rng, shuffle_choices=question.quiz.shuffle_choices
            )
            _try_every_ordering(shown, tallies)

    _assert_no_ordering_beats_chance(tallies)


# --- Generated questions, written as authors write them ------------------------------------

# Few distinct words, so that options often share a text and sort as equals.
WORDS = st.sampled_from(["alpha", "beta", "gamma", "delta", "Alpha", "2", "10", "same"])


@st.composite
def questions(draw):
    kind = draw(st.sampled_from(["single", "multiple", "matching"]))
    size = draw(st.integers(2, 6))
    texts = [draw(WORDS) for _ in range(size)]
    # Authors mostly write the right answer first.
    right_first = draw(st.booleans()) or draw(st.booleans())
    if kind == "single":
        right = 0 if right_first else draw(st.integers(0, size - 1))
        return kind, [(text, 100 if n == right else 0) for n, text in enumerate(texts)]
    if kind == "multiple":
        count = draw(st.integers(1, size - 1))
        weight = round(100 / count, 4)
        return kind, [(text, weight if n < count else -50) for n, text in enumerate(texts)]
    lefts = [f"{text} {n}" for n, text in enumerate(texts)]
    rights = [f"{draw(WORDS)} {n}" for n in range(size)]
    return kind, list(zip(lefts, rights, strict=True))


def _make(kind: str, spec: list, quiz: Quiz) -> Question:
    if kind == "single":
        return single_question(quiz=quiz, choices=spec)
    if kind == "multiple":
        return multiple_question(quiz=quiz, choices=spec)
    return matching_question(quiz=quiz, pairs=spec)


@hypothesis_settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    bank=st.lists(questions(), min_size=8, max_size=16),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_no_ordering_of_generated_questions_options_beats_chance(bank, shuffle, seed):
    quiz = QuizFactory(shuffle_choices=shuffle)
    made = [_make(kind, spec, quiz) for kind, spec in bank]
    made = list(Question.objects.filter(pk__in=[q.pk for q in made]).prefetch_related("choices"))
    # Unshuffled, options are listed by their text alone (tested below), so only their values
    # are an ordering the key could hide in.
    tallies = {name: Tally() for name in ORDERINGS if shuffle or name not in BY_PLACE}
    rng = random.Random(seed)

    for _ in range(20):
        for question in made:
            shown = question_snapshot(question, rng=rng, shuffle_choices=shuffle)
            _try_every_ordering(shown, tallies)
            if not shuffle:
                _assert_listed_by_text_alone(shown)
    _assert_no_ordering_beats_chance(tallies)
    Question.objects.filter(quiz=quiz).delete()


def _assert_listed_by_text_alone(shown: dict) -> None:
    """The page lists the options alphabetically: whatever the file's order or the key, the
    same texts give the same page."""
    page = question_fieldset(shown, slot=1, answer=None)
    options = page.items[0].options if page.items else page.options
    labels = [option.label for option in options]
    assert labels == sorted(labels, key=listing_order)


# --- The page itself, as a script reads it ----------------------------------------------------


class _Inputs(HTMLParser):
    """The radio buttons and checkboxes of a page, by field name, in page order."""

    def __init__(self, html: str):
        super().__init__()
        self.groups: dict[str, list[str]] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") in ("radio", "checkbox"):
            self.groups.setdefault(attrs["name"], []).append(attrs["value"])


@pytest.fixture
def final_exam():
    course, _ = course_import(COURSE_FOLDER)
    exam = Quiz.objects.get(course=course, kind=Quiz.Kind.FINAL)
    Quiz.objects.filter(pk=exam.pk).update(max_attempts=None)
    return Quiz.objects.get(pk=exam.pk)


@pytest.mark.parametrize("pick", [min, max], ids=["lowest value", "highest value"])
def test_a_script_picking_options_by_value_scores_no_better_than_chance(client, final_exam, pick):
    learner = UserFactory()
    enrollment_create(learner=learner, course=final_exam.course)
    client.force_login(learner)
    right = chance = variance = 0.0

    for _ in range(25):
        # Started past the modules' gates: the exam's page is what is tested here.
        attempt = attempt_start(learner=learner, quiz=final_exam)
        page = client.get(reverse("attempt_detail", args=[attempt.pk])).content.decode()
        posted = {"answers": "1", "confirm": "1"}
        for name, values in _Inputs(page).groups.items():
            posted[name] = pick(values)
        client.post(reverse("attempt_submit", args=[attempt.pk]), posted)
        attempt.refresh_from_db()
        assert attempt.is_submitted
        for response in attempt.responses.filter(shown__kind__in=["single", "true_false"]):
            p = 1 / len(response.shown["choices"])
            right += bool(response.is_correct)
            chance += p
            variance += p * (1 - p)

    assert chance > 50
    assert right <= chance + SIGMAS * math.sqrt(variance) + 1, (right, chance)


# --- Tokens: what they are and what they are not --------------------------------------------


@pytest.fixture
def quiz_with_choices(learner):
    quiz = QuizFactory(max_attempts=None)
    single_question(quiz=quiz, position=1)
    multiple_question(quiz=quiz, position=2)
    matching_question(quiz=quiz, position=3)
    enrollment_create(learner=learner, course=quiz.course)
    return quiz


def test_a_choice_id_posted_in_place_of_a_token_is_refused(client, learner, quiz_with_choices):
    attempt = quiz_attempt_start(learner=learner, quiz=quiz_with_choices)
    client.force_login(learner)
    shown = {response.slot: response.shown for response in attempt.responses.all()}
    ids = {slot: [str(choice["id"]) for choice in shown[slot]["choices"]] for slot in shown}
    item = shown[3]["choices"][0]["token"]
    refused = [{"q1": choice_id} for choice_id in ids[1]] + [{"q2": ids[2]}]
    # Matching: its option named by its text, or by the id of the choice holding it.
    refused += [{f"q3-{item}": shown[3]["choices"][0]["match"]}, {f"q3-{item}": ids[3][0]}]

    for fields in refused:
        slot = int(re.match(r"q(\d+)", next(iter(fields))).group(1))
        page = client.post(reverse("response_save", args=[attempt.pk, slot]), fields, headers=HTMX)
        assert page.status_code == 200
        assert "Not saved" in page.content.decode(), fields
    # Items named by their ids are no fields of the question at all.
    client.post(
        reverse("response_save", args=[attempt.pk, 3]),
        {f"q3-{left}": shown[3]["options"][0] for left in ids[3]},
        headers=HTMX,
    )

    assert not attempt.responses.exclude(answer=None).exists()


def test_every_attempt_names_the_options_afresh(learner, quiz_with_choices):
    first = quiz_attempt_start(learner=learner, quiz=quiz_with_choices)
    Attempt.objects.filter(pk=first.pk).update(submitted_at=first.started_at, percent=0)
    second = quiz_attempt_start(learner=learner, quiz=quiz_with_choices)

    def tokens(attempt):
        return {choice["token"] for r in attempt.responses.all() for choice in r.shown["choices"]}

    assert tokens(first) and tokens(second)
    assert not tokens(first) & tokens(second)
    # Nothing of a choice's id is in its token.
    ids = {str(pk) for pk in Choice.objects.values_list("pk", flat=True)}
    assert not any(token in ids for token in tokens(first) | tokens(second))


def test_the_data_download_names_options_as_the_page_does(client, learner, quiz_with_choices):
    attempt = quiz_attempt_start(learner=learner, quiz=quiz_with_choices)
    for response in attempt.responses.all():
        quiz_response_save(
            attempt=attempt, slot=response.slot, answer=right_answer(response.shown)
        )
    client.force_login(learner)
    page = client.get(reverse("attempt_detail", args=[attempt.pk])).content.decode()

    (downloaded,) = client.get(reverse("my_data")).json()["attempts"]

    for item in downloaded["responses"]:
        shown = attempt.responses.get(slot=item["slot"]).shown
        on_page = answer_fields(shown, item["slot"], right_answer(shown))
        for name, value in on_page.items():
            for token in value if isinstance(value, list) else [value]:
                assert f'value="{token}"' in page or f'name="{name}"' in page
        assert {c["id"] for c in item["question"]["choices"]} == {
            c["token"] for c in shown["choices"] if c["text"] or shown["kind"] != "matching"
        }
        assert item["answer"] == _public(on_page, shown["kind"], item["slot"])


def _public(fields: dict, kind: str, slot: int):
    if kind == "matching":
        return {name.split("-", 1)[1]: value for name, value in fields.items()}
    return fields[f"q{slot}"]


def test_the_right_option_is_not_always_in_one_place_when_choices_are_not_shuffled(rng):
    question = QuestionFactory(kind="single", quiz=QuizFactory(shuffle_choices=False))
    for n, text in enumerate(["Zulu", "Alpha", "Mike"]):
        Choice.objects.create(question=question, position=n, text=text, weight=100 * (n == 0))
    question = Question.objects.prefetch_related("choices").get(pk=question.pk)

    shown = question_snapshot(question, rng=rng, shuffle_choices=False)

    # Listed alphabetically: the file's order (right answer first) is not the page's.
    assert [choice["text"] for choice in shown["choices"]] == ["Alpha", "Mike", "Zulu"]


def test_options_with_the_same_text_are_listed_in_no_fixed_order():
    question = single_question(choices=[("Same", 100), ("Same", 0), ("Same", 0)])
    question = Question.objects.prefetch_related("choices").get(pk=question.pk)
    right = next(c.pk for c in question.choices.all() if c.weight)

    places = {
        [
            c["id"]
            for c in question_snapshot(question, rng=random.Random(seed), shuffle_choices=False)[
                "choices"
            ]
        ].index(right)
        for seed in range(30)
    }

    assert places == {0, 1, 2}


# --- Attempts open when tokens came in --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_attempts_open_at_the_upgrade_get_tokens_and_keep_their_answers():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    before = [("assessments", "0006_learner_records_protect_account")]
    after = [("assessments", "0007_open_attempts_option_tokens")]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        # The models as they stood then: later migrations add columns today's models have.
        old = executor.loader.project_state(before).apps
        course = old.get_model("lessons", "Course").objects.create(slug="c", title="C")
        quiz = old.get_model("assessments", "Quiz").objects.create(
            course=course, kind="final", slug="exam", title="Exam"
        )
        learner = old.get_model("auth", "User").objects.create(username="ada")
        now = timezone.now()
        attempt = old.get_model("assessments", "Attempt").objects
        attempts = [
            attempt.create(learner=learner, quiz=quiz, number=1, started_at=now, pass_mark=70),
            attempt.create(
                learner=learner,
                quiz=quiz,
                number=2,
                started_at=now,
                pass_mark=70,
                submitted_at=now,
                percent=0,
                score=0,
            ),
        ]
        # Snapshots as they were taken before tokens: ids only, in file order.
        shown = {
            "kind": "single",
            "text": "Which?",
            "points": "1.00",
            "choices": [
                {"id": 11, "text": "Right", "weight": "100.0000", "feedback": ""},
                {"id": 12, "text": "Wrong B", "weight": "0.0000", "feedback": ""},
                {"id": 13, "text": "Wrong C", "weight": "0.0000", "feedback": ""},
            ],
        }
        responses = old.get_model("assessments", "Response").objects
        responses.create(attempt=attempts[0], slot=1, shown=shown, answer=11)
        responses.create(attempt=attempts[1], slot=1, shown=shown, answer=12)

        executor = MigrationExecutor(connection)
        executor.migrate(after)

        # Read as the models stood after it, too: later migrations add columns to responses.
        upgraded_responses = (
            executor.loader.project_state(after).apps.get_model("assessments", "Response").objects
        )
        upgraded = upgraded_responses.get(attempt_id=attempts[0].pk)
        done = upgraded_responses.get(attempt_id=attempts[1].pk)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert {c["id"] for c in upgraded.shown["choices"]} == {11, 12, 13}
    tokens = [c.get("token") for c in upgraded.shown["choices"]]
    assert all(tokens) and len(set(tokens)) == 3
    assert upgraded.answer == 11  # the saved answer stands, and still grades as it did
    assert grade(upgraded.shown, upgraded.answer).is_correct
    assert done.shown == shown  # history keeps its snapshot

"""Item statistics of a quiz, as classical test theory (and Moodle's report) defines them.

- Facility index: the mean score on the item over its maximum; for a one-point
  item, the share of attempts that got it right.
- Discrimination: the corrected point-biserial correlation, i.e. the Pearson
  correlation between the item score and the *rest* of the test (the attempt's
  total minus this item), so the item is not correlated with itself.

The maths works on plain numbers; ``quiz_statistics`` gathers them from the
database in a fixed number of grouped queries, however many attempts there are.
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from django.db.models import Avg, Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.utils.translation import gettext, gettext_lazy

from assessments.kinds import kind_for
from assessments.models import Attempt, Question, Quiz, Response

FACILITY_FLOOR = 0.2
TOO_HARD = gettext_lazy("Almost nobody gets this right — check the key.")
WRONG_WAY = gettext_lazy(
    "Strong learners get this wrong more often than weak ones — the key may be wrong."
)


# --- The maths, on plain numbers ---------------------------------------------------


@dataclass(frozen=True)
class ItemSums:
    """Running sums over attempts of an item's score x, its maximum, and the rest r."""

    n: int = 0
    max_points: float = 0.0
    x: float = 0.0
    xx: float = 0.0
    r: float = 0.0
    rr: float = 0.0
    xr: float = 0.0

    def __add__(self, other: "ItemSums") -> "ItemSums":
        return ItemSums(
            *(getattr(self, name) + getattr(other, name) for name in self.__dataclass_fields__)
        )

    def __mul__(self, times: int) -> "ItemSums":
        """The sums of ``times`` attempts alike."""
        return ItemSums(*(getattr(self, name) * times for name in self.__dataclass_fields__))


def item_sums(rows: Iterable[tuple[float, float, float]]) -> ItemSums:
    """Sums from (item score, item maximum, attempt total) for each attempt."""
    total = ItemSums()
    for score, maximum, attempt_total in rows:
        rest = attempt_total - score
        total += ItemSums(1, maximum, score, score * score, rest, rest * rest, score * rest)
    return total


def facility(sums: ItemSums) -> float | None:
    """Mean score over maximum, 0…1; None without attempts."""
    return sums.x / sums.max_points if sums.max_points else None


def discrimination(sums: ItemSums) -> float | None:
    """Pearson correlation of item score and rest of test; None when either never varies."""
    n = sums.n
    covariance = n * sums.xr - sums.x * sums.r
    variance_x = n * sums.xx - sums.x**2
    variance_r = n * sums.rr - sums.r**2
    # Rounding leaves crumbs of about 1e-16 of the terms where the true variance is 0.
    if n < 2 or variance_x <= 1e-9 * n * sums.xx or variance_r <= 1e-9 * n * sums.rr:
        return None
    return covariance / math.sqrt(variance_x * variance_r)


def flags(facility: float | None, discrimination: float | None) -> list[str]:
    """What looks broken about an item, in plain words."""
    found = []
    if facility is not None and facility < FACILITY_FLOOR:
        found.append(TOO_HARD)
    if discrimination is not None and discrimination < 0:
        found.append(WRONG_WAY)
    return found


# --- Gathering the numbers ---------------------------------------------------------

Which = Literal["first", "best", "all"]
WHICH: dict[Which, str] = {
    "first": gettext_lazy("First attempt of each learner"),
    "best": gettext_lazy("Best attempt of each learner"),
    "all": gettext_lazy("All attempts"),
}


def chosen_attempts(quiz: Quiz, which: Which) -> QuerySet[Attempt]:
    """Submitted attempts at ``quiz``: all, or each learner's first or best.

    Best is the highest percent, then the earliest, as ``best_attempts_for_learner`` picks it.
    """
    submitted = Attempt.objects.used().filter(quiz=quiz)
    if which == "all":
        return submitted
    # Each learner's attempt that none of theirs comes before. Said as "no earlier one
    # exists" rather than with a window, PostgreSQL foresees how many attempts that
    # leaves and so picks a hashed plan over the thousands of responses they hold.
    before = Q(number__lt=OuterRef("number"))
    if which == "best":
        same_percent = Q(percent=OuterRef("percent"))
        before = (
            Q(percent__gt=OuterRef("percent"))
            | same_percent & Q(submitted_at__lt=OuterRef("submitted_at"))
            | same_percent & Q(submitted_at=OuterRef("submitted_at")) & before
        )
    return submitted.filter(~Exists(submitted.filter(before, learner=OuterRef("learner"))))


@dataclass(frozen=True)
class ChoiceCount:
    text: str
    is_key: bool
    picked: int
    answered: int

    @property
    def label(self) -> str:
        text = gettext("%(text)s (key)") % {"text": self.text} if self.is_key else self.text
        numbers = {"text": text, "picked": self.picked, "answered": self.answered}
        if not self.answered:
            return gettext("%(text)s: %(picked)s of %(answered)s") % numbers
        share = 100 * self.picked // self.answered
        return gettext("%(text)s: %(picked)s of %(answered)s (%(share)s%%)") % {
            **numbers,
            "share": share,
        }


@dataclass(frozen=True)
class ItemStatistics:
    number: int
    question: Question | None  # None once deleted: the snapshot still names it
    text: str
    kind: str
    attempts: int
    answered: int
    facility: float | None
    discrimination: float | None
    choices: list[ChoiceCount]
    flags: list[str]


@dataclass(frozen=True)
class QuizStatistics:
    quiz: Quiz
    which: Which
    attempts: int
    mean_percent: Decimal | None
    items: list[ItemStatistics]


@dataclass
class _Group:
    """What one pass over the responses gathers about one question."""

    sums: ItemSums = field(default_factory=ItemSums)
    answered: int = 0
    latest: int = 0  # the newest response, whose snapshot names the question
    picks: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _responses_by_question(attempts: QuerySet[Attempt]) -> dict[int, _Group]:
    """One grouped query over the responses of ``attempts``, folded by question.

    It reads only the columns the ``response_statistics`` index holds, never the
    snapshots, and only counts: attempts alike in question, points, score, attempt
    total and answer fall in one group — a few hundred groups however many attempts —
    and the sums are worked out here from the counts.
    """
    rows = (
        Response.objects.filter(attempt__in=attempts.values("pk"))
        .values("shown_question_id", "points", "score", "answer_tally", total=F("attempt__score"))
        .annotate(n=Count("*"), latest=Max("pk"))
        .order_by()
    )
    groups: dict[int, _Group] = defaultdict(_Group)
    for row in rows:
        group, n = groups[row["shown_question_id"]], row["n"]
        # A missing figure (none is, once graded) counts as 0 rather than failing the page.
        score, points, total = (float(row[name] or 0) for name in ("score", "points", "total"))
        group.sums += item_sums([(score, points, total)]) * n
        if row["answer_tally"] is not None:
            group.answered += n
        group.latest = max(group.latest, row["latest"])
        for choice_id in _choice_ids(row["answer_tally"]):
            group.picks[str(choice_id)] += n
    return groups


def _choice_ids(answer) -> list[int]:
    """The ids in a choice answer: one id, or a list of them for a multiple answer."""
    ids = answer if isinstance(answer, list) else [answer]
    # Anything else was typed while the question was of another kind.
    return ids if all(isinstance(i, int) and not isinstance(i, bool) for i in ids) else []


def quiz_statistics(*, quiz: Quiz, which: Which = "best") -> QuizStatistics:
    """Per-question figures over the chosen attempts. Four queries."""
    attempts = chosen_attempts(quiz, which)
    summary = attempts.aggregate(n=Count("pk"), mean=Avg("percent"))
    live = {question.pk: question for question in quiz.questions.order_by("position", "pk")}
    groups = _responses_by_question(attempts)
    snapshots = dict(
        Response.objects.filter(pk__in=[g.latest for g in groups.values()]).values_list(
            "pk", "shown"
        )
    )
    keys = [*live, *sorted(key for key in groups if key not in live)]
    items = [
        _item(number, live.get(key), groups.get(key), snapshots)
        for number, key in enumerate(keys, start=1)
    ]
    return QuizStatistics(
        quiz=quiz, which=which, attempts=summary["n"], mean_percent=summary["mean"], items=items
    )


def _item(
    number: int, question: Question | None, group: _Group | None, snapshots
) -> ItemStatistics:
    group = group or _Group()
    shown = snapshots.get(group.latest)
    kind = kind_for(shown["kind"] if shown else question.kind)
    # An essay scores 0 until a human grades it: figures about it would mislead.
    sums = group.sums if kind.graded_automatically else ItemSums()
    item_facility, item_discrimination = facility(sums), discrimination(sums)
    choices = [
        ChoiceCount(text, is_key, picked, group.answered)
        for text, is_key, picked in (kind.choice_tally(shown, dict(group.picks)) if shown else [])
    ]
    source = {"title": question.title, "text": question.text} if question else shown
    return ItemStatistics(
        number=number,
        question=question,
        text=source.get("title") or source["text"],
        kind=kind.label,
        attempts=group.sums.n,
        answered=group.answered,
        facility=item_facility,
        discrimination=item_discrimination,
        choices=choices,
        flags=flags(item_facility, item_discrimination),
    )


def figure(value: float | None) -> str:
    """Two decimals, as the page and the CSV both show a statistic; blank when undefined."""
    return "" if value is None else f"{value:.2f}"


STATISTICS_HEADER = [
    "#",
    gettext_lazy("Question"),
    gettext_lazy("Type"),
    gettext_lazy("Attempts"),
    gettext_lazy("Answered"),
    gettext_lazy("Facility"),
    gettext_lazy("Discrimination"),
    gettext_lazy("Choices picked"),
    gettext_lazy("Flags"),
]


def item_cells(item: ItemStatistics) -> list[str]:
    """One row of the statistics table, as the page and the CSV both show it."""
    return [
        str(item.number),
        item.text if item.question else gettext("%(text)s (deleted)") % {"text": item.text},
        str(item.kind),
        str(item.attempts),
        str(item.answered),
        figure(item.facility),
        figure(item.discrimination),
        "\n".join(choice.label for choice in item.choices),
        " ".join(str(flag) for flag in item.flags),
    ]

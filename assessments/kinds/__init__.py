"""The registry of question kinds: each kind is a module of this package (see ``base.py``
for what a kind answers, and docs/architecture.md for adding one).

Callers ask ``kind_for(shown_or_name)`` and never branch on the kind themselves. A snapshot or
name of no registered kind reads as ``UNREADABLE``: shown as text, never accepted, scored 0.
"""

from typing import Any

from assessments.kinds import essay, matching, multiple, numerical, short, single, true_false
from assessments.kinds.base import QuestionKind, Unreadable

KINDS: dict[str, QuestionKind] = {}
UNREADABLE = Unreadable()


def register(kind: QuestionKind) -> QuestionKind:
    """Make ``kind`` known by its name; a second kind of the same name is refused."""
    if kind.name in KINDS:
        raise ValueError(f"a question kind named {kind.name!r} is registered already")
    KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    del KINDS[name]


def kind_for(shown_or_name: Any) -> QuestionKind:
    """The kind of a snapshot (a dict with ``kind``) or of a kind's name."""
    name = shown_or_name.get("kind") if isinstance(shown_or_name, dict) else shown_or_name
    return KINDS.get(name, UNREADABLE) if isinstance(name, str) else UNREADABLE


def kind_choices() -> list[tuple[str, str]]:
    """(name, label) of every kind, in the order instructors pick from: ``Question.kind``'s
    choices."""
    return [(kind.name, kind.label) for kind in sorted(KINDS.values(), key=_position)]


def _position(kind: QuestionKind) -> int:
    return kind.position


def gift_kinds() -> list[QuestionKind]:
    """The kinds GIFT can hold, in the order they claim an answer block."""
    readable = [kind for kind in KINDS.values() if kind.gift_order is not None]
    return sorted(readable, key=lambda kind: kind.gift_order)


def moodle_kinds(qtype: str) -> list[QuestionKind]:
    """The kinds Moodle XML's ``<question type="qtype">`` may be, each asked if it claims it."""
    return [
        kind
        for kind in KINDS.values()
        if kind.moodle_type is not None and qtype in (kind.moodle_type, *kind.moodle_aliases)
    ]


# Registered in this order so that CHOICE_KINDS lists single, true/false, multiple, as the
# migration that made Response.answer_tally does: another order would rebuild that column.
for _module in (single, true_false, multiple, short, numerical, matching, essay):
    register(_module.KIND)

# The kinds whose stored answer is one or more choice ids. The database reads this tuple into
# ``Response.answer_tally`` (so a kind added to it needs a migration, which makemigrations
# writes).
CHOICE_KINDS = tuple(name for name, kind in KINDS.items() if kind.answer_is_choice_ids)

"""A submitted answer and its key, read back from the snapshot as the learner saw them.

Used by the result page and by the instructor's view of a learner's attempts,
so both say the same thing in the same words. Each kind words its own lines
(``assessments/kinds/``).
"""

from typing import Any

from assessments.forms import is_unanswered
from assessments.kinds import kind_for


def answer_lines(shown: dict, answer: Any) -> list[str]:
    """The learner's answer as text, a line per part: the choices ticked, the pairs made."""
    if is_unanswered(shown, answer):
        return []
    return kind_for(shown).answer_lines(shown, answer)


def key_lines(shown: dict) -> list[str]:
    """The right answer(s), read from the full snapshot: only for a submitted attempt."""
    return kind_for(shown).key_lines(shown)

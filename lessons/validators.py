"""The one rule for text people type: no control characters.

PostgreSQL cannot store NUL in text at all (the request would fail), and the
other control characters are invisible, survive into CSV, GIFT and course
files, and make two names that look alike differ. Tab, newline and carriage
return are ordinary typing and stay allowed. Every place a learner or an
instructor types (quiz answers, the instructor's search, the account forms,
every text field of the admin) checks with this validator.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

# C0 controls but tab, newline and carriage return; DEL; the C1 controls.
CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def refuse_control_characters(value) -> None:
    """Raise ValidationError naming the first control character in ``value`` (a text, or the
    list of lines some fields clean to), if there is one."""
    texts = value if isinstance(value, list | tuple) else [value]
    for text in texts:
        found = CONTROL_CHARACTER.search(text) if isinstance(text, str) else None
        if found is not None:
            raise ValidationError(
                gettext_lazy(
                    "Please remove the invisible control character (U+%(code)04X) from this text."
                ),
                code="control_character",
                params={"code": ord(found.group())},
            )


def control_character_message(value) -> str:
    """What refuse_control_characters says about ``value``, or "" when it is fine."""
    try:
        refuse_control_characters(value)
    except ValidationError as error:
        return " ".join(error.messages)
    return ""


def guard_text_field(field: forms.Field | None) -> forms.Field | None:
    """Give a form field the validator if it takes text; returns it.

    Passwords are left alone: they are hashed, never stored or shown as text, and refusing a
    character in them would lock out whoever already uses one.
    """
    if (
        isinstance(field, forms.CharField)
        and not isinstance(field.widget, forms.PasswordInput)
        and refuse_control_characters not in field.validators
    ):
        field.validators.append(refuse_control_characters)
    return field


# A BCP 47 language tag as course.yaml gives it (en, fr, en-GB, pt-BR): the language and
# optional subtags. The pages put it in lang="…", where anything else would be noise.
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def validate_language_tag(value: str) -> None:
    if not LANGUAGE_TAG.fullmatch(value or ""):
        raise ValidationError(
            gettext_lazy("Give a language tag, such as en, fr or pt-BR."), code="language_tag"
        )

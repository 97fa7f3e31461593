"""Forms of the instructor area."""

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.forms import local_number
from assessments.grades import awaits_comment, grade_problems, response_points
from assessments.models import GradeChange, Response
from assessments.regrade import REASON_NEEDED
from lessons.validators import control_character_message


class ReasonForm(forms.Form):
    """Why an instructor does something: a ``reason`` kept with what it does."""

    def clean_reason(self):
        reason = self.cleaned_data["reason"]
        if message := control_character_message(reason):
            raise forms.ValidationError(message)
        return reason


class AttemptGrantForm(ReasonForm):
    """Why one more attempt is granted: kept with the grant in the override's history."""

    reason = forms.CharField(
        max_length=200,
        strip=True,
        error_messages={"required": _("Say why: the reason is kept with the grant.")},
        widget=forms.TextInput(attrs={"placeholder": _("e.g. ill on the day")}),
    )


class RegradeForm(ReasonForm):
    """What the instructor corrected in the question: kept with every grade the regrade
    changes, and shown to the learner beside their new score."""

    reason = forms.CharField(
        label=_("What you corrected (learners whose score changes read it)"),
        max_length=500,
        strip=True,
        error_messages={"required": REASON_NEEDED},
        widget=forms.TextInput(attrs={"placeholder": _("e.g. the key named the wrong treaty")}),
    )


class ResponseGradeForm(forms.Form):
    """An instructor's grade for one answer: points, a comment for the learner and, to change
    a grade given before, the reason (required, and shown to the learner). The rules on the
    points and the reason are ``assessments.grades.grade_problems``: the form shows them
    beside its fields.

    An answer worth no points is only commented on: the form has no points box (they are 0)
    and the comment is required the first time (``is_comment``)."""

    score = forms.CharField(
        label=_("Points"),
        max_length=20,
        strip=True,
        error_messages={"required": _("Give the points: 0 if the answer earns none.")},
    )
    feedback = forms.CharField(
        label=_("Feedback to the learner"), required=False, max_length=4000, widget=forms.Textarea
    )
    reason = forms.CharField(
        label=_("Reason for the change (the learner reads it)"), required=False, max_length=1000
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    next = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)

    def __init__(self, *args, response: Response, **kwargs):
        self.response = response
        # An answer that awaits its first grade, or its first comment, is graded; any other
        # grade is overridden.
        first = response.score is None or awaits_comment(response, version=response.version)
        self.source = GradeChange.Source.GRADED if first else GradeChange.Source.OVERRIDE
        kwargs.setdefault("prefix", f"r{response.pk}")
        super().__init__(*args, **kwargs)
        if self.is_comment:
            self.fields["score"].required = False
            self.fields["feedback"].label = _("Your comment to the learner")
            if not self.is_override:
                self.fields["feedback"].widget.attrs["required"] = True
        self.fields["score"].widget.attrs.update(inputmode="decimal", size=6, autocomplete="off")
        self.fields["score"].help_text = _("0 to %(points)s") % {
            "points": local_number(response_points(response))
        }
        if self.is_override:
            # Checked by ``grade_problems`` with the other rules; the browser asks first.
            self.fields["reason"].widget.attrs["required"] = True

    @property
    def is_override(self) -> bool:
        return self.source == GradeChange.Source.OVERRIDE

    @property
    def is_comment(self) -> bool:
        """Whether the answer is worth no points: the instructor only comments on it."""
        return response_points(self.response) == 0

    def clean_score(self):
        return "0" if self.is_comment else self.cleaned_data["score"]

    def clean(self):
        cleaned = super().clean()
        for name in ("feedback", "reason"):
            if message := control_character_message(cleaned.get(name, "")):
                self.add_error(name, message)
        if "score" in cleaned:
            problems = grade_problems(
                response=self.response,
                score=cleaned["score"],
                source=self.source,
                reason=cleaned.get("reason", ""),
                feedback=cleaned.get("feedback", ""),
            )
            for name, message in problems.items():
                self.add_error(name if name in self.fields else None, message)
        return cleaned

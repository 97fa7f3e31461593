"""Forms of the instructor area."""

from django import forms

from lessons.validators import control_character_message


class AttemptGrantForm(forms.Form):
    """Why one more attempt is granted: kept with the grant in the override's history."""

    reason = forms.CharField(
        max_length=200,
        strip=True,
        error_messages={"required": "Say why: the reason is kept with the grant."},
        widget=forms.TextInput(attrs={"placeholder": "e.g. ill on the day"}),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"]
        if message := control_character_message(reason):
            raise forms.ValidationError(message)
        return reason

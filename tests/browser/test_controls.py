"""Form controls a learner must find: their outlines stand out from the page (WCAG 2.1
1.4.11, non-text contrast: at least 3:1 against what is next to them)."""

import pytest
from django.urls import reverse

from assessments.models import Quiz
from progress.services import enrollment_create, quiz_attempt_start
from tests.browser.conftest import log_in
from tests.factories import (
    UserFactory,
    course_with_modules,
    matching_question,
    multiple_question,
    short_question,
)

pytestmark = pytest.mark.browser

NON_TEXT_CONTRAST = 3.0
CONTROLS = {
    "radio": "input.form-check-input[type=radio]:not(:checked)",
    "checkbox": "input.form-check-input[type=checkbox]:not(:checked)",
    "text box": "input.form-control",
    "drop-down": "select.form-select",
}


def relative_luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG 2.1's relative luminance of an sRGB colour (channels 0–255)."""

    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one, other) -> float:
    lighter, darker = sorted((relative_luminance(one), relative_luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


# Each colour as the browser computes it, alpha composited over what lies beneath (Bootstrap
# draws some borders translucent): the colour a person actually sees.
SEEN_COLOURS = """(control) => {
    const rgba = (css) => {
        const probe = document.createElement('canvas').getContext('2d');
        probe.fillStyle = css;
        probe.fillRect(0, 0, 1, 1);
        return Array.from(probe.getImageData(0, 0, 1, 1).data);
    };
    const background = (element) => {
        for (let at = element; at; at = at.parentElement) {
            const [r, g, b, a] = rgba(getComputedStyle(at).backgroundColor);
            if (a === 255) return [r, g, b];
        }
        return [255, 255, 255];
    };
    const behind = background(control.parentElement);
    const [r, g, b, a] = rgba(getComputedStyle(control).borderTopColor);
    const over = (c, i) => c * (a / 255) + behind[i] * (1 - a / 255);
    return {border: [r, g, b].map(over), background: behind,
};
}"""


def test_radio_buttons_and_checkboxes_stand_out_from_the_page(new_context, live_server):
    course = course_with_modules(modules=1, lessons=1, final_exam=False)
    quiz = Quiz.objects.get(module__course=course)
    multiple_question(quiz=quiz, position=2)
    short_question(quiz=quiz, position=3)
    matching_question(quiz=quiz, position=4)
    learner = UserFactory()
    enrollment_create(learner=learner, course=course)
    context = new_context()
    log_in(context, learner, live_server)
    page = context.new_page()
    attempt = quiz_attempt_start(learner=learner, quiz=quiz)

    page.goto(reverse("attempt_detail", args=[attempt.pk]))

    faint = []
    for kind, selector in CONTROLS.items():
        seen = page.locator(selector).first.evaluate(SEEN_COLOURS)
        ratio = contrast(seen["border"], seen["background"])
        if ratio < NON_TEXT_CONTRAST:
            faint.append(
                f"a {kind}'s outline {seen['border']} on {seen['background']}: {ratio:.2f}:1"
            )
    assert faint == []

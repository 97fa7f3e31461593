"""A lesson's figure in a real browser: loaded from the site under its policy, described."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LESSON = "/courses/maps/lessons/scales/"
MODULE = """---
title: Basics
---

# Scales {#scales}

A scale says how far one centimetre of map goes on the ground.

![A scale bar from 0 to 5 km](media/scale-bar.png)

A map from elsewhere is never loaded: ![A tracker](https://tracker.example/pixel.png)
"""


@pytest.fixture
def course(browser, live_server, settings, tmp_path):
    """A course whose lesson shows a figure (overrides the shipped course of conftest)."""
    from assessments.course_io import course_import

    settings.MEDIA_ROOT = tmp_path / "media-root"
    folder = tmp_path / "maps"
    (folder / "modules").mkdir(parents=True)
    (folder / "media").mkdir()
    (folder / "course.yaml").write_text("slug: maps\ntitle: Reading maps\nmodules:\n- basics\n")
    (folder / "modules" / "basics.md").write_text(MODULE)
    picture = io.BytesIO()
    Image.new("RGB", (320, 40), (30, 30, 30)).save(picture, "PNG")
    (folder / "media" / "scale-bar.png").write_bytes(picture.getvalue())
    imported, _ = course_import(folder)  # a live server's test commits: figures are stored
    return imported


def test_a_learner_sees_the_lessons_figure_loaded_from_the_site(page, audit, enrolled_learner):
    page.goto(LESSON)

    figure = page.get_by_role("img", name="A scale bar from 0 to 5 km")
    expect(figure).to_be_visible()
    assert figure.evaluate("image => image.complete && image.naturalWidth") == 320
    # The other image is its alt text, and nothing was asked of its host.
    expect(page.get_by_text("A tracker")).to_be_visible()
    audit(page, "lesson-with-figure", screenshots=False)
    audit.assert_clean()  # no request left the site, no asset failed, no policy refusal

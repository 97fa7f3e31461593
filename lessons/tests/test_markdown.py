import importlib

import pytest
from django.apps import apps as django_apps

from lessons.markdown import render_markdown
from lessons.models import Lesson
from tests.factories import LessonFactory


def test_every_top_level_block_gets_a_passage_anchor_in_order():
    rendered = render_markdown("First paragraph.\n\n- one\n- two\n\n## A heading\n\nLast.")

    assert rendered.passage_count == 4
    assert '<p id="passage-1">First paragraph.</p>' in rendered.html
    assert '<ul id="passage-2">' in rendered.html
    assert '<h2 id="passage-3">A heading</h2>' in rendered.html
    assert '<p id="passage-4">Last.</p>' in rendered.html
    # List items inside a passage are part of it, not passages of their own.
    assert "<li>one</li>" in rendered.html


def test_scripts_handlers_and_dangerous_links_are_removed():
    rendered = render_markdown(
        "<script>alert(1)</script>\n\n"
        '<p onclick="alert(2)">Hi</p>\n\n'
        "[click](javascript:alert(3)) and [ok](https://example.org)"
    )

    assert "<script" not in rendered.html
    assert "alert(1)" not in rendered.html
    assert "onclick" not in rendered.html
    assert 'href="javascript' not in rendered.html
    assert 'href="https://example.org"' in rendered.html


def test_word_count_and_reading_time():
    short = render_markdown("Military diplomacy’s role, in **brief**.")
    assert short.word_count == 5
    assert short.reading_minutes == 1

    long = render_markdown(" ".join(["word"] * 1000))
    assert long.word_count == 1000
    assert long.reading_minutes == 5


@pytest.mark.django_db
def test_lessons_rendered_with_inline_alignment_are_rendered_again_with_classes():
    migration = importlib.import_module("lessons.migrations.0003_table_alignment_as_classes")
    lesson = LessonFactory(body="| Population |\n|--:|\n| 5.6 M |")
    old_html = '<table><tbody><tr><td style="text-align:right">5.6 M</td></tr></tbody></table>'
    Lesson.objects.filter(pk=lesson.pk).update(body_html=old_html)

    migration.render_aligned_tables_again(django_apps, schema_editor=None)

    lesson.refresh_from_db()
    assert '<td class="text-end">5.6 M</td>' in lesson.body_html
    assert "style=" not in lesson.body_html


def test_a_figure_is_its_own_passage_and_points_at_the_courses_stored_file():
    rendered = render_markdown(
        "Before.\n\n![A scale bar](media/scale-bar.png)\n\nAfter.", course_id=7
    )
    assert rendered.passage_count == 3
    assert (
        '<p id="passage-2"><img src="/media/figures/7/scale-bar.png" alt="A scale bar"></p>'
        in (rendered.html)
    )


def test_no_image_is_loaded_from_anywhere_but_the_stored_figures():
    html = render_markdown(
        '![Pixel](https://tracker.example/p.png)\n\n<img src="https://tracker.example/q.png">\n\n'
        '<img src="/media/figures/7/map.png" alt="Map">\n\n![Up](media/../../x.png)',
        course_id=7,
    ).html
    assert "tracker.example" not in html and "../" not in html
    assert '<img src="/media/figures/7/map.png" alt="Map">' in html
    assert "Pixel" in html and "Up" in html  # shown as their alt text


def test_an_html_image_from_elsewhere_is_its_alt_text_not_a_broken_picture():
    html = render_markdown(
        'See <img src="https://tracker.example/p.gif" alt="the &quot;net&quot; diagram"> '
        '<img title="x" src="javascript:alert(1)"> and <img src="/media/figures/7/a.png" alt="A">'
    ).html
    assert html == (
        '<p id="passage-1">See the &quot;net&quot; diagram  and '
        '<img src="/media/figures/7/a.png" alt="A"></p>\n'
    )

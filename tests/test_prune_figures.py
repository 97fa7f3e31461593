"""Stored figures no lesson names: listed, and removed on request, never one that a
lesson, an archived lesson or an earlier version of a lesson still names."""

import io

import pytest
from django.core.management import call_command
from PIL import Image

from lessons.figures import figure_store
from lessons.models import Course, Lesson, Module, Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media-root"
    return settings.MEDIA_ROOT


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(out, "PNG")
    return out.getvalue()


def lesson(course: Course, slug: str, body: str, **fields) -> Lesson:
    module, _ = Module.objects.get_or_create(course=course, slug="m", defaults={"title": "M"})
    return Lesson.objects.create(module=module, slug=slug, title=slug, body=body, **fields)


def prune(*args) -> str:
    out = io.StringIO()
    call_command("prune_figures", *args, stdout=out)
    return out.getvalue()


def stored(media_root) -> list[str]:
    return sorted(
        str(path.relative_to(media_root)) for path in media_root.rglob("*") if path.is_file()
    )


def test_only_figures_no_lesson_ever_named_are_listed_and_removed(media_root):
    maps = Course.objects.create(slug="maps", title="Maps")
    radio = Course.objects.create(slug="radio", title="Radio")
    for name in ("now.png", "before.png", "archived.png", "deleted.png", "never.png"):
        figure_store(course_id=maps.pk, name=name, data=png())
    figure_store(course_id=radio.pk, name="now.png", data=png())  # named by maps only
    figure_store(course_id=radio.pk, name="code.png", data=png())
    figure_store(course_id=999, name="gone.png", data=png())  # a course that never was

    edited = lesson(maps, "grid", "![The grid](media/before.png)")
    edited.body = "![The grid, redrawn](media/now.png)"  # before.png stays in its history
    edited.save()
    lesson(maps, "old", "![An old map](media/archived.png)", status=Status.ARCHIVED)
    lesson(maps, "cut", "![A cut map](media/deleted.png)").delete()
    # Written as code, not shown: the figure is not named.
    lesson(radio, "call", "```\n![A call sign](media/code.png)\n```")

    orphans = [
        f"figures/{maps.pk}/never.png",
        f"figures/{radio.pk}/code.png",
        f"figures/{radio.pk}/now.png",
        "figures/999/gone.png",
    ]
    everything = stored(media_root)
    listed = prune()
    assert [line for line in listed.splitlines() if line.startswith("figures/")] == sorted(
        orphans, key=lambda path: (int(path.split("/")[1]), path)
    )
    assert "4 figure files no lesson names" in listed
    assert stored(media_root) == everything  # listing removes nothing

    assert "Removed 4 figure files." in prune("--delete")
    assert stored(media_root) == sorted(set(everything) - set(orphans))
    assert "Every stored figure is named by a lesson." in prune()


def test_nothing_stored_is_nothing_to_remove():
    assert "Every stored figure is named by a lesson." in prune("--delete")

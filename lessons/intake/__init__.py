"""Course drafts from documents: plain text, Markdown, saved web pages and Word files.

``draft_course_folder`` writes a course folder (docs/course-format.md) from a document, and
the report beside it; ``course_draft_from_bytes`` gives the same draft in memory, for an
upload. The rules (what is a heading, a notice, debris; how lessons become modules) are in
docs/documents.md: ``sources`` reads each kind of file into blocks, ``outline`` turns the
blocks into modules and lessons.
"""

from pathlib import Path

from django.utils.text import slugify

from lessons.course_folder import CourseSpec, FigureFile, write_course_folder
from lessons.intake.outline import DraftReport, course_draft
from lessons.intake.sources import READERS, DocumentError, reader_for

__all__ = [
    "READERS",
    "DocumentError",
    "DraftReport",
    "course_draft_from_bytes",
    "draft_course_folder",
    "refuse_too_large",
    "report_path",
]


def course_draft_from_bytes(
    data: bytes,
    *,
    name: str,
    slug: str | None = None,
    title: str | None = None,
    folder: Path | None = None,
) -> tuple[CourseSpec, DraftReport]:
    """The draft of the document ``data`` named ``name``; DocumentError for a file it
    cannot read (the wrong kind, too large, damaged, encrypted, not UTF-8). The pictures a
    Markdown file or a web page names are read from ``folder``, the one it was read from;
    an upload has none."""
    if slug is not None and (not slug or slugify(slug) != slug):
        raise DocumentError(
            f"the slug '{slug}' may hold only lower-case letters, digits and hyphens", path=name
        )
    reader, _ = reader_for(name)
    refuse_too_large(name, len(data))
    source = reader(data, name, folder)
    spec, report = course_draft(source, name=name, slug=slug, title=title)
    spec.figures = {
        name: FigureFile(name=name, data=data, original=data)
        for name, data in source.figures.items()
    }
    return spec, report


def refuse_too_large(name: str, size: int) -> None:
    """DocumentError for a document larger than its kind may be: asked before reading it."""
    _, max_bytes = reader_for(name)
    if size > max_bytes:
        raise DocumentError(f"larger than {max_bytes // 2**20} MB", path=name)


def report_path(folder: Path | str) -> Path:
    """Where the report of a draft written to ``folder`` goes: beside it, not inside."""
    folder = Path(folder).resolve()
    return folder.with_name(f"{folder.name}-report.txt")


def draft_course_folder(
    source: Path | str, folder: Path | str, *, slug: str | None = None, title: str | None = None
) -> DraftReport:
    """Write the draft of the document at ``source`` as a course folder, and its report
    beside it. Nothing is written when the document cannot be read or ``folder`` holds files."""
    source, folder = Path(source), Path(folder)
    reader_for(source.name)
    if not source.is_file():
        raise DocumentError("no such file", path=source)
    refuse_too_large(str(source), source.stat().st_size)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise DocumentError(
            "already exists and is not an empty folder: choose a new one", path=folder
        )
    spec, report = course_draft_from_bytes(
        source.read_bytes(), name=str(source), slug=slug, title=title, folder=source.parent
    )
    write_course_folder(spec, folder)
    report_path(folder).write_text(str(report), encoding="utf-8")
    return report

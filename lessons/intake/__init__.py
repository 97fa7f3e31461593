"""Course drafts from documents: plain text, Markdown, saved web pages and Word files.

``draft_course_folder`` writes a course folder (docs/course-format.md) from a document, and
the report beside it; ``course_draft_from_bytes`` gives the same draft in memory, for an
upload. The rules (what is a heading, a notice, debris; how lessons become modules) are in
docs/documents.md: ``sources`` reads each kind of file into blocks, ``outline`` turns the
blocks into modules and lessons.
"""

import tempfile
from pathlib import Path, PurePath

from django.utils.text import slugify
from django.utils.translation import gettext_lazy

from lessons.course_folder import CourseFormatError, CourseSpec, FigureFile, write_course_folder
from lessons.figures import MAX_FIGURE_BYTES, MEDIA_DIR, figure_references
from lessons.intake.outline import DraftReport, course_draft
from lessons.intake.sources import MAX_WORD_BYTES, READERS, DocumentError, LeftOut, reader_for
from lessons.zips import ZipLimits, zip_unpack

__all__ = [
    "READERS",
    "DocumentError",
    "DraftReport",
    "course_draft_from_bytes",
    "course_draft_from_upload",
    "draft_course_folder",
    "refuse_too_large",
    "report_path",
]


NOT_SHOWN = gettext_lazy(
    "a picture where a lesson shows none (in a heading, say): its alt text stands in its place"
)


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
    # A picture carried where a lesson shows none (in a heading, which becomes a title) is
    # not stored for nothing: it is listed as left out.
    named = {
        reference.name
        for module in spec.modules
        for lesson in module.lessons
        for reference in figure_references(lesson.body)
    }
    report.left_out += [
        LeftOut(f"{MEDIA_DIR}/{figure}", NOT_SHOWN)
        for figure in source.figures
        if figure not in named
    ]
    spec.figures = {
        figure: FigureFile(name=figure, data=data, original=data)
        for figure, data in source.figures.items()
        if figure in named
    }
    return spec, report


# A document zipped with its pictures: a saved web page's folder holds its scripts and
# styles too. Each file as large as the largest document, the whole a few of them.
DOCUMENT_ZIP = ZipLimits(
    upload_bytes=30 * 2**20,
    unpacked_bytes=60 * 2**20,
    file_bytes=max(MAX_WORD_BYTES, MAX_FIGURE_BYTES),
    members=500,
    ratio=100,
    kind="a document or a picture",
)


def course_draft_from_upload(
    upload, *, slug: str | None = None, title: str | None = None
) -> tuple[CourseSpec, DraftReport]:
    """The draft of an uploaded document, or of a zip holding one with its pictures: those
    it names beside it are carried into the draft as ``draft_course`` carries those of its
    folder. DocumentError for a document that cannot be read, or a zip refused (unsafe,
    past its limits, holding no document or several), and nothing written."""
    if PurePath(upload.name).suffix.lower() != ".zip":
        refuse_too_large(upload.name, upload.size)  # before reading it into memory
        return course_draft_from_bytes(upload.read(), name=upload.name, slug=slug, title=title)
    with tempfile.TemporaryDirectory() as unpacked:
        folder = Path(unpacked)
        try:
            zip_unpack(upload, folder, DOCUMENT_ZIP)
        except CourseFormatError as error:
            shown = _shown(upload.name, folder, error.path)
            raise DocumentError(error.message, path=shown) from None
        document = _document_in(folder, zip_name=upload.name)
        return course_draft_from_bytes(
            document.read_bytes(),
            name=_shown(upload.name, folder, document),
            slug=slug,
            title=title,
            folder=document.parent,
        )


def _shown(zip_name: str, folder: Path, path) -> str:
    """A file of the unpacked zip named as the instructor knows it: ``notes.zip/notes.md``."""
    inside = Path(path).relative_to(folder) if path else Path()
    return str(PurePath(zip_name) / inside) if inside.parts else zip_name


def _document_in(folder: Path, *, zip_name: str) -> Path:
    """The document of an unpacked zip: the one file of a kind a course is drafted from,
    nearest its top (a saved page's folder may hold pages of its own, deeper)."""
    documents = [path for path in folder.rglob("*") if path.suffix.lower() in READERS]
    if documents:
        top = min(len(path.relative_to(folder).parts) for path in documents)
        documents = [path for path in documents if len(path.relative_to(folder).parts) == top]
    if len(documents) != 1:
        kinds = ", ".join(sorted(set(READERS)))
        found = ", ".join(sorted(path.relative_to(folder).as_posix() for path in documents))
        raise DocumentError(
            f"a zip holds one document (a file ending {kinds}) and its pictures: "
            + (f"this one holds {found}" if found else "this one holds none"),
            path=zip_name,
        )
    return documents[0]


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

"""Figures in lessons: images a course folder keeps in ``media/`` and its lessons show.

A lesson names a figure in Markdown, ``![what it shows](media/name.png)``. On import each
figure is checked with Pillow (a PNG, JPEG, GIF or WebP image, within a size in bytes and
in pixels) and re-encoded, so what is stored holds the picture and nothing else: no
metadata, no data after the image, no second file hidden in the first. Figures are
stored through Django's storage API under ``figures/<course id>/<name>`` and served as
media (docs/deploy.md).
"""

import io
import itertools
import re
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from markdown_it import MarkdownIt
from PIL import Image, UnidentifiedImageError

MEDIA_DIR = "media"
# A figure file's name in media/: no folders, so a name cannot reach outside it.
FIGURE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.(?:png|jpe?g|gif|webp)", re.IGNORECASE)
FIGURE_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "GIF": "GIF", "WEBP": "WebP"}
# A checked figure's format → the extension of its file in media/.
FIGURE_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
# A full-page photograph is about 1 MB; a lesson page should not load more.
MAX_FIGURE_BYTES = 5 * 1024 * 1024
# Decoded, a figure of this many pixels takes about 100 MB: a small file that claims more
# (a decompression bomb) is refused before its pixels are read.
MAX_FIGURE_PIXELS = 25_000_000

_inline = MarkdownIt("commonmark")


class FigureError(ValueError):
    """A file that cannot be a figure: the message says why."""


@dataclass(frozen=True)
class FigureReference:
    name: str  # the file's name in media/
    alt: str
    line: int  # of the lesson body, from 1


def figure_references(body: str) -> list[FigureReference]:
    """The images a lesson body names as ``media/<name>``, in order, with their alt text.

    Read by the Markdown parser, so an image written inside a code block is not one."""
    lines = body.split("\n")
    found = []
    for block in _inline.parse(body):
        for token in block.children or ():
            if token.type != "image":
                continue
            source = token.attrGet("src") or ""
            if not source.startswith(f"{MEDIA_DIR}/"):
                continue
            first, last = block.map
            # The line of the block that names the file (a paragraph may span several).
            line = next((n for n in range(first, last) if source in lines[n]), first)
            found.append(FigureReference(source.removeprefix(f"{MEDIA_DIR}/"),
                                         token.content.strip(), line + 1))  # fmt: skip
    return found


def no_alt_text(name: str) -> str:
    """What is said of a figure without alt text, at import and in the admin."""
    return (
        f"the figure {MEDIA_DIR}/{name} has no alt text: say what it shows, "
        "for readers who cannot see it"
    )


def lesson_figure_warnings(
    *, body: str, course_id: int, storing: frozenset[str] = frozenset()
) -> list[str]:
    """What the admin flags in a lesson body: figures without alt text, and figures not
    stored for the course (they come with the course folder or its zip, or are uploaded
    with the lesson: ``storing`` names those stored once the lesson's save commits)."""
    warnings = []
    for reference in figure_references(body):
        where = f"Line {reference.line} of the body"
        if not reference.alt:
            warnings.append(f"{where}: {no_alt_text(reference.name)}.")
        if not FIGURE_NAME.fullmatch(reference.name) or (
            reference.name not in storing
            and figure_read(course_id=course_id, name=reference.name) is None
        ):
            warnings.append(
                f"{where}: {MEDIA_DIR}/{reference.name} is not among the course's figures, "
                "so learners see its alt text: upload it under “Add a figure”, or import it with "
                "the course folder or zip."
            )
    return warnings


def refuse_too_large(size: int) -> None:
    """FigureError for a file of ``size`` bytes: asked before reading a file into memory."""
    if size > MAX_FIGURE_BYTES:
        raise FigureError(f"larger than {MAX_FIGURE_BYTES // 2**20} MB")


def figure_clean(data: bytes) -> bytes:
    """The image in ``data`` re-encoded in its own format; FigureError for anything else.

    Pillow reads only the header before the size in pixels is checked, then ``verify``
    checks the file's structure, and the image is decoded again and written anew: what a
    hostile file carries beside its pixels (metadata, trailing data, a script) is left out.
    """
    refuse_too_large(len(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FIGURE_FORMATS)) as image:
                image_format = image.format
                width, height = image.size
                if width * height > MAX_FIGURE_PIXELS:
                    raise FigureError(
                        f"{width} × {height} pixels: more than the "
                        f"{MAX_FIGURE_PIXELS:,} pixels a figure may have"
                    )
                image.verify()
            with Image.open(io.BytesIO(data), formats=[image_format]) as image:
                image.load()
                frames = getattr(image, "n_frames", 1)
                out = io.BytesIO()
                options = {"quality": "keep"} if image_format == "JPEG" else {}
                image.save(out, image_format, save_all=frames > 1, **options)
    except FigureError:
        raise
    except UnidentifiedImageError:
        kinds = ", ".join(FIGURE_FORMATS.values())
        raise FigureError(f"not an image Courseware shows ({kinds})") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own limit, far above ours, refuses before the size can be asked.
        raise FigureError(
            f"more than the {MAX_FIGURE_PIXELS:,} pixels a figure may have"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        # What Pillow raises for a damaged or truncated image.
        raise FigureError(f"a damaged image ({error})") from None
    return out.getvalue()


def figure_format(data: bytes) -> str:
    """The format (a key of FIGURE_FORMATS) of a figure ``figure_clean`` gave."""
    with Image.open(io.BytesIO(data), formats=list(FIGURE_FORMATS)) as image:
        return image.format


def figure_markdown(*, name: str, alt: str) -> str:
    """How a lesson body names a figure, as the course format writes it: a paragraph of its
    own, ``![alt](media/name)``, the alt text on one line with what Markdown would read as
    markup escaped, so that it is shown as typed."""
    alt = _MARKUP.sub(r"\\\g<0>", " ".join(alt.split()))
    return f"![{alt}]({MEDIA_DIR}/{name})"


# What Markdown may read as markup in a line of text (CommonMark lets a backslash escape
# any ASCII punctuation).
_MARKUP = re.compile(r"[\\`*_\[\]<>&!~|]")


def figure_free_name(*, course_id: int, wanted: str, data: bytes) -> str:
    """A name in media/ for the figure ``data`` (as ``figure_clean`` gave it) uploaded as
    ``wanted``: the upload's name in the letters a figure's name may hold, with its
    format's extension. A stored figure is never replaced by other bytes (an earlier version
    of a lesson, which learners may have read, still shows it): the name of one with these
    very bytes is given back, and otherwise the first of ``name-2``, ``name-3``… not taken."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", wanted.rsplit(".", 1)[0]).strip("-._")[:60]
    stem = stem or "figure"
    extension = FIGURE_EXTENSIONS[figure_format(data)]
    for number in itertools.count(1):
        name = f"{stem}.{extension}" if number == 1 else f"{stem}-{number}.{extension}"
        if figure_read(course_id=course_id, name=name) in (None, data):
            return name


def figure_path(*, course_id: int, name: str) -> str:
    if not FIGURE_NAME.fullmatch(name):  # "../x.png" would name another course's figure
        raise ValueError(f"not a figure's name: {name!r}")
    return f"figures/{course_id}/{name}"


def figure_url(*, course_id: int, name: str) -> str:
    return default_storage.url(figure_path(course_id=course_id, name=name))


def figures_url_prefix() -> str:
    """Where every stored figure is served from: the only images a page may load."""
    return default_storage.url("figures/")


def figure_read(*, course_id: int, name: str) -> bytes | None:
    path = figure_path(course_id=course_id, name=name)
    if not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as stored:
        return stored.read()


def figure_store(*, course_id: int, name: str, data: bytes) -> None:
    """Store the figure under its name, replacing an earlier one of that name."""
    path = figure_path(course_id=course_id, name=name)
    if default_storage.exists(path):
        with default_storage.open(path, "rb") as stored:
            if stored.read() == data:
                return
        default_storage.delete(path)
    default_storage.save(path, ContentFile(data))


def stored_figures() -> list[tuple[int, str]]:
    """Every figure file in storage, as (course id, name): the files under
    ``figures/<course id>/`` whose names a figure may have."""
    found = []
    try:
        folders, _ = default_storage.listdir("figures")
    except FileNotFoundError:  # nothing stored yet
        return found
    for folder in folders:
        if not folder.isdigit():
            continue
        _, names = default_storage.listdir(f"figures/{folder}")
        found.extend((int(folder), name) for name in names if FIGURE_NAME.fullmatch(name))
    return sorted(found)


def figure_delete(*, course_id: int, name: str) -> None:
    default_storage.delete(figure_path(course_id=course_id, name=name))

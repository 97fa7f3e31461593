"""Read a source document into blocks: headings, text blocks (a paragraph, a list, a table…)
and figures, each with the Markdown a lesson will hold.

One reader per kind of file, chosen by the file's extension (``READERS``). Markdown is the
common language: a web page becomes Markdown through trafilatura, a Word file through
mammoth and markdownify, and every Markdown text is cut into blocks by the same parser that
renders lessons, so a block is exactly one passage once imported. Plain text has no markup,
so its reader applies the rules written in docs/documents.md itself.
"""

import html
import io
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit
from xml.parsers.expat import ExpatError

import lxml.html
import nh3
from django.utils.translation import gettext_lazy
from lxml import etree
from markdown_it import MarkdownIt

from lessons.course_folder import MAX_TEXT_BYTES, CourseFormatError, decode_text
from lessons.figures import (
    FIGURE_EXTENSIONS,
    MEDIA_DIR,
    FigureError,
    figure_clean,
    figure_format,
    no_alt_text,
)
from lessons.figures import refuse_too_large as refuse_figure_too_large

# A saved web page carries scripts and styles around its text; a Word file carries its
# pictures. Both limits are far above a long article, small enough to read in a second.
MAX_PAGE_BYTES = 10 * 2**20
MAX_WORD_BYTES = 20 * 2**20
# Inside a Word file: the unpacked parts (a zip bomb is refused before mammoth opens it).
MAX_WORD_UNPACKED_BYTES = 100 * 2**20
MAX_WORD_RATIO = 100

# The same block grammar as lessons/markdown.py: CommonMark with tables.
_markdown = MarkdownIt("commonmark", {"typographer": False}).enable("table")


class DocumentError(CourseFormatError):
    """A document that cannot be drafted from, located by file (and line where known)."""


@dataclass
class Block:
    """One block of the document. ``markdown`` is what a lesson holds (for a heading: its
    text as inline Markdown); ``text`` is what a reader sees, for the rules and the report."""

    kind: str  # "heading" or "text"
    markdown: str
    text: str
    level: int = 0  # a heading's
    line: int | None = None
    # The Markdown element the block is: "p", "ul", "ol", "table", "blockquote", "code"…
    tag: str = "p"


@dataclass
class LeftOut:
    """Something of the document that is not in the draft, and why."""

    text: str
    # Why: the draft's own rule in the reader's language (a lazy translation), or a file
    # reader's message, in English.
    reason: str
    line: int | None = None


@dataclass
class Source:
    kind: str  # its name in the report, in the reader's language
    blocks: list[Block]
    title: str = ""  # the document's own title, where its format names one
    # Plain text has headings but no levels: its first heading before any text is the title.
    one_heading_level: bool = False
    left_out: list[LeftOut] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # The pictures carried into lessons, by their name in media/: checked and re-encoded.
    figures: dict[str, bytes] = field(default_factory=dict)


# Markdown ------------------------------------------------------------------


def plain_text(markdown: str) -> str:
    """What a reader sees of ``markdown``: rendered, tags dropped, entities decoded."""
    rendered = nh3.clean(_markdown.render(markdown), tags=set())
    return html.unescape(rendered).strip()


def markdown_blocks(
    source: str,
    *,
    with_lines: bool = True,
    figures: frozenset[str] = frozenset(),
    refused: dict[str, str] | None = None,
) -> tuple[list[Block], list[LeftOut]]:
    """The top-level blocks of a Markdown text, each with its source lines verbatim.

    A paragraph holding nothing but images is a figure: it is a block of the lesson when
    every image in it is one of ``figures`` (``media/<name>``, the pictures the reader
    carried), and otherwise left out and listed. A thematic break (``---``) separates
    nothing once lessons are cut at headings, so it is left out too. ``refused`` says why
    a picture the reader looked for was not carried, by its address.
    """
    refused = refused or {}
    lines = source.split("\n")
    tokens = _markdown.parse(source)
    blocks, left_out = [], []
    for index, token in enumerate(tokens):
        if token.level != 0 or token.map is None:
            continue  # inside a block, or a closing token
        start, end = token.map
        line = start + 1 if with_lines else None
        if token.type == "heading_open":
            inline = tokens[index + 1]
            blocks.append(
                Block(
                    "heading",
                    markdown=inline.content,
                    text=plain_text(inline.content),
                    level=int(token.tag[1]),
                    line=line,
                )
            )
        elif token.type == "hr":
            left_out.append(LeftOut(lines[start].strip(), gettext_lazy("a horizontal rule"), line))
        elif token.type == "paragraph_open" and _only_images(tokens[index + 1], figures):
            for image in tokens[index + 1].children:
                if image.type == "image":
                    alt = plain_text(image.content) if image.content else ""
                    src = image.attrGet("src")
                    why = f"a figure: {refused[src]}" if src in refused else FIGURE
                    left_out.append(LeftOut(_figure_text(alt, src), why, line))
        else:
            markdown = "\n".join(lines[start:end]).strip("\n")
            blocks.append(
                Block("text", markdown, plain_text(markdown), line=line, tag=token.tag or "html")
            )
    return blocks, left_out


FIGURE = gettext_lazy(
    "a figure: its picture is not in the file, and a draft fetches nothing from elsewhere"
)


def _figure_text(alt: str, src: str | None) -> str:
    described = f"“{alt}”" if alt else "a picture without alternative text"
    return f"{described} ({src})" if src else described


def _only_images(inline, carried: frozenset[str]) -> bool:
    """Whether the paragraph holds images only, and one at least is not a picture ``carried``
    (``media/<name>``): such a figure cannot be shown, and is left out."""
    children = inline.children or []
    sources = [child.attrGet("src") for child in children if child.type == "image"]
    return (
        bool(sources)
        and not all(source in carried for source in sources)
        and all(
            child.type in ("image", "softbreak", "hardbreak")
            or (child.type == "text" and not child.content.strip())
            for child in children
        )
    )


def markdown_source(data: bytes, name: str, folder: Path | None = None) -> Source:
    text = decode_text(data, path=name)
    pictures = Pictures()
    text = pictures.carry_local(text, folder)
    blocks, left_out = markdown_blocks(text, figures=pictures.carried, refused=pictures.refused)
    return Source(gettext_lazy("Markdown"), blocks, left_out=left_out,
                  warnings=pictures.warnings + pictures.in_text(left_out),
                  figures=pictures.figures)  # fmt: skip


# Figures -------------------------------------------------------------------


class Pictures:
    """The pictures a document brings into its draft: each one Courseware can show becomes
    media/figure-<n>.<ext>, checked and re-encoded as an imported figure is (lessons/figures.py);
    why the others were refused is kept by their address, for the report."""

    def __init__(self):
        self.figures: dict[str, bytes] = {}
        self.refused: dict[str, str] = {}
        self.warnings: list[str] = []
        self._by_file: dict[Path, str] = {}

    def in_text(self, left_out: list[LeftOut]) -> list[str]:
        """Warnings for the pictures refused inside a paragraph of text, where they stay
        as written (a paragraph of pictures only is left out, and listed there)."""
        listed = " ".join(item.text for item in left_out)
        return [
            f"The picture {src} stays in the text as written, shown as its alt text: {why}."
            for src, why in self.refused.items()
            if f"({src})" not in listed
        ]

    @property
    def carried(self) -> frozenset[str]:
        return frozenset(f"{MEDIA_DIR}/{name}" for name in self.figures)

    def keep(self, data: bytes, alt: str) -> str:
        """The name in media/ of the picture ``data``; FigureError for one it cannot show."""
        cleaned = figure_clean(data)
        name = f"figure-{len(self.figures) + 1}.{FIGURE_EXTENSIONS[figure_format(cleaned)]}"
        self.figures[name] = cleaned
        if not alt.strip():
            self.warnings.append(f"{no_alt_text(name).capitalize()}.")
        return name

    def carry_local(
        self,
        markdown: str,
        folder: Path | None,
        *,
        local: Callable[[str], str | None] | None = None,
    ) -> str:
        """``markdown`` with each image whose file is in ``folder`` (the document's own,
        or below it) named as its figure in media/. ``local`` gives the file's address in
        the folder for an image's address (a web page's were made whole by its reader)."""
        if folder is None:
            return markdown
        lines = markdown.split("\n")
        for token in _markdown.parse(markdown):
            for image in _images(token.children or ()):
                src = image.attrGet("src") or ""
                address = local(src) if local else src
                try:
                    if address is None:
                        raise FigureError("it was not saved with the page")
                    name = self._carry_file(folder, address, alt=plain_text(image.content))
                except FigureError as error:
                    self.refused[src] = str(error)
                    continue
                first, last = token.map
                for number in range(first, last):
                    replaced = _with_address(lines[number], src, f"{MEDIA_DIR}/{name}")
                    if replaced != lines[number]:
                        lines[number] = replaced
                        break
        return "\n".join(lines)

    def _carry_file(self, folder: Path, address: str, *, alt: str) -> str:
        parts = urlsplit(address)
        if parts.scheme or parts.netloc:
            raise FigureError("a picture elsewhere: a draft fetches nothing")
        relative = PurePosixPath(unquote(parts.path))
        folder = folder.resolve()
        path = (folder / relative).resolve()
        if relative.is_absolute() or ".." in relative.parts or not path.is_relative_to(folder):
            raise FigureError("outside the document's folder: only files beside it are read")
        if path in self._by_file:
            return self._by_file[path]
        if not path.is_file():
            raise FigureError("no such file beside the document")
        refuse_figure_too_large(path.stat().st_size)
        self._by_file[path] = self.keep(path.read_bytes(), alt)
        return self._by_file[path]


def _images(children):
    for child in children:
        if child.type == "image":
            yield child
        yield from _images(child.children or ())


def _with_address(line: str, src: str, new: str) -> str:
    """``line`` with the first image address written as ``src`` (as the parser gives it,
    or as written, undecoded, in angle brackets or not) replaced by ``new``."""
    for written in dict.fromkeys((src, unquote(src))):
        for old in (f"](<{written}>", f"]({written}"):
            if old in line:
                return line.replace(old, f"]({new}", 1)
    return line


# Plain text ----------------------------------------------------------------

# A list item: a bullet or a number, then the item's text.
_LIST_ITEM = re.compile(
    r"^(?P<indent>[ \t]*)(?P<mark>[•◦▪‣·*–-]|\d{1,3}[.)])[ \t]+(?P<text>\S.*)$"
)
_SENTENCE_END = re.compile(r"[.,;:!?…]$")
_CLOSING_MARKS = "\"'”’»)]"
MAX_HEADING_CHARS = 150
# Characters that would make Markdown of plain text: escaped only where they would.
_INLINE_SPECIALS = re.compile(r"([\\`*_\[\]<>&|~])")
_BLOCK_START = re.compile(r"^([#>+=-]|\d+[.)])")


def is_text_heading(line: str) -> bool:
    """A heading in plain text: a line alone, short, starting with a capital or a digit,
    not ending as a sentence does."""
    stripped = line.strip().rstrip(_CLOSING_MARKS)
    return (
        0 < len(line.strip()) <= MAX_HEADING_CHARS
        and (line.strip()[0].isupper() or line.strip()[0].isdigit())
        and not _SENTENCE_END.search(stripped)
    )


def markdown_of_text(text: str) -> str:
    """``text`` as Markdown that renders as the same text: unchanged when it already does."""
    if plain_text(text) == text.strip():
        return text
    escaped = _INLINE_SPECIALS.sub(r"\\\1", text)
    return "\n".join(_BLOCK_START.sub(r"\\\1", line) for line in escaped.split("\n"))


def is_numbered_heading(
    chunk: list[str], before: list[str] | None, after: list[str] | None
) -> bool:
    """A numbered heading in plain text ("1. Introduction"): a block of one numbered line
    whose text is a heading, not numbered as the next item of a block of one numbered line
    before it nor as the previous item of one after it (those are a list spaced out with
    blank lines)."""
    number = _one_numbered_line(chunk)
    return (
        number is not None
        and is_text_heading(_LIST_ITEM.match(chunk[0])["text"])
        and _one_numbered_line(before) != number - 1
        and _one_numbered_line(after) != number + 1
    )


def _one_numbered_line(chunk: list[str] | None) -> int | None:
    """The number of a block of one line at the margin numbered as a list item is."""
    item = _LIST_ITEM.match(chunk[0]) if chunk and len(chunk) == 1 else None
    if item is None or item["indent"] or not item["mark"][0].isdigit():
        return None
    return int(item["mark"][:-1])


def text_source(data: bytes, name: str, folder: Path | None = None) -> Source:
    text = decode_text(data, path=name)
    chunks = list(_chunks(text))
    blocks = []
    for index, (chunk, first_line) in enumerate(chunks):
        before = chunks[index - 1][0] if index else None
        after = chunks[index + 1][0] if index + 1 < len(chunks) else None
        if is_numbered_heading(chunk, before, after):
            blocks.append(_heading_block(chunk[0], first_line))
            continue
        blocks.extend(_text_blocks(chunk, first_line, before=blocks))
    return Source(gettext_lazy("plain text"), blocks, one_heading_level=True)


def _heading_block(line: str, number: int) -> Block:
    title = line.strip()
    return Block("heading", markdown_of_text(title), title, level=1, line=number)


def _chunks(text: str):
    """Runs of non-blank lines with the number of their first line."""
    chunk, start = [], 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not chunk:
                start = number
            chunk.append(line)
        elif chunk:
            yield chunk, start
            chunk = []
    if chunk:
        yield chunk, start


def _text_blocks(lines: list[str], first_line: int, *, before: list[Block]) -> list[Block]:
    if _LIST_ITEM.match(lines[0]):
        items: list[tuple[str, str]] = []
        for offset, line in enumerate(lines):
            item = _LIST_ITEM.match(line)
            if item:
                items.append((item["mark"], item["text"].strip()))
            elif line[:1] in " \t":
                mark, text = items[-1]
                items[-1] = (mark, text + "\n" + line.strip())  # the item's text, wrapped
            else:
                # A line at the margin ends the list: it is a paragraph of its own.
                listed = _list_block(items, first_line, before)
                return [
                    listed,
                    *_text_blocks(lines[offset:], first_line + offset, before=[*before, listed]),
                ]
        return [_list_block(items, first_line, before)]
    if len(lines) == 1 and is_text_heading(lines[0]):
        return [_heading_block(lines[0], first_line)]
    paragraph = "\n".join(line.strip() for line in lines)
    return [Block("text", markdown_of_text(paragraph), paragraph, line=first_line)]


_MARKDOWN_MARKER = re.compile(r"(?:\d+)?([.)*-])")


def _list_block(items: list[tuple[str, str]], line: int, before: list[Block]) -> Block:
    """A Markdown list of the items; numbered if the text numbers them. Two lists of a kind
    in a row are one list to Markdown unless their markers differ, so each list takes the
    marker its kind's last list did not ('*' after '-', ')' after '.', and back): lists
    that only a paragraph left out as debris separates stay apart in the lesson too."""
    tag = "ol" if items[0][0][0].isdigit() else "ul"
    previous = next((block for block in reversed(before) if block.tag == tag), None)
    taken = _MARKDOWN_MARKER.match(previous.markdown)[1] if previous else ""
    entries = []
    for mark, text in items:
        if mark[0].isdigit():
            marker = mark[:-1] + (")" if taken == "." else ".")
        else:
            marker = "*" if taken == "-" else "-"
        indent = "\n" + " " * (len(marker) + 1)
        entries.append(f"{marker} " + markdown_of_text(text).replace("\n", indent))
    texts = "\n".join(text for _, text in items)
    return Block("text", "\n".join(entries), texts, line=line, tag=tag)


# Web pages -----------------------------------------------------------------

# Elements that run inside a line of text: what the page held outside the article is listed
# block by block, each block with the text of the inline elements in it.
_INLINE = frozenset((
    "a", "abbr", "b", "bdi", "bdo", "big", "br", "button", "cite", "code", "data", "del",
    "dfn", "em", "font", "i", "img", "input", "ins", "kbd", "label", "mark", "q", "s", "samp",
    "select", "small", "span", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr",
))  # fmt: skip
_NOT_SHOWN = ("script", "style", "noscript", "template", "svg", "head", "iframe", "title")
_SPACES = re.compile(r"\s+")


def web_page_source(data: bytes, name: str, folder: Path | None = None) -> Source:
    import trafilatura  # here, not above: it takes most of a second to load, once a draft needs it

    page = decode_text(data, path=name, max_bytes=MAX_PAGE_BYTES)
    try:
        tree = lxml.html.document_fromstring(page)
    except (etree.ParserError, ValueError) as error:
        raise DocumentError(f"not a readable web page ({error})", path=name) from None
    # trafilatura reads its own copy: it prunes the tree it is given.
    metadata = trafilatura.extract_metadata(page)
    address = metadata.url if metadata else None
    markdown = trafilatura.extract(
        page,
        url=address,
        output_format="markdown",
        include_comments=False,
        include_tables=True,
        include_images=True,
        include_formatting=True,
        # A link is kept where the page says where it was saved from, so that a link
        # relative to it can be made whole; otherwise it would point into Courseware.
        include_links=bool(address),
        deduplicate=False,
    )
    if not markdown:
        raise DocumentError(
            "no article found in the page: save the page with its text, not only its frame",
            path=name,
        )
    # A page saved "complete" keeps its pictures in a folder beside it; trafilatura makes
    # their addresses whole when the page names its own, so each is matched to the page's.
    saved = {}
    for image in tree.iter("img"):
        src = image.get("src", "").strip()
        if src:
            saved[src] = saved[urljoin(address, src) if address else src] = src
    pictures = Pictures()
    markdown = pictures.carry_local(
        markdown, folder, local=lambda src: saved.get(src, saved.get(unquote(src)))
    )
    blocks, left_out = markdown_blocks(
        markdown, with_lines=False, figures=pictures.carried, refused=pictures.refused
    )
    title = (metadata.title if metadata else "") or ""
    kept = _SPACES.sub(" ", " ".join([title, *(block.text for block in blocks)]))
    chrome = [
        LeftOut(
            text, gettext_lazy("outside the article: the site's menus, banners, footer or links")
        )
        for text in _page_texts(tree)
        if text not in kept
    ]
    warnings = (
        []
        if address
        else [
            "The page does not say which address it was saved from (no canonical link), so its "
            "links are kept as plain text."
        ]
    )
    return Source(gettext_lazy("web page"), blocks, title=title, left_out=chrome + left_out,
                  warnings=warnings + pictures.warnings + pictures.in_text(left_out),
                  figures=pictures.figures)  # fmt: skip


def _page_texts(tree) -> list[str]:
    """The page's texts block by block, in order, as a visitor would read them."""
    for element in tree.iter(*_NOT_SHOWN, etree.Comment):
        element.drop_tree()
    texts = []
    for element in tree.iter():
        if element.tag in _INLINE or not isinstance(element.tag, str):
            continue  # read with the block it stands in
        parts = [element.text or ""]
        for child in element:
            if child.tag in _INLINE:
                parts.append(child.text_content())
            parts.append(child.tail or "")
        text = _SPACES.sub(" ", "".join(parts)).strip()
        if text:
            texts.append(text)
    return texts


# Word files ----------------------------------------------------------------

# Word's title and caption styles are marked so that the title names the course and a
# caption leaves with its figure.
_WORD_STYLES = """
p[style-name='Title'] => p.document-title:fresh
p[style-name='Caption'] => p.figure-caption:fresh
"""
_ZIP_SIGNATURE = b"PK\x03\x04"
# Word saves a file with a password as an OLE compound file, as it saved the old .doc.
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# What mammoth and the zip and XML readers under it raise for a part that is missing,
# truncated or not well-formed.
_DAMAGED_WORD_FILE = (
    zipfile.BadZipFile, zlib.error, EOFError, KeyError, LookupError, ValueError,
    NotImplementedError, ExpatError, etree.XMLSyntaxError,
)  # fmt: skip


def word_source(data: bytes, name: str, folder: Path | None = None) -> Source:
    import mammoth  # here, not above: with markdownify, half a second to load
    import markdownify

    if data.startswith(_OLE_SIGNATURE):
        raise DocumentError(
            "a Word file with a password, or an old .doc file: open it in Word, remove the "
            "password and save it as .docx",
            path=name,
        )
    _check_word_package(data, name)
    pictures = _WordPictures()
    try:
        result = mammoth.convert_to_html(
            io.BytesIO(data),
            style_map=_WORD_STYLES,
            convert_image=mammoth.images.img_element(pictures.carry),
        )
    except _DAMAGED_WORD_FILE as error:
        raise DocumentError(f"a damaged Word file ({error})", path=name) from None
    title, figures, body = _word_html(result.value, refused=pictures.refused)
    markdown = markdownify.markdownify(
        body,
        heading_style="ATX",
        bullets="-",
        table_infer_header=True,
        escape_misc=True,
        # A picture in a table cell (in its paragraph there) stays a picture, not its alt text.
        keep_inline_images_in=["td", "th", "p"],
    )
    blocks, left_out = markdown_blocks(markdown, with_lines=False, figures=pictures.carried)
    warnings = [message.message for message in result.messages] + pictures.warnings
    return Source(gettext_lazy("Word file"), blocks, title=title, left_out=figures + left_out,
                  warnings=warnings, figures=pictures.figures)  # fmt: skip


def _check_word_package(data: bytes, name: str) -> None:
    if not data.startswith(_ZIP_SIGNATURE):
        raise DocumentError("not a Word file (.docx files are zip packages)", path=name)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            members = package.infolist()
    except zipfile.BadZipFile:
        raise DocumentError(
            "a damaged Word file (its zip package cannot be read)", path=name
        ) from None
    if "word/document.xml" not in {member.filename for member in members}:
        raise DocumentError("not a Word file (no word/document.xml inside)", path=name)
    if any(member.flag_bits & 0x1 for member in members):
        raise DocumentError("encrypted: save it again without a password", path=name)
    unpacked = sum(member.file_size for member in members)
    packed = sum(member.compress_size for member in members)
    if unpacked > MAX_WORD_UNPACKED_BYTES or unpacked > MAX_WORD_RATIO * max(packed, 1):
        raise DocumentError("unpacks to far more than a Word file holds", path=name)


# The pictures' types in a Word file that Courseware shows.
_PICTURE_TYPES = frozenset(("image/png", "image/jpeg", "image/gif", "image/webp"))


class _WordPictures(Pictures):
    """The pictures of a Word file, as mammoth meets them: those Courseware cannot show (a
    drawing in Word's own formats, a damaged picture) are left out and listed."""

    def carry(self, image) -> dict:
        with image.open() as picture:
            data = picture.read()
        try:
            if image.content_type not in _PICTURE_TYPES:
                raise FigureError(f"a picture of type {image.content_type or 'unknown'}")
            name = self.keep(data, image.alt_text or "")
        except FigureError as error:
            placeholder = f"refused-{len(self.refused) + 1}"
            self.refused[placeholder] = str(error)
            return {"src": placeholder}
        return {"src": f"{MEDIA_DIR}/{name}"}


def _word_html(body: str, *, refused: dict[str, str]) -> tuple[str, list[LeftOut], str]:
    """The title, the figures left out (with their captions), and the HTML of the rest.

    A caption stays with its figure: in the lesson after a picture that is kept, listed
    with one that is left out."""
    if not body.strip():
        return "", [], ""
    root = lxml.html.fragment_fromstring(body, create_parent="div")
    title = " ".join(p.text_content().strip() for p in root.find_class("document-title"))
    figures, dropped = [], [*root.find_class("document-title")]
    figure_kept = False
    for element in root.iter("img", "p"):
        if element.tag == "img":
            figure_kept = element.get("src", "").startswith(f"{MEDIA_DIR}/")
            if not figure_kept:
                alt = element.get("alt", "").strip()
                why = refused.get(element.get("src", ""), "")
                figures.append(LeftOut(_figure_text(alt, None), f"a figure: {why}"))
                dropped.append(element)
        elif "figure-caption" in element.get("class", ""):
            if figure_kept:
                del element.attrib["class"]
            else:
                figures.append(
                    LeftOut(
                        element.text_content().strip(), gettext_lazy("the caption of a figure")
                    )
                )
                dropped.append(element)
    for element in dropped:
        element.drop_tree()
    # A paragraph that held only a picture left out is empty now.
    for paragraph in [p for p in root.iter("p") if len(p) == 0 and not p.text_content().strip()]:
        paragraph.drop_tree()
    inner = "".join(lxml.html.tostring(child, encoding="unicode") for child in root)
    return title, figures, (root.text or "") + inner


# Which reader reads which file -------------------------------------------

# A reader is given the document's bytes, its name, and the folder it was read from (where
# the pictures it names are), or None for an upload.
READERS: dict[str, tuple[Callable[[bytes, str, Path | None], Source], int]] = {
    ".txt": (text_source, MAX_TEXT_BYTES),
    ".md": (markdown_source, MAX_TEXT_BYTES),
    ".markdown": (markdown_source, MAX_TEXT_BYTES),
    ".html": (web_page_source, MAX_PAGE_BYTES),
    ".htm": (web_page_source, MAX_PAGE_BYTES),
    ".docx": (word_source, MAX_WORD_BYTES),
}


def reader_for(name: str) -> tuple[Callable[[bytes, str, Path | None], Source], int]:
    """The reader for a file name and the largest file it takes; DocumentError otherwise."""
    extension = PurePath(name).suffix.lower()
    if extension not in READERS:
        known = ", ".join(sorted(set(READERS)))
        raise DocumentError(
            f"not a kind of document a course is drafted from (files ending {known})",
            path=name,
        )
    return READERS[extension]

"""Lesson Markdown → sanitised HTML, with an anchor on every passage.

A *passage* is a top-level block of the lesson body (paragraph, list,
quote, table, heading, raw HTML block; a figure is the paragraph it stands in). Each gets
``id="passage-N"`` so quiz feedback can link a learner to the exact place to re-read.
"""

import re
from dataclasses import dataclass

import nh3
from django.core.exceptions import ValidationError
from markdown_it import MarkdownIt

from lessons.figures import FIGURE_NAME, MEDIA_DIR, figure_url, figures_url_prefix

WORDS_PER_MINUTE = 200

_markdown = MarkdownIt("commonmark", {"typographer": False}).enable("table")
_markdown_without_html = MarkdownIt("commonmark", {"typographer": False, "html": False}).enable(
    "table"
)
# Raw HTML past this many tags is shown as text: the sanitiser's time grows with the
# square of nesting depth (10,000 nested <div>s take seconds), and no lesson needs it.
# Tags are counted in the source, so a lesson is parsed once: parsing it a second time
# without HTML doubled the cost of the costliest Markdown.
MAX_RAW_HTML_TAGS = 500
# How an HTML tag, comment or declaration starts (not an autolink such as <https://…>).
_TAG_START = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9-]*(?=[\s/>])|[!?])")
# Rendering costs up to about 15 µs a character on the costliest Markdown (runs of "!["),
# so a lesson at the limit renders in under a second whatever it holds (timings in
# docs/security.md). A long chapter is 20,000 characters.
MAX_LESSON_CHARS = 50_000

# Block and inline markup Markdown writes, and what Moodle's HTML editor writes in question
# banks (b, i, u, sub, sup, span, div…): none carries a script, a style or a link.
ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
}
# A text shown inside a page (a question on the attempt page) names no element: an id of its
# own could take the place of one the page's scripts and links look for.
FRAGMENT_ATTRIBUTES = {tag: names - {"id"} for tag, names in ALLOWED_ATTRIBUTES.items()}
# Table column alignment, the one styling Markdown writes, as Bootstrap classes: the
# Content-Security-Policy drops inline styles, and no other class or style may restyle
# or cover the page.
ALIGN_CLASSES = {"left": "text-start", "center": "text-center", "right": "text-end"}
ALLOWED_CLASSES = {cell: set(ALIGN_CLASSES.values()) for cell in ("th", "td")}
URL_SCHEMES = {"http", "https", "mailto"}
_WORD = re.compile(r"\w+(?:[’'-]\w+)*")


@dataclass(frozen=True)
class RenderedMarkdown:
    html: str
    word_count: int
    passage_count: int

    @property
    def reading_minutes(self) -> int:
        return max(1, round(self.word_count / WORDS_PER_MINUTE))


def passage_anchor(number: int) -> str:
    return f"passage-{number}"


# What the sanitiser leaves of an image from elsewhere: an <img> without a source (nh3
# writes attributes double-quoted, and escapes the quotes inside them).
_IMAGE_WITHOUT_SOURCE = re.compile(r'<img((?:\s+(?!src=)[a-z]+="[^"]*")*)\s*/?>')
_ALT = re.compile(r'\balt="([^"]*)"')


def _alt_text_instead(image: re.Match) -> str:
    alt = _ALT.search(image[1])
    return alt[1] if alt else ""


def _local_images_only(tag: str, attribute: str, value: str) -> str | None:
    # A page loads no image from another host (it would tell that host who reads what,
    # and the site works offline): an image keeps its source only if it is a stored figure.
    if tag == "img" and attribute == "src" and not value.startswith(figures_url_prefix()):
        return None
    return value


def sanitise_html(html: str, *, fragment: bool = False) -> str:
    """The one sanitiser for HTML that reaches a page: allowed tags, attributes and link
    schemes only, images from the course's stored figures only; a ``fragment`` (a text
    within a page) keeps no ids."""
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=FRAGMENT_ATTRIBUTES if fragment else ALLOWED_ATTRIBUTES,
        attribute_filter=_local_images_only,
        url_schemes=URL_SCHEMES,
        allowed_classes=ALLOWED_CLASSES,
        link_rel="noopener noreferrer",
    )
    # An image that lost its source would show as a broken picture: its alt text stands in.
    return _IMAGE_WITHOUT_SOURCE.sub(_alt_text_instead, clean)


def validate_lesson_body(body: str) -> None:
    """Refuse a lesson body too long to render quickly.

    The one size rule for lessons: the admin form, its Markdown preview and the course
    import all call it before anything is rendered or saved.
    """
    if len(body) > MAX_LESSON_CHARS:
        raise ValidationError(
            f"This lesson is {len(body):,} characters long, more than the "
            f"{MAX_LESSON_CHARS:,} a lesson may hold: split it into several lessons.",
            code="lesson_too_long",
        )


def _parser_for(source: str) -> MarkdownIt:
    raw_html_tags = sum(1 for _ in _TAG_START.finditer(source))
    return _markdown if raw_html_tags <= MAX_RAW_HTML_TAGS else _markdown_without_html


def _parse(source: str):
    return _parser_for(source).parse(source)


def _starts_passage(token) -> bool:
    # Top-level opening tags and self-contained blocks (fences, rules) each start a passage.
    return token.level == 0 and token.nesting in (0, 1) and token.block and bool(token.tag)


def passage_sources(source: str) -> list[str]:
    """The Markdown of each passage of a lesson body: passage N is item N - 1."""
    lines = source.split("\n")
    return [
        "\n".join(lines[token.map[0] : token.map[1]])
        for token in _parse(source)
        if _starts_passage(token)
    ]


def render_markdown_fragment(source: str) -> str:
    """Markdown as sanitised HTML for a text within a page (a question, its feedback): the
    lessons' renderer and sanitiser, without passage anchors or ids."""
    return sanitise_html(_parser_for(source).render(source), fragment=True)


def _figure_sources(token, course_id: int | None) -> None:
    """Point each ``media/<name>`` image at its stored figure; any other image (another
    host, or no course to look in) is shown as its alt text."""
    for child in token.children or ():
        if child.type != "image":
            continue
        name = (child.attrGet("src") or "").removeprefix(f"{MEDIA_DIR}/")
        if (
            course_id is not None
            and child.attrGet("src") == f"{MEDIA_DIR}/{name}"
            and (FIGURE_NAME.fullmatch(name))
        ):
            child.attrSet("src", figure_url(course_id=course_id, name=name))
        else:
            child.type, child.tag, child.children = "text", "", None


def render_markdown(source: str, *, course_id: int | None = None) -> RenderedMarkdown:
    """A lesson body as sanitised HTML; its figures are those stored for ``course_id``."""
    tokens = _parse(source)
    passages = 0
    for token in tokens:
        _figure_sources(token, course_id)
        if _starts_passage(token):
            passages += 1
            token.attrSet("id", passage_anchor(passages))
        if token.type in ("th_open", "td_open") and (style := token.attrs.pop("style", None)):
            token.attrJoin("class", ALIGN_CLASSES[style.removeprefix("text-align:")])
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    clean = sanitise_html(html)
    text = nh3.clean(html, tags=set())
    return RenderedMarkdown(
        html=clean, word_count=len(_WORD.findall(text)), passage_count=passages
    )

"""Lesson Markdown → sanitised HTML, with an anchor on every passage.

A *passage* is a top-level block of the lesson body (paragraph, list,
quote, table, heading). Each gets ``id="passage-N"`` so quiz feedback can
link a learner to the exact place to re-read.
"""

import re
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt

WORDS_PER_MINUTE = 200

_markdown = MarkdownIt("commonmark", {"typographer": False}).enable("table")
# Raw HTML past this many tags is shown as text: the sanitiser's time grows with the
# square of nesting depth (10,000 nested <div>s take seconds), and no lesson needs it.
MAX_RAW_HTML_TAGS = 500
# Parsing takes about a second per 200,000 characters of dense markup; a long chapter
# is a tenth of that.
MAX_LESSON_CHARS = 200_000
_markdown_without_html = MarkdownIt("commonmark", {"typographer": False, "html": False}).enable(
    "table"
)

ALLOWED_TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id"},
    "a": {"href", "title"},
}
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


def _raw_html_tags(tokens) -> int:
    count = 0
    for token in tokens:
        if token.type == "html_block":
            count += token.content.count("<")
        for child in token.children or ():
            if child.type == "html_inline":
                count += 1
    return count


def sanitise_html(html: str) -> str:
    """The one sanitiser for HTML that reaches a page: allowed tags, attributes and link
    schemes only."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        allowed_classes=ALLOWED_CLASSES,
        link_rel="noopener noreferrer",
    )


def render_markdown(source: str) -> RenderedMarkdown:
    tokens = _markdown.parse(source)
    if _raw_html_tags(tokens) > MAX_RAW_HTML_TAGS:
        tokens = _markdown_without_html.parse(source)
    passages = 0
    for token in tokens:
        # Top-level opening tags and self-contained blocks (fences, rules) each start a passage.
        if token.level == 0 and token.nesting in (0, 1) and token.block and token.tag:
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

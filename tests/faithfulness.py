"""Reading a course against its source document, paragraph by paragraph.

The source article of the shipped course is read here by rules of its own (not by the
intake's reader), so the tests that compare a course with it check the intake rather than
repeat it.
"""

import re
from pathlib import Path

import lxml.html
from django.conf import settings

from lessons.markdown import render_markdown

SEED = Path(settings.BASE_DIR) / "fixtures" / "sources" / "military-diplomacy.txt"
DEBRIS = re.compile(r"^(Skip to content|See also\b.*)$")
DISCLAIMER = re.compile(r"^⚠️ Disclaimer: ")
BULLET = re.compile(r"^\s*•\s*")
# What a reader takes as one piece of text: a paragraph, a list item, a table cell, a heading.
_UNITS = ("p", "li", "th", "td", "h1", "h2", "h3", "h4", "h5", "h6", "pre")


def article_blocks() -> tuple[list[str], list[str], list[str], list[str]]:
    """The source article as (headings, paragraphs and list items, debris, disclaimer)."""
    headings, content, debris, disclaimer = [], [], [], []
    for block in re.split(r"\n\s*\n", SEED.read_text(encoding="utf-8")):
        for line in block.strip().split("\n") if BULLET.match(block) else [block.strip()]:
            line = line.strip()
            if not line:
                continue
            if DEBRIS.match(line):
                debris.append(line)
            elif DISCLAIMER.match(line):
                disclaimer.append(line)
            elif BULLET.match(line):
                content.append(BULLET.sub("", line))
            elif not re.search(r"[.:!?]$", line):
                headings.append(line)
            else:
                content.append(line)
    return headings, content, debris, disclaimer


def text_units(elements) -> list[str]:
    """The paragraphs, list items, table cells and headings among ``elements`` (HTML
    elements, in order) as a reader sees them, whitespace collapsed."""
    units = []
    for element in elements:
        for unit in element.iter(_UNITS):
            # A list item holding paragraphs is read as its paragraphs.
            if not any(inner is not unit for inner in unit.iter(_UNITS)):
                units.append(" ".join(unit.text_content().split()))
    return units


def lesson_units(bodies) -> list[str]:
    """What learners read in these lesson bodies (Markdown), in order, unit by unit."""
    units = []
    for body in bodies:
        root = lxml.html.fragment_fromstring(render_markdown(body).html, create_parent="div")
        units.extend(text_units(root))
    return units

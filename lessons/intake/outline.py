"""From a document's blocks to a course draft: its title, its notice, lessons and modules,
and the report of what was left out. The rules are those of docs/documents.md.
"""

import re
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_lazy, ngettext

from lessons.course_folder import COURSE_FILE, CourseSpec, LessonSpec, ModuleSpec
from lessons.intake.sources import Block, DocumentError, LeftOut, Source
from lessons.markdown import MAX_LESSON_CHARS
from lessons.reports import PLAIN, PlainText

# Lines a web page puts around its text: dropped wherever they stand, and listed. Each rule
# matches a whole paragraph or heading of at most MAX_DEBRIS_CHARS characters.
MAX_DEBRIS_CHARS = 250
DEBRIS_RULES = tuple(
    (reason, re.compile(pattern, re.IGNORECASE))
    for reason, pattern in (
        (
            gettext_lazy("a “skip to content” link"),
            r"(skip|jump) to (the )?(main )?(content|navigation)",
        ),
        (gettext_lazy("a “see also” link"), r"see also\b.*"),
        (
            gettext_lazy("a link to other articles"),
            r"(related|recommended|popular|more) (articles?|posts?|stories|reading)\b.*"
            r"|(read (more|next)|continue reading)\b.*",
        ),
        (
            gettext_lazy("share buttons"),
            r"(share( this( article| page| post)?)?|tweet|print|email)\b\W*"
            r"((on )?(x|twitter|facebook|linkedin|whatsapp|telegram|reddit|email|print)\W*)*",
        ),
        (
            gettext_lazy("a cookie notice"),
            r".*\bcookies?\b.*\b(accept|agree|consent|continu\w* to)\b.*",
        ),
        (gettext_lazy("a “back to top” link"), r"(back to top|top of (the )?page)\W*"),
        (gettext_lazy("an advertisement label"), r"(advertisement|sponsored( content)?)"),
    )
)
# A notice: a short paragraph opened by one of these words and a colon ("⚠️ Disclaimer: …").
# A disclaimer is one wherever it stands; the other words only before the first section,
# since "Note: …" in a section is the section's own text.
MAX_NOTICE_CHARS = 300
_DISCLAIMER = re.compile(r"^\W*disclaimer\s*:", re.IGNORECASE)
_NOTICE = re.compile(r"^\W*(disclaimer|notice|note|important|warning|caution)\s*:", re.IGNORECASE)

INTRODUCTION = "Introduction"
EMPTY_HEADING = gettext_lazy("a heading with no text under it")
# When the document has one level of headings: modules of about this many lessons.
LESSONS_PER_MODULE = 3
MAX_TITLE_CHARS = 200  # Course, Module and Lesson titles
MAX_SLUG_CHARS = 60


@dataclass
class DraftReport:
    """What the draft holds and what it left out, for the instructor to check."""

    source: str
    kind: str
    title: str = ""
    notice: str = ""
    outline: list[tuple[str, list[str]]] = field(default_factory=list)  # module, lessons
    passages: int = 0
    left_out: list[LeftOut] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def lessons(self) -> int:
        return sum(len(lessons) for _, lessons in self.outline)

    def __str__(self) -> str:
        return self.render(PLAIN)

    def render(self, out: PlainText) -> str:
        """The report in the reader's language, as ``out`` writes it (text or HTML)."""
        counts = ", ".join(
            [
                ngettext("%(n)d module", "%(n)d modules", len(self.outline))
                % {"n": len(self.outline)},
                ngettext("%(n)d lesson", "%(n)d lessons", self.lessons) % {"n": self.lessons},
                ngettext("%(n)d passage", "%(n)d passages", self.passages) % {"n": self.passages},
            ]
        )
        lines = [
            out.line(
                gettext("Drafted “%(title)s” from %(source)s (%(kind)s): %(counts)s."),
                title=out.quoted(self.title),
                source=out.quoted(self.source),
                kind=self.kind,
                counts=counts,
            ),
            out.line(gettext("Course notice: %(notice)s"), notice=out.quoted(self.notice))
            if self.notice
            else out.line(gettext("Course notice: none found.")),
            "",
            out.line(gettext("Modules and their lessons:")),
        ]
        for number, (module, lessons) in enumerate(self.outline, start=1):
            lines.append(out.line("  %(n)d. %(module)s", n=number, module=out.quoted(module)))
            lines.extend(
                out.line("     - %(lesson)s", lesson=out.quoted(lesson)) for lesson in lessons
            )
        lines.append("")
        if self.left_out:
            lines.append(
                out.line(
                    ngettext(
                        "Left out (%(n)d): check that it is not the document's text.",
                        "Left out (%(n)d): check that none of it is the document's text.",
                        len(self.left_out),
                    ),
                    n=len(self.left_out),
                )
            )
            for item in self.left_out:
                # A reason of the draft's rules is translated; a file reader's is quoted.
                reason = (
                    item.reason if isinstance(item.reason, Promise) else out.quoted(item.reason)
                )
                text = out.quoted(_shorten(item.text))
                listed = (
                    out.line(gettext("line %(line)d: %(text)s (%(reason)s)"),
                             line=item.line, text=text, reason=reason)
                    if item.line
                    else out.line("%(text)s (%(reason)s)", text=text, reason=reason)
                )  # fmt: skip
                lines.append(out.line("  - %(item)s", item=listed))
        else:
            lines.append(out.line(gettext("Left out: nothing.")))
        if self.warnings:
            lines.append("")
            lines.append(out.line(gettext("Warnings from reading the file:")))
            lines.extend(out.line("  - %(warning)s", warning=out.quoted(w)) for w in self.warnings)
        lines += [
            "",
            out.line(
                gettext(
                    "The course is a draft. Before publishing it, write its summary in "
                    "%(file)s and each module's objectives and quiz, and rename modules as "
                    "an instructor would."
                ),
                file=out.quoted(COURSE_FILE),
            ),
        ]
        return out.join(lines)


def _shorten(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class _Section:
    title: str
    rank: int  # 0 opens a module (or is the only level), 1 a lesson within it
    blocks: list[Block]
    line: int | None = None


def course_draft(
    source: Source, *, name: str, slug: str | None = None, title: str | None = None
) -> tuple[CourseSpec, DraftReport]:
    """The course folder's contents for ``source``, and the report on it."""
    report = DraftReport(source=name, kind=source.kind, warnings=list(source.warnings))
    report.left_out = list(source.left_out)
    blocks = _without_debris(source.blocks, report.left_out)
    document_title, blocks = _document_title(source, blocks)
    report.notice, blocks = _course_notice(blocks, report.left_out)
    levels = sorted({block.level for block in blocks if block.kind == "heading"})
    one_level = source.one_heading_level or len(levels) <= 1
    sections = _sections(blocks, levels=levels[:1] if one_level else levels)
    report.title = _title(title or document_title or _title_from_file_name(name))
    lessons = _Slugs()
    if one_level:
        modules = _balanced_modules(sections, lessons, report)
    else:
        modules = _modules_by_heading(sections, lessons, report)
    if not modules:
        raise DocumentError("holds no text to make lessons of", path=name)
    module_slugs = _Slugs()
    spec = CourseSpec(
        slug=slug or _slug(report.title, set(), fallback="course"),
        title=report.title,
        notice=report.notice,
        status="draft",
    )
    for module_title, module_lessons in modules:
        spec.modules.append(
            ModuleSpec(
                slug=module_slugs.new(module_title, fallback="module"),
                title=module_title,
                lessons=module_lessons,
            )
        )
    report.outline = [(m.title, [lesson.title for lesson in m.lessons]) for m in spec.modules]
    # In the document's order where its lines are known (plain text, Markdown).
    report.left_out.sort(key=lambda item: item.line or 0)
    report.passages = sum(len(section.blocks) for section in sections)
    return spec, report


# Debris, title and notice ---------------------------------------------------


def debris_reason(block: Block) -> str | None:
    """Why ``block`` is page debris, or None when it is text."""
    if block.tag != "p" or len(block.text) > MAX_DEBRIS_CHARS or "\n" in block.text:
        return None
    text = block.text.strip()
    for reason, pattern in DEBRIS_RULES:
        if pattern.fullmatch(text):
            return reason
    return None


def _without_debris(blocks: list[Block], left_out: list[LeftOut]) -> list[Block]:
    kept = []
    for block in blocks:
        reason = debris_reason(block)
        if reason:
            left_out.append(LeftOut(block.text, reason, block.line))
        else:
            kept.append(block)
    return kept


def _is_notice(block: Block, *, before_first_section: bool) -> bool:
    if block.kind != "text" or block.tag != "p" or len(block.text) > MAX_NOTICE_CHARS:
        return False
    pattern = _NOTICE if before_first_section else _DISCLAIMER
    return bool(pattern.match(block.text))


def _document_title(source: Source, blocks: list[Block]) -> tuple[str, list[Block]]:
    """The title the document gives itself, and the blocks without it.

    A format that names its title (a web page's metadata, Word's Title style) gives it;
    a heading repeating it is dropped. Otherwise the title is the first heading, when only
    notices stand before it and, in a document with heading levels, when it is the only
    heading of the highest level.
    """
    headings = [index for index, block in enumerate(blocks) if block.kind == "heading"]
    if source.title:
        if headings and blocks[headings[0]].text.casefold() == source.title.casefold():
            return source.title, blocks[: headings[0]] + blocks[headings[0] + 1 :]
        return source.title, blocks
    if not headings:
        return "", blocks
    first = headings[0]
    if not all(_is_notice(block, before_first_section=True) for block in blocks[:first]):
        return "", blocks
    level = blocks[first].level
    others = [blocks[index].level for index in headings[1:]]
    if source.one_heading_level or all(other > level for other in others):
        return blocks[first].text, blocks[:first] + blocks[first + 1 :]
    return "", blocks


def _course_notice(blocks: list[Block], left_out: list[LeftOut]) -> tuple[str, list[Block]]:
    """The first notice becomes the course's notice; the same notice again is debris."""
    notice, kept, before_first_section = "", [], True
    for block in blocks:
        if block.kind == "heading":
            before_first_section = False
        elif notice and block.tag == "p" and block.text == notice:
            left_out.append(
                LeftOut(block.text, gettext_lazy("repeats the course notice"), block.line)
            )
            continue
        elif not notice and _is_notice(block, before_first_section=before_first_section):
            notice = block.text
            continue
        kept.append(block)
    return notice, kept


# Sections, lessons and modules ------------------------------------------------


def _sections(blocks: list[Block], *, levels: list[int]) -> list[_Section]:
    """Cut the document at its headings of the first two ``levels``: the text before the
    first heading is the introduction; deeper headings stay inside their lesson."""
    sections = [_Section(INTRODUCTION, rank=0, blocks=[])]
    for block in blocks:
        if block.kind == "heading" and block.level in levels[:2]:
            rank = levels.index(block.level)
            sections.append(_Section(_title(block.text), rank, [], block.line))
        elif block.kind == "heading":
            depth = min(levels.index(block.level), 5)  # the third level is a '##' heading
            sections[-1].blocks.append(
                Block("text", f"{'#' * depth} {block.markdown}", block.text, line=block.line)
            )
        else:
            sections[-1].blocks.append(block)
    if not sections[0].blocks:
        sections.pop(0)
    return sections


def _lessons_of(section: _Section, slugs: "_Slugs", report: DraftReport) -> list[LessonSpec]:
    """The section as a lesson, or as several parts when it is longer than a lesson may be."""
    if not section.blocks:
        report.left_out.append(LeftOut(section.title, EMPTY_HEADING, section.line))
        return []
    parts: list[list[str]] = [[]]
    for block in section.blocks:
        body = "\n\n".join([*parts[-1], block.markdown])
        if parts[-1] and len(body) > MAX_LESSON_CHARS:
            parts.append([])
        parts[-1].append(block.markdown)
    if len(parts) > 1:
        report.warnings.append(
            f"“{section.title}” is longer than the {MAX_LESSON_CHARS:,} characters a lesson "
            f"holds: it is split into {len(parts)} lessons."
        )
    lessons = []
    for number, part in enumerate(parts, start=1):
        title = section.title if number == 1 else _title(f"{section.title} (part {number})")
        lessons.append(LessonSpec(slug=slugs.new(title), title=title, body="\n\n".join(part)))
    return lessons


def _modules_by_heading(
    sections: list[_Section], slugs: "_Slugs", report: DraftReport
) -> list[tuple[str, list[LessonSpec]]]:
    """A module for each heading of the first level (and for the introduction), a lesson for
    each of the second; a first-level section's own text is its module's overview lesson."""
    modules: list[tuple[str, list[LessonSpec]]] = []
    for section in sections:
        if section.rank == 0 or not modules:
            modules.append((section.title, []))
            if section.rank == 0 and not section.blocks:
                continue  # a module heading with lessons under it and no text of its own
        modules[-1][1].extend(_lessons_of(section, slugs, report))
    for module_title, lessons in modules:
        if not lessons:
            report.left_out.append(LeftOut(module_title, EMPTY_HEADING))
    return [(module_title, lessons) for module_title, lessons in modules if lessons]


def _balanced_modules(
    sections: list[_Section], slugs: "_Slugs", report: DraftReport
) -> list[tuple[str, list[LessonSpec]]]:
    """One lesson per section, in modules of about LESSONS_PER_MODULE lessons of even length,
    each named after its first lesson."""
    lessons = [lesson for section in sections for lesson in _lessons_of(section, slugs, report)]
    if not lessons:
        return []
    count = max(1, round(len(lessons) / LESSONS_PER_MODULE))
    sizes = balanced_groups([len(lesson.body) for lesson in lessons], count)
    modules, start = [], 0
    for size in sizes:
        group = lessons[start : start + size]
        modules.append((group[0].title, group))
        start += size
    return modules


def balanced_groups(lengths: list[int], count: int) -> list[int]:
    """How many items each of ``count`` consecutive groups takes so that the groups' total
    lengths are as even as can be (least sum of squares), each group holding within one of
    an even share of the items."""
    n = len(lengths)
    count = min(count, n)
    smallest, largest = max(1, n // count - 1), -(-n // count) + 1
    totals = [0]
    for length in lengths:
        totals.append(totals[-1] + length)
    infinity = float("inf")
    # best[g][i]: the least cost of putting the first i items into g groups, and the last size.
    best = [[(infinity, 0)] * (n + 1) for _ in range(count + 1)]
    best[0][0] = (0, 0)
    for groups in range(1, count + 1):
        for end in range(1, n + 1):
            for size in range(smallest, min(largest, end) + 1):
                before = best[groups - 1][end - size][0]
                cost = before + (totals[end] - totals[end - size]) ** 2
                if cost < best[groups][end][0]:
                    best[groups][end] = (cost, size)
    sizes, end = [], n
    for groups in range(count, 0, -1):
        size = best[groups][end][1]
        sizes.append(size)
        end -= size
    return sizes[::-1]


# Titles and slugs -----------------------------------------------------------


def _title(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TITLE_CHARS else text[: MAX_TITLE_CHARS - 1] + "…"


def _title_from_file_name(name: str) -> str:
    stem = re.sub(r"[-_]+", " ", name.rsplit("/", 1)[-1].rsplit(".", 1)[0]).strip()
    return stem[:1].upper() + stem[1:] if stem else "Untitled course"


class _Slugs(set):
    """The slugs given so far; ``new`` gives the next title one of its own."""

    def new(self, title: str, fallback: str = "lesson") -> str:
        return _slug(title, self, fallback=fallback)


def _slug(title: str, taken: set, *, fallback: str) -> str:
    """A slug for ``title`` no other in ``taken`` has: at most MAX_SLUG_CHARS, cut between words."""
    slug = slugify(title) or fallback
    if len(slug) > MAX_SLUG_CHARS:
        slug = slug[:MAX_SLUG_CHARS].rsplit("-", 1)[0]
    unique, number = slug, 1
    while unique in taken:
        number += 1
        unique = f"{slug}-{number}"
    taken.add(unique)
    return unique

"""The course-as-code folder: read it into specs, write specs back out.

This module knows the layout (see docs/course-format.md) and nothing of the
database. Quiz settings and GIFT texts are carried as they are for the
assessments app, which owns their meaning. ``write_course_folder`` writes the
canonical form: a folder it wrote reads back into equal specs and writes
again byte for byte.
"""

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from markdown_it import MarkdownIt

from lessons.figures import (
    FIGURE_FORMATS,
    FIGURE_NAME,
    MAX_FIGURE_BYTES,
    MEDIA_DIR,
    FigureError,
    figure_clean,
    figure_references,
    no_alt_text,
)
from lessons.markdown import validate_lesson_body
from lessons.validators import LANGUAGE_TAG

COURSE_FILE = "course.yaml"
MODULES_DIR = "modules"
QUIZZES_DIR = "quizzes"
FINAL_EXAM_NAME = "final-exam"

# Far more than any real course file needs, small enough that reading and rendering
# a file cannot tie up a worker or its memory.
MAX_TEXT_BYTES = 2 * 1024 * 1024

COURSE_KEYS = (
    "slug",
    "title",
    "summary",
    "notice",
    "language",
    "sequential",
    "previews",
    "status",
    "modules",
    "final_exam",
)
MODULE_KEYS = ("title", "status", "objectives", "quiz")
STATUSES = ("draft", "published", "archived")
# Which lessons visitors may read (``Course.previews``): the first, as when not said, and
# those marked ``.preview``; or only those marked.
PREVIEWS = ("first", "marked")

# A lesson heading's markers, in the order the export writes them.
LESSON_MARKERS = (".draft", ".preview")
_LESSON_HEADING = re.compile(
    r"^#[ \t]+(?P<title>.*?)(?:[ \t]+\{#(?P<slug>[^\s}]+)(?P<classes>(?:[ \t]+\.[\w-]+)*)\})?[ \t]*$"
)
# Only the block structure is needed to find lesson headings; skipping inline
# parsing makes reading a large module file forty times faster.
_blocks = MarkdownIt("commonmark").disable("inline")


class CourseFormatError(ValueError):
    """A problem in a course folder, located by file and line."""

    def __init__(self, message: str, *, path: Path | str, line: int | None = None):
        self.message = message
        self.path = Path(path)
        self.line = line
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")


def located(error: CourseFormatError, folder: Path | None = None) -> str:
    """The error as the user can find it: modules/intro.md, line 12: …"""
    where = error.path.as_posix()
    if folder is not None:
        try:
            where = error.path.relative_to(folder).as_posix()
        except ValueError:
            where = error.path.name
        if where == ".":
            where = "the zip"
    return (
        f"{where}, line {error.line}: {error.message}"
        if error.line
        else f"{where}: {error.message}"
    )


@dataclass
class LessonSpec:
    slug: str
    title: str
    body: str
    status: str = "published"
    is_preview: bool = False
    line: int = field(default=0, compare=False)
    body_line: int = field(default=0, compare=False)  # where the body starts in its file


@dataclass
class ModuleSpec:
    slug: str
    title: str
    objectives: list[str] = field(default_factory=list)
    status: str = "published"
    quiz: dict | None = None
    lessons: list[LessonSpec] = field(default_factory=list)
    path: Path | None = field(default=None, compare=False)
    quiz_lines: dict[str, int] = field(default_factory=dict, compare=False)


@dataclass
class QuizFile:
    name: str
    text: str
    path: Path | None = field(default=None, compare=False)


@dataclass
class FigureFile:
    name: str  # in media/
    data: bytes = field(repr=False)  # as stored: re-encoded (lessons/figures.py)
    # As the folder holds it: a figure already stored with these bytes is kept as it is.
    original: bytes = field(default=b"", repr=False, compare=False)


@dataclass
class CourseSpec:
    slug: str
    title: str
    summary: str = ""
    notice: str = ""
    language: str = "en"
    sequential: bool = False
    # Which lessons visitors may read: "first" (it, and those marked .preview) or "marked".
    previews: str = "first"
    status: str = "published"
    modules: list[ModuleSpec] = field(default_factory=list)
    final_exam: dict | None = None
    quiz_files: dict[str, QuizFile] = field(default_factory=dict)
    path: Path | None = field(default=None, compare=False)
    final_exam_lines: dict[str, int] = field(default_factory=dict, compare=False)
    figures: dict[str, FigureFile] = field(default_factory=dict)
    # Problems worth a look that do not stop the import (a figure without alt text).
    warnings: list[str] = field(default_factory=list, compare=False)


# Reading ------------------------------------------------------------------


def read_course_folder(folder: Path | str) -> CourseSpec:
    folder = Path(folder)
    if not folder.is_dir():
        raise CourseFormatError("not a folder", path=folder)
    course_path = folder / COURSE_FILE
    if not course_path.is_file():
        raise CourseFormatError(f"{COURSE_FILE} is missing", path=folder)
    text = _read_text(course_path)
    data = _load_yaml(text, path=course_path)
    _check_keys(data, COURSE_KEYS, text=text, path=course_path)
    for required in ("slug", "title"):
        if not data.get(required):
            raise CourseFormatError(f"'{required}' is required", path=course_path, line=1)
    module_slugs = data.get("modules") or []
    if not isinstance(module_slugs, list) or not all(isinstance(s, str) for s in module_slugs):
        raise CourseFormatError(
            "'modules' must be a list of module slugs",
            path=course_path,
            line=_key_line(text, "modules"),
        )
    spec = CourseSpec(
        slug=_str(data, "slug", text=text, path=course_path),
        title=_str(data, "title", text=text, path=course_path),
        summary=_str(data, "summary", text=text, path=course_path),
        notice=_str(data, "notice", text=text, path=course_path),
        language=_language(data, text=text, path=course_path),
        sequential=_bool(data, "sequential", text=text, path=course_path),
        previews=_one_of(
            data, "previews", PREVIEWS, default=PREVIEWS[0], text=text, path=course_path
        ),
        status=_status(data, text=text, path=course_path),
        final_exam=_settings(data, "final_exam", text=text, path=course_path),
        path=folder,
        final_exam_lines=setting_lines(text, "final_exam"),
    )
    seen: dict[str, Path] = {}
    for slug in module_slugs:
        if slugify(slug) != slug:
            # A module slug names a file: '../x' would read outside the folder.
            raise CourseFormatError(
                f"module slug '{slug}' may hold only lower-case letters, digits and hyphens",
                path=course_path,
                line=_key_line(text, "modules"),
            )
        if slug in seen:
            raise CourseFormatError(
                f"module '{slug}' is listed twice",
                path=course_path,
                line=_key_line(text, "modules"),
            )
        module_path = folder / MODULES_DIR / f"{slug}.md"
        if not module_path.is_file():
            raise CourseFormatError(
                f"module '{slug}' is listed but {MODULES_DIR}/{slug}.md does not exist",
                path=course_path,
                line=_key_line(text, "modules"),
            )
        seen[slug] = module_path
        spec.modules.append(read_module_file(module_path))
    for extra in sorted((folder / MODULES_DIR).glob("*.md")):
        if extra.stem not in seen:
            raise CourseFormatError(
                f"module file is not listed under 'modules' in {COURSE_FILE}", path=extra
            )
    _check_lesson_slugs_unique(spec)
    spec.quiz_files = _read_quiz_files(folder, spec)
    spec.figures, spec.warnings = _read_figures(folder, spec)
    return spec


def read_module_file(path: Path) -> ModuleSpec:
    text = _read_text(path)
    lines = text.split("\n")
    if not lines or lines[0] != "---":
        raise CourseFormatError(
            "a module file starts with '---' and YAML front matter", path=path, line=1
        )
    try:
        end = lines.index("---", 1)
    except ValueError:
        raise CourseFormatError("front matter is not closed by '---'", path=path, line=1) from None
    front = _load_yaml("\n".join(lines[1:end]), path=path, line_offset=1)
    # Looked up by key to locate errors; starts at the opening '---' so line numbers match.
    front_text = "\n".join(lines[:end])
    _check_keys(front, MODULE_KEYS, text=front_text, path=path)
    objectives = front.get("objectives") or []
    if not isinstance(objectives, list) or not all(isinstance(o, str) for o in objectives):
        raise CourseFormatError(
            "'objectives' must be a list of sentences",
            path=path,
            line=_key_line(front_text, "objectives"),
        )
    if not front.get("title"):
        raise CourseFormatError("'title' is required in the front matter", path=path, line=1)
    module = ModuleSpec(
        slug=path.stem,
        title=_str(front, "title", text=front_text, path=path),
        objectives=objectives,
        status=_status(front, text=front_text, path=path),
        quiz=_settings(front, "quiz", text=front_text, path=path),
        path=path,
        quiz_lines=setting_lines(front_text, "quiz"),
    )
    module.lessons = _read_lessons(lines, start=end + 1, path=path)
    return module


def _read_lessons(lines: list[str], *, start: int, path: Path) -> list[LessonSpec]:
    body_lines = lines[start:]
    # Ask a Markdown parser where the level-one headings are, so a '#' inside a
    # code block is not mistaken for a lesson.
    tokens = _blocks.parse("\n".join(body_lines))
    headings = [t.map[0] for t in tokens if t.type == "heading_open" and t.tag == "h1"]
    first_text = next((i for i, line in enumerate(body_lines) if line.strip()), None)
    if first_text is not None and (not headings or first_text < headings[0]):
        raise CourseFormatError(
            "text before the first lesson heading ('# Lesson title {#slug}')",
            path=path,
            line=start + first_text + 1,
        )
    lessons = []
    for index, heading in enumerate(headings):
        line_number = start + heading + 1
        match = _LESSON_HEADING.match(body_lines[heading])
        if not match or not match["title"]:
            raise CourseFormatError(
                "a lesson heading is written '# Lesson title {#slug}'", path=path, line=line_number
            )
        end = headings[index + 1] if index + 1 < len(headings) else len(body_lines)
        classes = set(match["classes"].split()) if match["classes"] else set()
        unknown = classes - set(LESSON_MARKERS)
        if unknown:
            raise CourseFormatError(
                f"unknown lesson marker {sorted(unknown)[0]} (known: {', '.join(LESSON_MARKERS)})",
                path=path,
                line=line_number,
            )
        raw_body = "\n".join(body_lines[heading + 1 : end])
        body = raw_body.strip("\n")
        body_line = line_number + 1 + len(raw_body) - len(raw_body.lstrip("\n"))
        try:
            validate_lesson_body(body)
        except ValidationError as error:
            raise CourseFormatError(error.message, path=path, line=line_number) from None
        slug = match["slug"] or slugify(match["title"])
        if slugify(slug) != slug:
            raise CourseFormatError(
                f"lesson slug '{slug}' may hold only lower-case letters, digits and hyphens",
                path=path,
                line=line_number,
            )
        lessons.append(
            LessonSpec(
                slug=slug,
                title=match["title"],
                body=body,
                status="draft" if ".draft" in classes else "published",
                is_preview=".preview" in classes,
                line=line_number,
                body_line=body_line,
            )
        )
    return lessons


def _read_quiz_files(folder: Path, spec: CourseSpec) -> dict[str, QuizFile]:
    expected = {m.slug: m.path for m in spec.modules if m.quiz is not None}
    if spec.final_exam is not None:
        expected[FINAL_EXAM_NAME] = folder / COURSE_FILE
    files = {}
    for path in sorted((folder / QUIZZES_DIR).glob("*.gift")):
        if path.stem not in expected:
            raise CourseFormatError(
                "quiz file has no settings: add 'quiz:' to the module's front matter "
                f"(or 'final_exam:' to {COURSE_FILE} for {FINAL_EXAM_NAME}.gift)",
                path=path,
            )
        files[path.stem] = QuizFile(name=path.stem, text=_read_text(path), path=path)
    for name, settings_path in expected.items():
        if name not in files:
            raise CourseFormatError(
                f"quiz settings given but {QUIZZES_DIR}/{name}.gift does not exist",
                path=settings_path,
            )
    return files


def _read_figures(folder: Path, spec: CourseSpec) -> tuple[dict[str, FigureFile], list[str]]:
    """The figures the lessons name, each checked and re-encoded, and the warnings: figures
    without alt text, files in media/ no lesson names. A missing or unusable file is a
    CourseFormatError at the first line naming it."""
    figures: dict[str, FigureFile] = {}
    warnings = []
    for module in spec.modules:
        for lesson in module.lessons:
            for reference in figure_references(lesson.body):
                where = {"path": module.path, "line": lesson.body_line + reference.line - 1}
                if not reference.alt:
                    warnings.append(
                        f"{MODULES_DIR}/{module.path.name}, line {where['line']}: "
                        + no_alt_text(reference.name)
                    )
                if reference.name not in figures:
                    figures[reference.name] = _read_figure(folder, reference.name, where)
    media = folder / MEDIA_DIR
    for unused in sorted(media.iterdir() if media.is_dir() else ()):
        if unused.name not in figures:
            warnings.append(f"{MEDIA_DIR}/{unused.name}: no lesson shows it, so it is left out")
    return figures, warnings


def _read_figure(folder: Path, name: str, where: dict) -> FigureFile:
    shown = f"{MEDIA_DIR}/{name}"
    if not FIGURE_NAME.fullmatch(name):
        kinds = ", ".join(FIGURE_FORMATS.values())
        raise CourseFormatError(
            f"{shown}: a figure is a file in {MEDIA_DIR}/ (no subfolder) named with letters, "
            f"digits, '.', '-' or '_' and ending .png, .jpg, .jpeg, .gif or .webp ({kinds})",
            **where,
        )
    path = folder / MEDIA_DIR / name
    if not path.is_file():
        raise CourseFormatError(f"{shown} does not exist", **where)
    if path.stat().st_size > MAX_FIGURE_BYTES:  # before reading it into memory
        raise CourseFormatError(f"{shown}: larger than {MAX_FIGURE_BYTES // 2**20} MB", **where)
    original = path.read_bytes()
    try:
        data = figure_clean(original)
    except FigureError as error:
        raise CourseFormatError(f"{shown}: {error}", **where) from None
    return FigureFile(name=name, data=data, original=original)


def _check_lesson_slugs_unique(spec: CourseSpec) -> None:
    seen: dict[str, ModuleSpec] = {}
    for module in spec.modules:
        for lesson in module.lessons:
            if lesson.slug in seen:
                raise CourseFormatError(
                    f"lesson slug '{lesson.slug}' is already used in {seen[lesson.slug].path.name}",
                    path=module.path,
                    line=lesson.line,
                )
            seen[lesson.slug] = module


def _read_text(path: Path) -> str:
    refuse_too_big(path.stat().st_size, path=path)  # before reading it into memory
    return decode_text(path.read_bytes(), path=path)


def refuse_too_big(size: int, *, path: Path | str, max_bytes: int = MAX_TEXT_BYTES) -> None:
    if size > max_bytes:
        raise CourseFormatError(f"larger than {max_bytes // 2**20} MB", path=path)


def decode_text(data: bytes, *, path: Path | str, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """Text of an uploaded or folder file: UTF-8 (a byte order mark is allowed), no NUL.

    Every text the course formats are read from comes through here, so a file
    is refused with its line before anything parses it. Windows line endings are read
    as line endings.
    """
    refuse_too_big(len(data), path=path, max_bytes=max_bytes)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise CourseFormatError(
            f"not UTF-8 text ({error.reason} at byte {error.start + 1})", path=path, line=line
        ) from None
    if "\0" in text:
        # PostgreSQL cannot store it, and no text needs it.
        raise CourseFormatError(
            "contains a NUL character", path=path, line=text.count("\n", 0, text.index("\0")) + 1
        )
    # A file saved on Windows reads as the same text: every format here is read by lines.
    return text.replace("\r\n", "\n")


def _load_yaml(text: str, *, path: Path, line_offset: int = 0) -> dict:
    try:
        _refuse_aliases(text, path=path, line_offset=line_offset)
        # libyaml limits nesting depth; the pure-Python parser would recurse until it crashes.
        data = yaml.load(text, Loader=_YAML_LOADER)  # a safe loader: plain data only
    except yaml.YAMLError as error:
        # Where the broken construct began (an unclosed bracket, say) is more
        # useful than where the parser gave up, often the end of the file.
        mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
        line = mark.line + 1 + line_offset if mark else None
        problem = getattr(error, "problem", None) or str(error)
        raise CourseFormatError(f"invalid YAML: {problem}", path=path, line=line) from None
    except (ValueError, RecursionError) as error:
        # An integer of thousands of digits (Python refuses to convert it), or nesting
        # deeper than Python's stack.
        raise CourseFormatError(f"invalid YAML: {error}", path=path) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CourseFormatError(
            "expected YAML mapping of settings", path=path, line=1 + line_offset
        )
    _refuse_unstorable(data, path=path)
    return data


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _refuse_aliases(text: str, *, path: Path, line_offset: int) -> None:
    """Refuse YAML anchors and aliases (``&a`` / ``*a``): no course file needs them, and
    nested aliases ("billion laughs") make a few lines stand for billions of values."""
    for event in yaml.parse(text, Loader=_YAML_LOADER):
        if isinstance(event, yaml.AliasEvent):
            raise CourseFormatError(
                "YAML aliases (*name) are not allowed: write the value out",
                path=path,
                line=event.start_mark.line + 1 + line_offset,
            )


def _refuse_unstorable(data, *, path: Path) -> None:
    """Refuse values no database column holds: NUL characters ("\\0" in a quoted
    string) and infinite numbers (".inf", "1e999")."""
    pending = [data]
    while pending:  # a loop, not recursion: nesting may be deeper than Python's stack
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str) and "\0" in value:
            raise CourseFormatError("a value contains a NUL character", path=path)
        elif isinstance(value, float) and not math.isfinite(value):
            raise CourseFormatError(f"{value} is not a usable number", path=path)


def setting_lines(text: str, key: str, *, line_offset: int = 0) -> dict[str, int]:
    """The line of each setting nested under ``key`` of a YAML mapping (quiz settings), and
    of ``key`` itself under "": where to point at a value the database refuses. The text
    has been loaded already, so it parses."""
    root = yaml.compose(text, Loader=_YAML_LOADER)
    for name, value in root.value if isinstance(root, yaml.MappingNode) else ():
        if name.value == key:
            lines = {"": name.start_mark.line + 1 + line_offset}
            if isinstance(value, yaml.MappingNode):
                for setting, _ in value.value:
                    lines[str(setting.value)] = setting.start_mark.line + 1 + line_offset
            return lines
    return {}


def _key_line(text: str, key: str) -> int | None:
    match = re.search(rf"^\s*{re.escape(key)}\s*:", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _check_keys(data: dict, allowed, *, text: str, path: Path) -> None:
    for key in data:
        if key not in allowed:
            raise CourseFormatError(
                f"unknown setting '{key}' (expected one of: {', '.join(allowed)})",
                path=path,
                line=_key_line(text, str(key)),
            )


def _str(data: dict, key: str, *, text: str, path: Path) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CourseFormatError(f"'{key}' must be text", path=path, line=_key_line(text, key))
    return value


def _language(data: dict, *, text: str, path: Path) -> str:
    value = data.get("language", "en")
    if not isinstance(value, str) or not LANGUAGE_TAG.fullmatch(value):
        raise CourseFormatError(
            "'language' must be a language tag, such as en, fr or pt-BR",
            path=path,
            line=_key_line(text, "language"),
        )
    return value


def _bool(data: dict, key: str, *, text: str, path: Path) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise CourseFormatError(
            f"'{key}' must be true or false", path=path, line=_key_line(text, key)
        )
    return value


def _status(data: dict, *, text: str, path: Path) -> str:
    return _one_of(data, "status", STATUSES, default="published", text=text, path=path)


def _one_of(
    data: dict, key: str, values: tuple[str, ...], *, default: str, text: str, path: Path
) -> str:
    """The setting ``key``, one of ``values`` (``default`` when it is not given)."""
    value = data.get(key, default)
    if value not in values:
        raise CourseFormatError(
            f"'{key}' must be one of {', '.join(values)}", path=path, line=_key_line(text, key)
        )
    return value


def _settings(data: dict, key: str, *, text: str, path: Path) -> dict | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise CourseFormatError(
            f"'{key}' must be a mapping of settings", path=path, line=_key_line(text, key)
        )
    return value


# Writing ------------------------------------------------------------------


def _dump_yaml(data: dict) -> str:
    return yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10_000
    )


def course_yaml(spec: CourseSpec) -> str:
    data = {"slug": spec.slug, "title": spec.title}
    if spec.summary:
        data["summary"] = spec.summary
    if spec.notice:
        data["notice"] = spec.notice
    if spec.language != "en":
        data["language"] = spec.language
    data["sequential"] = spec.sequential
    if spec.previews != PREVIEWS[0]:  # the default is not written, as folders leave it out
        data["previews"] = spec.previews
    data["status"] = spec.status
    data["modules"] = [module.slug for module in spec.modules]
    if spec.final_exam is not None:
        data["final_exam"] = spec.final_exam
    return _dump_yaml(data)


def module_markdown(module: ModuleSpec) -> str:
    front = {"title": module.title}
    if module.status != "published":
        front["status"] = module.status
    if module.objectives:
        front["objectives"] = module.objectives
    if module.quiz is not None:
        front["quiz"] = module.quiz
    parts = ["---\n", _dump_yaml(front), "---\n"]
    for lesson in module.lessons:
        markers = {".draft": lesson.status == "draft", ".preview": lesson.is_preview}
        marker = "".join(f" {name}" for name in LESSON_MARKERS if markers[name])
        parts.append(f"\n# {lesson.title} {{#{lesson.slug}{marker}}}\n")
        if lesson.body:
            parts.append(f"\n{lesson.body}\n")
    return "".join(parts)


def course_folder_files(spec: CourseSpec, folder: Path | str) -> dict[Path, str | bytes]:
    """The folder's files in the canonical layout (docs/course-format.md): path → text, or
    the bytes of a figure."""
    folder = Path(folder)
    files: dict[Path, str | bytes] = {folder / COURSE_FILE: course_yaml(spec)}
    for module in spec.modules:
        files[folder / MODULES_DIR / f"{module.slug}.md"] = module_markdown(module)
    for quiz_file in spec.quiz_files.values():
        files[folder / QUIZZES_DIR / f"{quiz_file.name}.gift"] = quiz_file.text
    for figure in spec.figures.values():
        files[folder / MEDIA_DIR / figure.name] = figure.data
    return files


def file_bytes(content: str | bytes) -> bytes:
    """A file of the folder as written: text in UTF-8, a figure as it is."""
    return content if isinstance(content, bytes) else content.encode("utf-8")


def write_course_folder(spec: CourseSpec, folder: Path | str) -> list[Path]:
    """Write the folder; files of modules or quizzes no longer in the course are removed."""
    folder = Path(folder)
    files = course_folder_files(spec, folder)
    for subfolder, pattern in ((MODULES_DIR, "*.md"), (QUIZZES_DIR, "*.gift"), (MEDIA_DIR, "*")):
        for stale in (folder / subfolder).glob(pattern):
            if stale not in files and stale.is_file():
                stale.unlink()
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(file_bytes(content))
    return list(files)

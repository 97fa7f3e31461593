"""What the question file commands share: the quiz an import fills (import_gift,
import_moodle_xml) and how an export is written (export_gift, export_moodle_xml)."""

from collections import Counter
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from assessments.kinds import kind_for
from assessments.models import Quiz
from lessons.course_folder import FINAL_EXAM_NAME, CourseFormatError
from lessons.models import Course, Status


def missing(what: str, slug: str):
    raise CommandError(f"No {what} with the slug '{slug}'.")


def quiz_to_import_into(course: Course, module_slug: str | None) -> tuple[Quiz, bool]:
    """The module's quiz or the final exam, created as a draft so learners meet it only
    once published (settings such as the pass mark are the model's defaults)."""
    if module_slug is None:
        quiz = course.quizzes.filter(kind=Quiz.Kind.FINAL).first()
        values = {"kind": Quiz.Kind.FINAL, "slug": FINAL_EXAM_NAME, "title": "Final exam"}
    else:
        module = course.modules.filter(slug=module_slug).first() or missing("module", module_slug)
        quiz = Quiz.objects.filter(module=module).first()
        values = {
            "kind": Quiz.Kind.MODULE,
            "module": module,
            "slug": module.slug,
            "title": f"{module.title} quiz",
        }
    if quiz is not None:
        return quiz, False
    quiz = Quiz(course=course, status=Status.DRAFT, **values)
    try:
        quiz.full_clean()
    except ValidationError as error:
        raise CommandError(f"Cannot create the quiz: {'; '.join(error.messages)}") from None
    quiz.save()
    return quiz, True


def kinds_summary(quiz: Quiz) -> str:
    """The quiz's questions counted by kind: 12 questions: 8 single choice, 4 true/false."""
    counts = Counter(quiz.questions.values_list("kind", flat=True))
    total = sum(counts.values())
    detail = ", ".join(f"{n} {kind_for(kind).label.lower()}" for kind, n in counts.most_common())
    return f"{total} question{'' if total == 1 else 's'}" + (f": {detail}" if detail else "")


class QuizImportCommand(BaseCommand):
    """Create or update a module's quiz (or the final exam) from a question file; a file
    with an error writes nothing. A subclass says how its format is read (``import_into``)."""

    file_help = ""

    def add_arguments(self, parser):
        parser.add_argument("file", help=self.file_help)
        parser.add_argument("--course", required=True, help="The course's slug")
        parser.add_argument("--module", help="The module's slug; without it, the final exam")

    def import_into(self, quiz: Quiz, data: bytes, *, source: str):
        """Make the quiz's questions those of the file; the SyncReport, or CourseFormatError."""
        raise NotImplementedError

    def handle(self, *args, file, course, module, **options):
        course = Course.objects.filter(slug=course).first() or missing("course", course)
        try:
            data = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: cannot read it ({error})") from None
        try:
            with transaction.atomic():
                quiz, created = quiz_to_import_into(course, module)
                report = self.import_into(quiz, data, source=file)
        except CourseFormatError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{'Created' if created else 'Updated'} “{quiz.title}” ({quiz.status}) "
                f"in {course.slug}: {kinds_summary(quiz)}; {report}"
            )
        )
        if created:
            self.stdout.write("The new quiz is a draft: publish it when it is ready.")


def write_export(command: BaseCommand, text: str, file: str, *, count: int) -> None:
    """Write an exported file ('-' for the command's output) and say how many questions."""
    if file == "-":
        command.stdout.write(text, ending="")
        return
    Path(file).write_text(text, encoding="utf-8", newline="\n")
    command.stdout.write(
        command.style.SUCCESS(f"Wrote {count} question{'' if count == 1 else 's'} to {file}")
    )

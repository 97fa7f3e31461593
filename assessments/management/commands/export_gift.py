from django.core.management.base import BaseCommand, CommandError

from assessments.course_io import quiz_gift
from assessments.management.quiz_target import write_export
from assessments.models import Quiz


class Command(BaseCommand):
    help = (
        "Write a module's quiz (or the course's final exam, without --module) as a GIFT "
        "file that import_gift, import_course and Moodle read back."
    )

    def add_arguments(self, parser):
        parser.add_argument("course", help="The course's slug")
        parser.add_argument("file", help="Where to write the GIFT file ('-' for the output)")
        parser.add_argument("--module", help="The module's slug; without it, the final exam")

    def handle(self, *args, course, file, module, **options):
        quizzes = Quiz.objects.filter(course__slug=course)
        quiz = (
            quizzes.filter(module__slug=module) if module else quizzes.filter(kind="final")
        ).first()
        if quiz is None:
            what = f"module '{module}'" if module else "final exam"
            raise CommandError(f"No quiz for the {what} of the course '{course}'.")
        try:
            text = quiz_gift(quiz)
        except ValueError as error:
            raise CommandError(str(error)) from None
        write_export(self, text, file, count=quiz.questions.count())

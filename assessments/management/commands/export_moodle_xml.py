from django.core.management.base import BaseCommand, CommandError

from assessments.course_io import course_moodle_xml
from assessments.management.quiz_target import write_export
from lessons.models import Course


class Command(BaseCommand):
    help = (
        "Write a course's question bank as a Moodle XML file that Moodle's question bank "
        "imports: each quiz a category, every question with its formats, tags and ID number."
    )

    def add_arguments(self, parser):
        parser.add_argument("course", help="The course's slug")
        parser.add_argument("file", help="Where to write the XML file ('-' for the output)")
        parser.add_argument(
            "--quiz", help="Only this quiz: a module's slug, or final-exam for the final exam"
        )

    def handle(self, *args, course, file, quiz, **options):
        found = Course.objects.filter(slug=course).first()
        if found is None:
            raise CommandError(f"No course with the slug '{course}'.")
        quizzes = found.quizzes.filter(slug=quiz) if quiz else None
        if quizzes is not None and not quizzes.exists():
            raise CommandError(f"No quiz '{quiz}' in the course '{course}'.")
        try:
            text = course_moodle_xml(found, quizzes=quizzes)
        except ValueError as error:
            raise CommandError(str(error)) from None
        count = text.count("<question type=") - text.count('<question type="category"')
        write_export(self, text, file, count=count)

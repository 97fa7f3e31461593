from assessments.course_io import quiz_questions_import
from assessments.management.quiz_target import QuizImportCommand
from lessons.course_folder import decode_text


class Command(QuizImportCommand):
    help = (
        "Create or update a module's quiz (or the course's final exam, without --module) "
        "from a GIFT file. Questions are matched by title, so learners' statistics stay "
        "with them; a file with an error writes nothing."
    )
    file_help = "The GIFT file, e.g. quizzes/foundations.gift"

    def import_into(self, quiz, data, *, source):
        return quiz_questions_import(quiz, decode_text(data, path=source), source=source)

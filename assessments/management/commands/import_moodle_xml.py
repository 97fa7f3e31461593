from assessments.course_io import quiz_questions_import_moodle_xml
from assessments.management.quiz_target import QuizImportCommand


class Command(QuizImportCommand):
    help = (
        "Create or update a module's quiz (or the course's final exam, without --module) "
        "from a Moodle XML question file. Questions are matched by name, so learners' "
        "statistics stay with them; a file with an error writes nothing."
    )
    file_help = "The Moodle XML file, as Moodle's question bank exports it"

    def import_into(self, quiz, data, *, source):
        return quiz_questions_import_moodle_xml(quiz, data, source=source)

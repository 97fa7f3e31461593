"""The instructor area, under /teach/."""

from django.urls import path

from assessments.urls import question_regrade_patterns
from progress.views import teach

urlpatterns = [
    path("", teach.index, name="teach_index"),
    path("<slug:course_slug>/", teach.course_overview, name="teach_course"),
    path(
        "<slug:course_slug>/learners/<int:learner_id>/",
        teach.learner_detail,
        name="teach_learner",
    ),
    path("<slug:course_slug>/stuck/", teach.stuck, name="teach_stuck"),
    path(
        "<slug:course_slug>/stuck/<slug:quiz_slug>/<int:learner_id>/grant/",
        teach.attempt_grant,
        name="teach_attempt_grant",
    ),
    path("<slug:course_slug>/grading/", teach.grading, name="teach_grading"),
    path(
        "<slug:course_slug>/grading/<int:response_id>/",
        teach.response_grade,
        name="teach_response_grade",
    ),
    # Named by assessments: a question's admin page links to it.
    *question_regrade_patterns(regrade_view=teach.question_regrade),
    path("<slug:course_slug>/gradebook/", teach.gradebook, name="teach_gradebook"),
    path("<slug:course_slug>/gradebook.csv", teach.gradebook_csv, name="teach_gradebook_csv"),
    path("<slug:course_slug>/gradebook.xlsx", teach.gradebook_xlsx, name="teach_gradebook_xlsx"),
    path(
        "<slug:course_slug>/quizzes/<slug:quiz_slug>/stats/",
        teach.quiz_stats,
        name="teach_quiz_stats",
    ),
    path(
        "<slug:course_slug>/quizzes/<slug:quiz_slug>/stats.csv",
        teach.quiz_stats_csv,
        name="teach_quiz_stats_csv",
    ),
]

from django.urls import path

from assessments.urls import quiz_page_patterns
from lessons.urls import course_page_patterns
from progress.views import certificates, dashboard, quizzes, reading

urlpatterns = [
    path("", reading.catalogue, name="catalogue"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    # The course, lesson and quiz pages are named by the apps whose objects link to them.
    *course_page_patterns(course_view=reading.course_detail, lesson_view=reading.lesson_detail),
    *quiz_page_patterns(quiz_view=quizzes.quiz_detail),
    path("courses/<slug:slug>/enrol/", reading.course_enrol, name="course_enrol"),
    path(
        "courses/<slug:course_slug>/lessons/<slug:slug>/complete/",
        reading.lesson_complete,
        name="lesson_complete",
    ),
    path(
        "courses/<slug:course_slug>/quizzes/<slug:slug>/start/",
        quizzes.quiz_start,
        name="quiz_start",
    ),
    path("attempts/<int:pk>/", quizzes.attempt_detail, name="attempt_detail"),
    path("attempts/<int:pk>/answers/<int:slot>/", quizzes.response_save, name="response_save"),
    path("attempts/<int:pk>/submit/", quizzes.attempt_submit, name="attempt_submit"),
    path("attempts/<int:pk>/result/", quizzes.attempt_result, name="attempt_result"),
    path(
        "courses/<slug:slug>/certificate/", certificates.certificate_mine, name="certificate_mine"
    ),
    path("certificates/<str:code>/", certificates.certificate_verify, name="certificate_verify"),
    path("certificates/<str:code>/pdf/", certificates.certificate_pdf, name="certificate_pdf"),
]

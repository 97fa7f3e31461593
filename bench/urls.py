from django.urls import include, path

from bench import views

urlpatterns = [
    path("bench/baseline/<int:pk>/", views.baseline, name="bench_baseline"),
    path("", include("courseware.urls")),
]

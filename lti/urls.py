from django.urls import path

from lti import views

urlpatterns = [
    path("jwks/", views.jwks, name="lti_jwks"),
    path("login/", views.oidc_login, name="lti_login"),
    path("launch/", views.launch, name="lti_launch"),
    path("launch/<str:ticket>/", views.launch_continue, name="lti_continue"),
    path("deep-link/", views.deep_link, name="lti_deep_link"),
]

teach_urlpatterns = [
    path("<slug:course_slug>/roster/", views.roster, name="teach_roster"),
]

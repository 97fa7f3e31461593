from django.contrib import admin
from django.urls import include, path

from courseware import accounts, health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("teach/", include("progress.urls_teach")),
    path("", include("progress.urls")),
]

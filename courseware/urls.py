from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from courseware import accounts, health, media
from courseware.admin import view_on_site
from lti.urls import teach_urlpatterns as lti_teach_urlpatterns
from xapi.views import my_data

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Before the admin's own, which follows any object's public address for any staff user.
    path(
        "admin/r/<path:content_type_id>/<path:object_id>/",
        admin.site.admin_view(view_on_site),
        name="view_on_site",
    ),
    path("admin/", admin.site.urls),
    # The language switcher posts to set_language, which keeps the choice in a cookie.
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("teach/", include("progress.urls_teach")),
    path("teach/", include(lti_teach_urlpatterns)),
    path("lti/", include("lti.urls")),
    # The learner's records (progress) and the statements sent about them (xapi).
    path("dashboard/my-data.json", my_data, name="my_data"),
    path("", include("progress.urls")),
]

if settings.SERVE_MEDIA:
    # Lesson figures, checked and re-encoded on import (lessons/figures.py). In production
    # the web server in front can serve MEDIA_ROOT instead (docs/deploy.md).
    urlpatterns.append(
        re_path(
            rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$",
            media.media,
            name="media",
        )
    )

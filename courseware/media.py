"""Serving MEDIA_ROOT (lesson figures) from the app, when no web server in front does."""

from django.conf import settings
from django.views.static import serve


def media(request, path: str):
    # MEDIA_ROOT read on each request, not when the URLconf loads: a setting of the
    # deployment, and of each test.
    return serve(request, path, document_root=settings.MEDIA_ROOT)

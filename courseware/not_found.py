"""The app's own "Page not found" page with DEBUG on, as it is with DEBUG off.

With DEBUG on (the README's default, for a local setup) Django answers every 404 with its
technical page, listing the site's URL patterns, and never calls ``handler404``
(``django.core.handlers.exception.response_for_exception``). People trying the app
locally should see what learners see. This middleware answers the two ways a 404 arises
with Django's own production view, ``page_not_found`` and ``templates/404.html``:

- an address no URL pattern matches, found in ``process_request`` (Django resolves the
  address outside any middleware hook, so it is resolved here first);
- ``Http404`` raised by a view (``get_object_or_404``), in ``process_exception``.

A view that returns its own 404 page (an unknown certificate code) keeps it. With DEBUG
off it does nothing: Django's ``handler404`` already renders the same page.
"""

from django.conf import settings
from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils.deprecation import MiddlewareMixin
from django.views.defaults import page_not_found


class NotFoundPageMiddleware(MiddlewareMixin):
    def process_request(self, request):
        if not settings.DEBUG:
            return None
        try:
            resolve(request.path_info, urlconf=getattr(request, "urlconf", None))
        except Resolver404 as exception:
            return page_not_found(request, exception)
        return None

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None

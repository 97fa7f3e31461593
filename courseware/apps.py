import gettext

from django.apps import AppConfig
from django.conf import settings
from django.core.cache import caches
from django.utils.autoreload import file_changed
from django.utils.translation import trans_real


def local_fragments_forget(sender, file_path, **kwargs) -> None:
    """The development server reloads an edited template or catalogue in the same process:
    the parts of pages kept in its memory (the ``local`` cache) would show the old text."""
    caches["local"].clear()


def empty_fallbacks_drop() -> None:
    """Take the catalogues that hold nothing but their header out of each language's chain.

    Python's gettext pairs every ``en_GB`` catalogue it finds (Django's, and each contrib
    app's) with an ``en`` one that translates nothing, and Django chains those behind the
    merged British catalogue: every English message of ours, which is not in it, walked
    seven catalogues before coming back unchanged, on every ``gettext`` and every
    ``{% translate %}`` of every page. An empty catalogue can only pass a message on, so
    dropping it changes no translation."""
    for code, _name in settings.LANGUAGES:
        node = trans_real.translation(code)
        while (fallback := node._fallback) is not None:
            if isinstance(fallback, gettext.GNUTranslations) and set(fallback._catalog.keys()) <= {
                ""
            }:
                node._fallback = fallback._fallback
            else:
                node = fallback


class CoursewareConfig(AppConfig):
    name = "courseware"

    def ready(self) -> None:
        file_changed.connect(local_fragments_forget)
        empty_fallbacks_drop()

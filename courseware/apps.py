from django.apps import AppConfig
from django.conf import settings
from django.core.cache import caches
from django.utils.autoreload import file_changed


def local_fragments_forget(sender, file_path, **kwargs) -> None:
    """The development server reloads an edited template or catalogue in the same process:
    the parts of pages kept in its memory (the ``local`` cache) would show the old text."""
    caches["local"].clear()


def empty_fallbacks_drop() -> None:
    """Each of Django's ``en_GB`` catalogues falls back to an empty ``en`` one, and every
    message a page asks for in English (most of them: the site is written in it) walked all
    six before coming back untranslated, some 5 µs a message. A catalogue holding nothing
    but its header translates nothing, in the singular or the plural, so leaving it out of
    the chain changes no text. Catalogues loaded again later (the development server, a
    test changing the languages) keep their chain: slower, never different."""
    from gettext import GNUTranslations

    from django.utils.translation import trans_real

    for code, _ in settings.LANGUAGES:
        link = trans_real.translation(code)
        while (after := getattr(link, "_fallback", None)) is not None:
            if type(after) is GNUTranslations and set(after._catalog) <= {""}:
                link._fallback = after._fallback
            else:
                link = after


class CoursewareConfig(AppConfig):
    name = "courseware"

    def ready(self) -> None:
        file_changed.connect(local_fragments_forget)
        if settings.USE_I18N:
            empty_fallbacks_drop()

from django.apps import AppConfig
from django.core.cache import caches
from django.utils.autoreload import file_changed


def local_fragments_forget(sender, file_path, **kwargs) -> None:
    """The development server reloads an edited template or catalogue in the same process:
    the parts of pages kept in its memory (the ``local`` cache) would show the old text."""
    caches["local"].clear()


class CoursewareConfig(AppConfig):
    name = "courseware"

    def ready(self) -> None:
        file_changed.connect(local_fragments_forget)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class ProgressConfig(AppConfig):
    name = "progress"
    verbose_name = gettext_lazy("Progress")

    def ready(self):
        from progress import cache  # noqa: F401  (connects the signals that move versions)

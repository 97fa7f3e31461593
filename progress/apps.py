from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "progress"

    def ready(self):
        from progress import cache  # noqa: F401  (connects the signals that move versions)

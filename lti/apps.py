from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LtiConfig(AppConfig):
    name = "lti"
    verbose_name = _("Learning platforms (LTI)")

    def ready(self):
        from lti import receivers  # noqa: F401  (connects to progress's results_changed)

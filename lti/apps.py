from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LtiConfig(AppConfig):
    name = "lti"
    verbose_name = _("Learning platforms (LTI)")

    def ready(self):
        from courseware.events import Event, event_listen
        from lti.services import event_scores_queue

        event_listen(event_scores_queue, events={Event.RESULTS_CHANGED})

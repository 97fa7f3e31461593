from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class XapiConfig(AppConfig):
    name = "xapi"
    verbose_name = _("Learning Record Store")

    def ready(self):
        from courseware.events import event_listen
        from xapi.outbox import STATEMENTS, event_record

        event_listen(event_record, events=STATEMENTS)

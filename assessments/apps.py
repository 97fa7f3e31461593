from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = gettext_lazy("Assessments")

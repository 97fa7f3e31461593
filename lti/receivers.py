"""Where progress's ``results_changed`` reaches the platforms' gradebooks."""

from django.dispatch import receiver

from lti.services import scores_queue
from progress.signals import results_changed


@receiver(results_changed, dispatch_uid="lti_scores_queue")
def _scores_queue(sender, *, learner, course, now, **kwargs):
    scores_queue(learner=learner, course=course, now=now)

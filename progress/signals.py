"""What other parts of the site may listen to, without progress knowing them.

``results_changed`` is sent, inside the transaction that changed it, whenever a learner's
score or completion in a course may have changed: a lesson read, an attempt handed in (by
the learner or by the expiry job), an instructor's grade or override, a regrade. Its
arguments are ``learner``, ``course`` and ``now``. Whatever a receiver writes commits or
rolls back with the change itself.
"""

from django.dispatch import Signal

results_changed = Signal()

"""Learning platforms (Moodle, Canvas…) that launch Courseware over LTI 1.3, and what their
launches leave: accounts linked to the platform's users, the platform's resource links, and
the scores waiting to go to its gradebook."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lessons.models import Course, Module


class ToolKey(models.Model):
    """The tool's own RSA key pair, made once (``lti.tool.tool_key``). The platforms check
    what the tool signs (service tokens, deep links) against its public half at
    ``/lti/jwks/``; the private half is shown nowhere, neither in the admin nor on a page."""

    private_key = models.TextField()
    public_key = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"tool key of {self.created_at:%Y-%m-%d}"


class Platform(models.Model):
    """A learning platform registered with Courseware: what it told about itself."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    issuer = models.CharField(
        _("issuer"),
        max_length=255,
        help_text=_("The platform's “iss”, e.g. https://moodle.example.org"),
    )
    client_id = models.CharField(_("client ID"), max_length=255)
    auth_login_url = models.URLField(_("authentication request URL"), max_length=1024)
    auth_token_url = models.URLField(_("access token URL"), max_length=1024)
    keyset_url = models.URLField(_("public keyset URL"), max_length=1024)
    auth_audience = models.CharField(
        _("token audience"),
        max_length=1024,
        blank=True,
        help_text=_("Only if the platform asks for one; the access token URL otherwise."),
    )
    # A launch says which course it opens and that the launcher teaches, and any teacher
    # of the platform can edit what it says: the site decides which courses they may teach.
    courses_taught = models.ManyToManyField(
        Course,
        blank=True,
        related_name="teaching_platforms",
        verbose_name=_("courses its instructors may teach"),
        help_text=_(
            "An instructor launching one of these courses from the platform teaches it on "
            "Courseware. Any other course opens only for those who already teach it here."
        ),
    )

    class Meta:
        verbose_name = _("learning platform")
        verbose_name_plural = _("learning platforms")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "client_id"], name="platform_unique_client")
        ]

    def __str__(self):
        return self.name or f"{self.issuer} ({self.client_id})"


class Deployment(models.Model):
    """A deployment of the tool on a platform; launches from any other are refused."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="deployments")
    deployment_id = models.CharField(_("deployment ID"), max_length=255)

    class Meta:
        verbose_name = _("deployment")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "deployment_id"], name="deployment_unique_on_platform"
            )
        ]

    def __str__(self):
        return self.deployment_id


class PlatformAccount(models.Model):
    """The Courseware account of a platform's user (``sub``), made on their first launch:
    never matched by e-mail, which a platform's user can often change themselves."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="accounts")
    sub = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="platform_accounts"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("platform account")
        constraints = [
            models.UniqueConstraint(fields=["platform", "sub"], name="platform_account_unique_sub")
        ]

    def __str__(self):
        return f"{self.platform}: {self.sub}"


class TeachingContext(models.Model):
    """A platform course (context) in which an account launched Courseware as a teacher: its
    roster is theirs to see (``lti.roster``), not the rosters of other classes of the platform
    that open the same Courseware course."""

    account = models.ForeignKey(
        PlatformAccount, on_delete=models.CASCADE, related_name="teaching_contexts"
    )
    context_id = models.CharField(max_length=255, blank=True)
    first_launched_at = models.DateTimeField(default=timezone.now)
    last_launched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("class taught")
        verbose_name_plural = _("classes taught")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "context_id"], name="teaching_context_unique"
            )
        ]

    def __str__(self):
        return f"{self.account}: {self.context_id}"


class ResourceLink(models.Model):
    """An activity in a platform's course that opens a Courseware course or module, with the
    services the platform offered for it: its gradebook column and its roster."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="links")
    resource_link_id = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    context_id = models.CharField(max_length=255, blank=True)
    context_title = models.CharField(max_length=255, blank=True)
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="platform_links")
    module = models.ForeignKey(
        Module, on_delete=models.PROTECT, null=True, blank=True, related_name="platform_links"
    )
    lineitem_url = models.URLField(max_length=1024, blank=True)
    ags_scopes = models.JSONField(default=list, blank=True)
    memberships_url = models.URLField(max_length=1024, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("resource link")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "resource_link_id"], name="resource_link_unique_on_platform"
            )
        ]

    def __str__(self):
        return self.title or self.resource_link_id


class GradedLearner(models.Model):
    """A learner who launched a resource link that has a gradebook column: their score for
    its course or module goes there."""

    link = models.ForeignKey(ResourceLink, on_delete=models.PROTECT, related_name="learners")
    account = models.ForeignKey(PlatformAccount, on_delete=models.PROTECT, related_name="links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link", "account"], name="graded_learner_unique")
        ]

    def __str__(self):
        return f"{self.account.user} · {self.link}"


class PendingScore(models.Model):
    """A score for a platform's gradebook, written with the change that made it and sent by
    ``send_lti_scores``. One waits per learner and link: a newer score replaces it (and is
    sent with its own timestamp, which the platform uses to keep the latest)."""

    class Activity(models.TextChoices):
        INITIALIZED = "Initialized"
        STARTED = "Started"
        IN_PROGRESS = "InProgress"
        COMPLETED = "Completed"

    class Grading(models.TextChoices):
        FULLY_GRADED = "FullyGraded"
        PENDING = "Pending"
        PENDING_MANUAL = "PendingManual"
        NOT_READY = "NotReady"

    graded = models.ForeignKey(GradedLearner, on_delete=models.PROTECT, related_name="scores")
    score_given = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    score_maximum = models.DecimalField(max_digits=6, decimal_places=2, default=100)
    activity = models.CharField(max_length=12, choices=Activity.choices)
    grading = models.CharField(max_length=13, choices=Grading.choices)
    changed_at = models.DateTimeField()
    # Bumped by each newer score: a send that started before it does not mark it sent.
    version = models.PositiveIntegerField(default=1)
    tries = models.PositiveIntegerField(default=0)
    next_try_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("score for a platform")
        verbose_name_plural = _("scores for platforms")
        constraints = [
            models.UniqueConstraint(
                fields=["graded"],
                condition=Q(sent_at__isnull=True),
                name="one_score_waits_per_learner_and_link",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_try_at"],
                condition=Q(sent_at__isnull=True),
                name="score_waiting_to_be_sent",
            )
        ]

    def __str__(self):
        return f"{self.score_given} / {self.score_maximum} ({self.activity}, {self.grading})"


class LaunchData(models.Model):
    """What a launch needs between two requests (the nonce, the state, a validated launch
    for the deep-linking page, a ticket to open a framed launch in a window), shared by
    every app server through the database; each value expires."""

    key = models.CharField(max_length=255, unique=True)
    value = models.JSONField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.key

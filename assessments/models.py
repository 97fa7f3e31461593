from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from simple_history.models import HistoricalRecords

from assessments.kinds import CHOICE_KINDS, kind_choices
from assessments.kinds.numerical import NUMBER_DECIMALS
from assessments.limits import MAX_POINTS, POINTS_PLACES, WEIGHT_PLACES
from assessments.urls import QUIZ_PAGE
from lessons.models import STATUS_IS_VALID, Course, Lesson, Module, Status

# Learners see a quiz when it and what holds it are published: its course, and its module
# unless it has none (a final exam). ``QuizQuerySet.visible`` asks it of the database,
# ``assessments.selectors.quiz_is_available`` of a loaded quiz; both read this list.
VISIBLE_WHEN_PUBLISHED = ("course", "module")
# The longest name a kind of question may have (``QuestionKind.name``): the question's column
# and the kind each answer keeps of the question it answered (``Response.shown_kind``).
KIND_MAX_LENGTH = 12


class QuizQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def visible(self, *, course: Course | None = None):
        """What learners may see and work on (``VISIBLE_WHEN_PUBLISHED``).

        Given a ``course``, its quizzes as its learners see them while it is published,
        whatever its status now: an instructor's preview shows a draft course so.
        """
        condition = Q(status=Status.PUBLISHED)
        for holder in VISIBLE_WHEN_PUBLISHED:
            if holder == "course" and course is not None:
                condition &= Q(course=course)
                continue
            published = Q(**{f"{holder}__status": Status.PUBLISHED})
            if Quiz._meta.get_field(holder).null:
                published |= Q(**{f"{holder}__isnull": True})
            condition &= published
        return self.filter(condition)

    def get_by_natural_key(self, course_slug, slug):
        return self.get(course__slug=course_slug, slug=slug)


class Quiz(models.Model):
    class Kind(models.TextChoices):
        MODULE = "module", gettext_lazy("Module quiz")
        FINAL = "final", gettext_lazy("Final exam")

    class Review(models.TextChoices):
        # What the result page shows; progress.selectors.review_shows applies it.
        RETAKE_SAFE = (
            "retake_safe",
            gettext_lazy(
                "Answers and right/wrong; keys and explanations once passed or out of attempts"
            ),
        )
        AFTER_PASSING = (
            "after_passing",
            gettext_lazy(
                "Right/wrong; answers, keys and explanations once passed or out of attempts"
            ),
        )
        AFTER_EACH_ATTEMPT = (
            "after_each_attempt",
            gettext_lazy("Keys and explanations after each attempt"),
        )
        SCORE_ONLY = "score_only", gettext_lazy("Score and right/wrong only")

    class DrawPer(models.TextChoices):
        # Balanced draws, as Moodle's random questions by category: the draw count is
        # taken from each group, so no module (or category) is left out of an attempt.
        BANK = "", gettext_lazy("The whole bank")
        MODULE = "module", gettext_lazy("Each module")
        CATEGORY = "category", gettext_lazy("Each GIFT category")

    course = models.ForeignKey(
        Course,
        on_delete=models.PROTECT,
        related_name="quizzes",
        verbose_name=gettext_lazy("course"),
    )
    module = models.OneToOneField(
        Module,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quiz",
        verbose_name=gettext_lazy("module"),
    )
    kind = models.CharField(
        max_length=10, choices=Kind.choices, default=Kind.MODULE, verbose_name=gettext_lazy("kind")
    )
    slug = models.SlugField(max_length=100, verbose_name=gettext_lazy("slug"))
    title = models.CharField(max_length=200, verbose_name=gettext_lazy("title"))
    pass_mark = models.PositiveSmallIntegerField(
        default=70,
        validators=[MaxValueValidator(100)],
        help_text=gettext_lazy("Percent needed to pass."),
        verbose_name=gettext_lazy("pass mark"),
    )
    max_attempts = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=gettext_lazy("Leave empty for unlimited attempts."),
        verbose_name=gettext_lazy("max attempts"),
    )
    time_limit_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=gettext_lazy("Leave empty for no time limit."),
        verbose_name=gettext_lazy("time limit minutes"),
    )
    closes_at = models.DateTimeField(
        gettext_lazy("closes"),
        null=True,
        blank=True,
        help_text=gettext_lazy(
            "From this moment no attempt can start, and attempts still open are handed "
            "in with the answers saved (a learner may be granted a later one). Empty: it never "
            "closes."
        ),
    )
    shuffle_questions = models.BooleanField(
        default=False, verbose_name=gettext_lazy("shuffle questions")
    )
    shuffle_choices = models.BooleanField(
        default=False, verbose_name=gettext_lazy("shuffle choices")
    )
    draw_count = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=gettext_lazy(
            "Questions drawn from the bank for each attempt (from each group when "
            "drawn per module or category); empty for all."
        ),
        verbose_name=gettext_lazy("draw count"),
    )
    draw_per = models.CharField(
        gettext_lazy("draw from"),
        max_length=10,
        choices=DrawPer.choices,
        default=DrawPer.BANK,
        blank=True,
        help_text=gettext_lazy(
            "Draw the number above from each module (the module of the lesson a "
            "question names) or each GIFT $CATEGORY, so every attempt covers them all. "
            "Questions with no lesson (or no category) are a group of their own. A group "
            "smaller than the number gives all its questions."
        ),
    )
    # Retake-safe by default: a retake asks the same questions, so their keys wait until
    # the learner has passed or has no attempt left.
    review = models.CharField(
        max_length=20,
        choices=Review.choices,
        default=Review.RETAKE_SAFE,
        verbose_name=gettext_lazy("review"),
    )
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.PUBLISHED,
        verbose_name=gettext_lazy("status"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))

    objects = QuizQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("quiz")
        verbose_name_plural = gettext_lazy("quizzes")
        ordering = ["course", "kind", "module__position"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="quiz_slug_unique_in_course"),
            models.UniqueConstraint(
                fields=["course"], condition=Q(kind="final"), name="one_final_exam_per_course"
            ),
            models.CheckConstraint(
                condition=Q(kind="module", module__isnull=False)
                | Q(kind="final", module__isnull=True),
                name="quiz_module_matches_kind",
            ),
            models.CheckConstraint(condition=Q(pass_mark__lte=100), name="quiz_pass_mark_percent"),
            models.CheckConstraint(
                condition=Q(max_attempts__isnull=True) | Q(max_attempts__gte=1),
                name="quiz_max_attempts_positive",
            ),
            models.CheckConstraint(
                condition=Q(draw_count__isnull=True) | Q(draw_count__gte=1),
                name="quiz_draw_count_positive",
            ),
            models.CheckConstraint(
                condition=Q(draw_per__in=["", "module", "category"])
                & (Q(draw_per="") | Q(draw_count__isnull=False)),
                name="quiz_draw_per_needs_count",
            ),
            models.CheckConstraint(condition=STATUS_IS_VALID, name="quiz_status_valid"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse(QUIZ_PAGE, kwargs={"course_slug": self.course.slug, "slug": self.slug})

    def natural_key(self):
        return (*self.course.natural_key(), self.slug)

    natural_key.dependencies = ["lessons.course", "lessons.module"]

    def clean(self):
        super().clean()
        if self.draw_per and self.draw_count is None:
            raise ValidationError(
                {
                    "draw_count": "Say how many questions to draw from each "
                    f"{'module' if self.draw_per == self.DrawPer.MODULE else 'category'}."
                }
            )

    @property
    def is_final(self) -> bool:
        return self.kind == self.Kind.FINAL


class TextFormat(models.TextChoices):
    """How a question's texts are shown: Moodle's four text formats (docs/moodle.md)."""

    AUTO = "", gettext_lazy("Plain text with line breaks")
    MOODLE = "moodle", gettext_lazy("Moodle auto-format (plain text with line breaks)")
    PLAIN = "plain", gettext_lazy("Plain text")
    HTML = "html", gettext_lazy("HTML (sanitised)")
    MARKDOWN = "markdown", gettext_lazy("Markdown")


class OwnTextFormat(models.TextChoices):
    """The format of an answer, feedback or general feedback: the question's unless given."""

    QUESTION = "", gettext_lazy("As the question text")
    MOODLE = TextFormat.MOODLE.value, TextFormat.MOODLE.label
    PLAIN = TextFormat.PLAIN.value, TextFormat.PLAIN.label
    HTML = TextFormat.HTML.value, TextFormat.HTML.label
    MARKDOWN = TextFormat.MARKDOWN.value, TextFormat.MARKDOWN.label


class QuestionQuerySet(models.QuerySet):
    def get_by_natural_key(self, course_slug, quiz_slug, position):
        return self.get(quiz__course__slug=course_slug, quiz__slug=quiz_slug, position=position)


class Question(models.Model):
    # The kinds of question the registry holds (assessments/kinds/): Question.Kind.SINGLE…
    Kind = models.TextChoices(
        "Kind", [(name.upper(), (name, label)) for name, label in kind_choices()]
    )

    quiz = models.ForeignKey(
        Quiz, on_delete=models.CASCADE, related_name="questions", verbose_name=gettext_lazy("quiz")
    )
    position = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("position"))
    kind = models.CharField(
        max_length=KIND_MAX_LENGTH, choices=kind_choices, verbose_name=gettext_lazy("kind")
    )
    title = models.CharField(max_length=200, blank=True, verbose_name=gettext_lazy("title"))
    text = models.TextField(verbose_name=gettext_lazy("text"))
    text_format = models.CharField(
        max_length=10,
        blank=True,
        choices=TextFormat.choices,
        help_text=gettext_lazy("How the question text is shown; Moodle's [format] in GIFT."),
        verbose_name=gettext_lazy("text format"),
    )
    category = models.CharField(max_length=200, blank=True, verbose_name=gettext_lazy("category"))
    # Moodle's question idnumber and tags, kept so a bank goes back to Moodle as it came.
    idnumber = models.CharField(
        gettext_lazy("ID number"),
        max_length=100,
        blank=True,
        help_text=gettext_lazy("Moodle's question ID number."),
    )
    tags = models.JSONField(
        default=list,
        blank=True,
        help_text=gettext_lazy("Moodle's question tags."),
        verbose_name=gettext_lazy("tags"),
    )
    points = models.DecimalField(
        max_digits=len(MAX_POINTS.as_tuple().digits),
        decimal_places=POINTS_PLACES,
        default=1,
        verbose_name=gettext_lazy("points"),
    )
    explanation = models.TextField(
        blank=True,
        help_text=gettext_lazy("Shown after the attempt."),
        verbose_name=gettext_lazy("explanation"),
    )
    explanation_format = models.CharField(
        max_length=10,
        blank=True,
        choices=OwnTextFormat.choices,
        verbose_name=gettext_lazy("explanation format"),
    )
    rubric = models.TextField(
        blank=True,
        help_text=gettext_lazy(
            "For whoever grades a written answer: what a full answer holds, how points "
            "are given. Shown beside each answer in the grading queue; never to learners."
        ),
        verbose_name=gettext_lazy("rubric"),
    )
    # PROTECT: a lesson that questions send learners back to is archived, not deleted.
    lesson = models.ForeignKey(
        Lesson,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="questions",
        help_text=gettext_lazy("The lesson that answers this question."),
        verbose_name=gettext_lazy("lesson"),
    )
    passage = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=gettext_lazy("The passage of the lesson that answers it (1, 2, …)."),
        verbose_name=gettext_lazy("passage"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))

    objects = QuestionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("question")
        verbose_name_plural = gettext_lazy("questions")
        ordering = ["quiz", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(points__gte=0), name="question_points_not_negative"
            ),
            models.CheckConstraint(
                # A kind added to the registry comes with the migration that widens this.
                condition=Q(kind__in=[name for name, _ in kind_choices()]),
                name="question_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(passage__isnull=True) | Q(lesson__isnull=False),
                name="question_passage_needs_lesson",
            ),
        ]

    def __str__(self):
        return self.title or self.text[:80]

    def natural_key(self):
        return (*self.quiz.natural_key(), self.position)

    natural_key.dependencies = ["assessments.quiz", "lessons.lesson"]


class ChoiceQuerySet(models.QuerySet):
    def get_by_natural_key(self, course_slug, quiz_slug, question_position, position):
        return self.get(
            question__quiz__course__slug=course_slug,
            question__quiz__slug=quiz_slug,
            question__position=question_position,
            position=position,
        )


class Choice(models.Model):
    """One answer of a question: a choice, an accepted text, a number or a matching pair."""

    question = models.ForeignKey(
        Question,
        on_delete=models.CASCADE,
        related_name="choices",
        verbose_name=gettext_lazy("question"),
    )
    position = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("position"))
    text = models.TextField(
        blank=True,
        help_text=gettext_lazy("Choice text, accepted answer or left side."),
        verbose_name=gettext_lazy("text"),
    )
    text_format = models.CharField(
        max_length=10,
        blank=True,
        choices=OwnTextFormat.choices,
        verbose_name=gettext_lazy("text format"),
    )
    # Moodle keeps fractions to 7 decimals: a third is 33.33333 %.
    weight = models.DecimalField(
        gettext_lazy("answer weight"),
        max_digits=3 + WEIGHT_PLACES,  # -100.0000000 to 100.0000000
        decimal_places=WEIGHT_PLACES,
        default=0,
        help_text=gettext_lazy("Percent of the points (−100…100)."),
    )
    feedback = models.TextField(blank=True, verbose_name=gettext_lazy("feedback"))
    feedback_format = models.CharField(
        max_length=10,
        blank=True,
        choices=OwnTextFormat.choices,
        verbose_name=gettext_lazy("feedback format"),
    )
    match_text = models.TextField(
        blank=True,
        help_text=gettext_lazy("Matching questions: the right side."),
        verbose_name=gettext_lazy("match text"),
    )
    # As many decimals as a numerical answer may have, so the two compare exactly.
    numeric_value = models.DecimalField(
        max_digits=30,
        decimal_places=NUMBER_DECIMALS,
        null=True,
        blank=True,
        verbose_name=gettext_lazy("numeric value"),
    )
    tolerance = models.DecimalField(
        max_digits=30, decimal_places=10, default=0, verbose_name=gettext_lazy("tolerance")
    )

    objects = ChoiceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("choice")
        verbose_name_plural = gettext_lazy("choices")
        ordering = ["question", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=-100, weight__lte=100), name="choice_weight_percent"
            ),
            models.CheckConstraint(
                condition=Q(tolerance__gte=0), name="choice_tolerance_positive"
            ),
        ]

    def __str__(self):
        return self.text

    def natural_key(self):
        return (*self.question.natural_key(), self.position)

    natural_key.dependencies = ["assessments.question"]


# A submitted attempt with a written answer not graded yet: it has no score, percent or
# pass until an instructor grades it (Moodle's "Finished, requires grading"). Told by the
# percent, which every attempt submitted before had (``submitted_attempt_is_graded...``).
AWAITING_GRADING = Q(submitted_at__isnull=False, percent__isnull=True)
# Attempts that count against the quiz's attempt limit, and the only ones that count for
# progress, the gradebook and the statistics: submitted ones. An open attempt is resumed, so
# it uses none up.
USED = Q(submitted_at__isnull=False)


def through(path: str, condition: Q) -> Q:
    """``condition``, stated on a model's own fields (``PASSING``, ``USED``…), as a condition
    on the rows that ``path`` leads to: for a join that reads them in place of a subquery,
    such as the gradebook's. Its values must be plain ones, not expressions on fields."""
    return Q(
        *(
            through(path, child) if isinstance(child, Q) else (f"{path}__{child[0]}", child[1])
            for child in condition.children
        ),
        _connector=condition.connector,
        _negated=condition.negated,
    )


class AttemptQuerySet(models.QuerySet):
    def used(self):
        """The attempts that count (``USED``)."""
        return self.filter(USED)

    def awaiting_grading(self):
        """Submitted attempts whose written answers an instructor has still to grade."""
        return self.filter(AWAITING_GRADING)


class Attempt(models.Model):
    """One sitting of a quiz. Its responses keep what was shown, so it never changes later."""

    # PROTECT: an account with records is deactivated, never deleted (courseware/admin.py).
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="attempts",
        verbose_name=gettext_lazy("learner"),
    )
    quiz = models.ForeignKey(
        Quiz, on_delete=models.PROTECT, related_name="attempts", verbose_name=gettext_lazy("quiz")
    )
    number = models.PositiveSmallIntegerField(verbose_name=gettext_lazy("number"))
    started_at = models.DateTimeField(verbose_name=gettext_lazy("started at"))
    # The minutes the attempt was given when it started (the quiz's, or the learner's own);
    # its deadline is the end of them or the close of the quiz, whichever comes first, and
    # follows the close when that moves (``assessments.services.quiz_attempts_close_follow``).
    time_limit_minutes = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=gettext_lazy("time limit minutes")
    )
    deadline = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("deadline"))
    submitted_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("submitted at")
    )
    auto_submitted = models.BooleanField(
        default=False,
        help_text=gettext_lazy("Submitted by the server when the time limit ran out."),
        verbose_name=gettext_lazy("auto submitted"),
    )
    pass_mark = models.PositiveSmallIntegerField(
        help_text=gettext_lazy("The quiz's pass mark when started."),
        verbose_name=gettext_lazy("pass mark"),
    )
    score = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, verbose_name=gettext_lazy("score")
    )
    max_score = models.DecimalField(
        max_digits=8, decimal_places=2, default=0, verbose_name=gettext_lazy("max score")
    )
    percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, verbose_name=gettext_lazy("percent")
    )
    passed = models.BooleanField(null=True, blank=True, verbose_name=gettext_lazy("passed"))

    objects = AttemptQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("attempt")
        verbose_name_plural = gettext_lazy("attempts")
        ordering = ["quiz", "learner", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "quiz", "number"], name="attempt_number_unique"
            ),
            models.UniqueConstraint(
                fields=["learner", "quiz"],
                condition=Q(submitted_at__isnull=True),
                name="one_open_attempt_per_quiz",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="attempt_number_positive"),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__gte=0, percent__lte=100),
                name="attempt_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True) | Q(submitted_at__gte=F("started_at")),
                name="attempt_submitted_after_start",
            ),
            # Submitted, an attempt has its percent, or, while a written answer awaits its
            # grade, neither a percent nor a score nor a pass.
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True)
                | Q(percent__isnull=False)
                | Q(score__isnull=True, passed__isnull=True),
                name="submitted_attempt_is_graded_or_awaiting",
            ),
        ]
        indexes = [
            models.Index(fields=["quiz", "submitted_at"], name="attempt_quiz_submitted"),
            # The grading queue: the few attempts awaiting a grade, oldest first.
            models.Index(
                fields=["quiz", "submitted_at"],
                condition=AWAITING_GRADING,
                name="attempt_awaiting_grading",
            ),
        ]

    def __str__(self):
        return gettext("%(quiz)s — attempt %(number)s by %(learner)s") % {
            "quiz": self.quiz,
            "number": self.number,
            "learner": self.learner,
        }

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    def is_late(self, now) -> bool:
        """Whether ``now`` is past the time limit: no answer is taken any more."""
        return self.deadline is not None and now > self.deadline

    @property
    def is_awaiting_grading(self) -> bool:
        """Submitted, with a written answer an instructor has still to grade: neither passed
        nor failed until then."""
        return self.is_submitted and self.percent is None


# Answered questions worth no points: the answers an instructor reads and comments, once
# their kind says they are written (``grading.read_and_commented_sql``). One condition for
# that filter and for the partial index that serves it: PostgreSQL uses the index only
# while the query repeats the index's condition.
ANSWERED_FOR_NO_POINTS = Q(points=0, answer__isnull=False)


class Response(models.Model):
    """A learner's answer to one question of an attempt, with the question as it was shown."""

    # Looked up by attempt through ``response_slot_unique`` and ``response_statistics``.
    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="responses", db_index=False
    )
    slot = models.PositiveSmallIntegerField(
        help_text=gettext_lazy("Position in the attempt, from 1."),
        verbose_name=gettext_lazy("slot"),
    )
    # The live question, while it exists: for statistics. Grading and review
    # read `shown` only, so editing or deleting the question changes nothing; only a
    # regrade after a key fix replaces the key in `shown` (``assessments.regrade``), keeping
    # what was shown and the replaced key (`earlier_keys`).
    question = models.ForeignKey(
        Question,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responses",
        verbose_name=gettext_lazy("question"),
    )
    shown = models.JSONField(
        help_text=gettext_lazy("The question, its choices and key as shown."),
        verbose_name=gettext_lazy("shown"),
    )
    answer = models.JSONField(null=True, blank=True, verbose_name=gettext_lazy("answer"))
    saved_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("saved at"))
    # Null until graded: while the attempt is open, and, once it is submitted, while a
    # written answer awaits an instructor. Every later change is a ``GradeChange``.
    score = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, verbose_name=gettext_lazy("score")
    )
    is_correct = models.BooleanField(null=True, blank=True, verbose_name=gettext_lazy("correct"))
    # What the question statistics read, worked out by the database from ``shown`` and
    # ``answer`` so it cannot drift from them: narrow columns held by the
    # ``response_statistics`` index, so counting thousands of attempts never reads
    # their 1 kB snapshots. The id the snapshot names outlives a deleted question.
    shown_question_id = models.GeneratedField(
        expression=Cast(KT("shown__question_id"), models.BigIntegerField()),
        output_field=models.BigIntegerField(),
        db_persist=True,
    )
    points = models.GeneratedField(
        expression=Cast(KT("shown__points"), models.DecimalField(max_digits=8, decimal_places=2)),
        output_field=models.DecimalField(max_digits=8, decimal_places=2),
        db_persist=True,
    )
    # The kind of question shown: the grading queue tells the written answers worth no
    # points from the others by it, in the ``response_worth_no_points`` index alone.
    shown_kind = models.GeneratedField(
        expression=KT("shown__kind"),
        output_field=models.CharField(max_length=KIND_MAX_LENGTH),
        db_persist=True,
    )
    # The choice ids picked for a choice question; true for any other answer; null if blank.
    answer_tally = models.GeneratedField(
        expression=Case(
            When(shown__kind__in=CHOICE_KINDS, then=F("answer")),
            When(answer__isnull=False, then=Value(True, models.JSONField())),
        ),
        output_field=models.JSONField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = gettext_lazy("response")
        verbose_name_plural = gettext_lazy("responses")
        ordering = ["attempt", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "slot"], name="response_slot_unique"),
        ]
        indexes = [
            # Covering on PostgreSQL (elsewhere the columns are left out): the statistics
            # of a quiz are read from this index alone.
            models.Index(
                fields=["attempt"],
                include=["shown_question_id", "points", "score", "answer_tally", "id"],
                name="response_statistics",
            ),
            # The grading queue's answers to read and comment (``read_and_commented_sql``):
            # the few answered questions worth no points among all of a course's answers,
            # covering on PostgreSQL what the queue picks its page by, so that it reads
            # only the index until it has the page's answers.
            models.Index(
                fields=["attempt"],
                include=["shown_kind", "score", "slot", "id"],
                condition=ANSWERED_FOR_NO_POINTS,
                name="response_worth_no_points",
            ),
        ]

    def __str__(self):
        return gettext("%(attempt)s — question %(slot)s") % {
            "attempt": self.attempt,
            "slot": self.slot,
        }


class QuizOverride(models.Model):
    """One learner's own terms for a quiz, granted by an instructor with a reason: attempts
    on top of the quiz's limit, a time limit of their own (a fixed number of minutes, or
    the quiz's times a factor, for an accommodation) and a later close date. One per learner
    and quiz: a later grant changes it, and its history keeps every earlier value."""

    quiz = models.ForeignKey(Quiz, on_delete=models.PROTECT, related_name="overrides")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quiz_overrides"
    )
    extra_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Attempts on top of the quiz's limit."
    )
    time_limit_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="This learner's time limit, in place of the quiz's."
    )
    time_multiplier = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Or the quiz's time limit times this (1.5 for half as long again).",
    )
    closes_at = models.DateTimeField(
        "closes",
        null=True,
        blank=True,
        help_text="This learner's own close date, later than the quiz's.",
    )
    reason = models.TextField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quiz_overrides_granted"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("quiz override")
        verbose_name_plural = gettext_lazy("quiz overrides")
        # By the ids: ordering by the quiz would join its module, which a row lock cannot take.
        ordering = ["quiz_id", "learner_id"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "learner"], name="one_override_per_learner"),
            models.CheckConstraint(
                condition=Q(time_limit_minutes__isnull=True) | Q(time_multiplier__isnull=True),
                name="override_one_kind_of_time_limit",
            ),
            models.CheckConstraint(
                condition=Q(time_limit_minutes__isnull=True) | Q(time_limit_minutes__gte=1),
                name="override_time_limit_positive",
            ),
            models.CheckConstraint(
                condition=Q(time_multiplier__isnull=True) | Q(time_multiplier__gt=0),
                name="override_time_multiplier_positive",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="override_reason_given"),
        ]

    def __str__(self):
        return f"{self.quiz} — {self.learner}"


class GradeChange(models.Model):
    """One change of a response's grade by a person or a regrade, with the grade before and
    after, who made it and why. The first grade of an essay is one too. Never edited or
    deleted: the history of a grade is the list of its changes."""

    class Source(models.TextChoices):
        GRADED = "graded", gettext_lazy("Graded by an instructor")
        OVERRIDE = "override", gettext_lazy("Grade overridden")
        REGRADE = "regrade", gettext_lazy("Regraded after a key fix")

    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="grade_changes")
    source = models.CharField(max_length=10, choices=Source.choices)
    score_before = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    score_after = models.DecimalField(max_digits=8, decimal_places=2)
    is_correct_before = models.BooleanField(null=True, blank=True)
    is_correct_after = models.BooleanField(null=True, blank=True)
    reason = models.TextField(
        blank=True, help_text="Why the grade changed (shown to the learner)."
    )
    feedback = models.TextField(blank=True, help_text="The instructor's comment to the learner.")
    # Null for a change the system made (a regrade run by a command).
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grade_changes_made",
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = gettext_lazy("grade change")
        verbose_name_plural = gettext_lazy("grade changes")
        ordering = ["response", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=["graded", "override", "regrade"]),
                name="grade_change_source_valid",
            ),
            models.CheckConstraint(
                condition=Q(score_after__gte=0), name="grade_change_score_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(source="override") | ~Q(reason=""),
                name="grade_override_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.response}: {self.score_before} → {self.score_after}"

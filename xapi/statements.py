"""xAPI 1.0.3 statements of a learner's steps, in the cmi5 / ADL vocabulary.

Each function returns one statement as a dict, with an id derived from what happened
(``stable_id``): the same event always gives the same statement, so an LRS that
receives it twice keeps one. The learner is named by an account on this site (the site's
address and an opaque id), never by e-mail; every activity is named by its page's address.
"""

import uuid
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from assessments.grades import response_points
from assessments.grading import HUNDRED
from assessments.models import Attempt, Quiz, Response
from assessments.review import answer_lines
from assessments.services import score_percent
from lessons.models import Course, Lesson
from progress.models import Certificate

ADL = "http://adlnet.gov/expapi/verbs/"
ACTIVITY = "http://adlnet.gov/expapi/activities/"
# Neither ADL's nor cmi5's vocabulary has a verb for earning a credential: this one is the
# xAPI registry's (TinCan vocabulary), which LRS reports know.
EARNED = "http://id.tincanapi.com/verb/earned"
ATTEMPT_EXTENSION = "http://id.tincanapi.com/extension/attempt-id"

# The interaction types of xAPI's cmi.interaction, by question kind; "other" for the rest.
INTERACTION_TYPES = {
    "single": "choice",
    "multiple": "choice",
    "true_false": "true-false",
    "short": "fill-in",
    "numerical": "numeric",
    "matching": "matching",
    "essay": "long-fill-in",
}


def _namespace() -> uuid.UUID:
    # The site's address is part of every id: two sites sending to one LRS never collide.
    return uuid.uuid5(uuid.NAMESPACE_URL, settings.SITE_URL)


def stable_id(*parts) -> str:
    """A uuid5 of ``parts`` within this site: a statement's id (named by the event it tells),
    a learner's account name, an enrolment's registration. The same every time."""
    return str(uuid.uuid5(_namespace(), "/".join(str(part) for part in parts)))


def _url(path: str) -> str:
    return settings.SITE_URL + path


def actor(learner_id: int) -> dict:
    """The learner as an account on this site: an opaque id that stays the same."""
    return {
        "objectType": "Agent",
        "account": {"homePage": settings.SITE_URL, "name": stable_id("learner", learner_id)},
    }


def _verb(iri: str, display: str) -> dict:
    return {"id": iri, "display": {"en-US": display}}


def _name(text: str) -> dict:
    """A course's own words, in the site's language (verbs keep ADL's English displays)."""
    return {settings.LANGUAGE_CODE: text}


def _activity(url: str, kind: str, name: str) -> dict:
    return {
        "objectType": "Activity",
        "id": url,
        "definition": {"type": kind, "name": _name(name)},
    }


def course_activity(course: Course) -> dict:
    return _activity(_url(course.get_absolute_url()), ACTIVITY + "course", course.title)


def _context(course: Course, learner_id: int, *, parent: dict | None = None, **extensions):
    """The course as the grouping, the learner's enrolment in it as the registration."""
    activities = {"grouping": [course_activity(course)]}
    if parent is not None:
        activities["parent"] = [parent]
    context = {
        "registration": stable_id("registration", learner_id, course.pk),
        "contextActivities": activities,
        "platform": "Courseware",
    }
    if extensions:
        context["extensions"] = extensions
    return context


def _statement(
    id_: str, learner_id: int, verb: dict, obj: dict, at: datetime, context: dict, **more
) -> dict:
    return {
        "id": id_,
        "actor": actor(learner_id),
        "verb": verb,
        "object": obj,
        "timestamp": at.isoformat(),
        "context": context,
        **more,
    }


def launched_id(*, learner_id: int, course_id: int, at: datetime) -> str:
    """One launch a day per learner and course: the day's openings are one statement."""
    return stable_id("launched", learner_id, course_id, at.date())


def launched(*, learner_id: int, course: Course, at: datetime) -> dict:
    """Opened the course: one launch a day per learner and course."""
    return _statement(
        launched_id(learner_id=learner_id, course_id=course.pk, at=at),
        learner_id,
        _verb(ADL + "launched", "launched"),
        course_activity(course),
        at,
        {"registration": stable_id("registration", learner_id, course.pk)},
    )


def experienced(*, learner_id: int, lesson: Lesson, at: datetime) -> dict:
    """Read a lesson (marked it read)."""
    course = lesson.course
    return _statement(
        stable_id("experienced", learner_id, lesson.pk),
        learner_id,
        _verb(ADL + "experienced", "experienced"),
        _activity(_url(lesson.get_absolute_url()), ACTIVITY + "lesson", lesson.title),
        at,
        _context(course, learner_id),
        result={"completion": True},
    )


def quiz_activity(quiz: Quiz) -> dict:
    return _activity(_url(quiz.get_absolute_url()), ACTIVITY + "assessment", quiz.title)


def attempted(*, attempt: Attempt) -> dict:
    quiz = attempt.quiz
    return _statement(
        stable_id("attempted", attempt.pk),
        attempt.learner_id,
        _verb(ADL + "attempted", "attempted"),
        quiz_activity(quiz),
        attempt.started_at,
        _context(quiz.course, attempt.learner_id, **{ATTEMPT_EXTENSION: attempt.number}),
    )


def _score(raw: Decimal, top: Decimal) -> dict:
    """The score as the learner saw it: scaled by the rule of the percent they were shown
    (``score_percent``), so that the LRS rounds no differently from the result page."""
    score = {"raw": float(raw), "min": 0.0, "max": float(top)}
    if top > 0:
        score["scaled"] = _scaled(score_percent(raw, top))
    return score


def _scaled(percent: Decimal) -> float:
    return float(percent / HUNDRED)


def answered(*, attempt: Attempt, response: Response) -> dict:
    """One question of a submitted attempt: the answer as text, its score and whether it was
    right. A written answer awaiting an instructor has neither score nor success yet."""
    quiz, shown = attempt.quiz, response.shown
    question = {
        **_activity(
            f"{_url(quiz.get_absolute_url())}#question-{shown.get('question_id')}",
            ACTIVITY + "cmi.interaction",
            shown.get("title") or shown.get("text", "")[:200],
        )
    }
    question["definition"]["interactionType"] = INTERACTION_TYPES.get(shown.get("kind"), "other")
    lines = answer_lines(shown, response.answer)
    result = {"completion": bool(lines)}
    if lines:
        result["response"] = "[,]".join(lines)
    if response.score is not None:
        result["score"] = _score(response.score, response_points(response))
    if response.is_correct is not None:
        result["success"] = response.is_correct
    return _statement(
        stable_id("answered", response.pk),
        attempt.learner_id,
        _verb(ADL + "answered", "answered"),
        question,
        attempt.submitted_at,
        _context(
            quiz.course,
            attempt.learner_id,
            parent=quiz_activity(quiz),
            **{ATTEMPT_EXTENSION: attempt.number},
        ),
        result=result,
    )


def attempt_result(*, attempt: Attempt, at: datetime, version: int | str) -> dict:
    """Passed or failed, with the scaled score. ``version`` is 0 for the result given on
    submission, then the id of the grade change that made a new one: each is a statement."""
    quiz = attempt.quiz
    verb = "passed" if attempt.passed else "failed"
    return _statement(
        stable_id("result", attempt.pk, version),
        attempt.learner_id,
        _verb(ADL + verb, verb),
        quiz_activity(quiz),
        at,
        _context(quiz.course, attempt.learner_id, **{ATTEMPT_EXTENSION: attempt.number}),
        result={
            # The percent the learner was shown, as it was stored then.
            "score": {
                **_score(attempt.score, attempt.max_score),
                "scaled": _scaled(attempt.percent),
            },
            "success": bool(attempt.passed),
            "completion": True,
        },
    )


def completed(*, certificate: Certificate) -> dict:
    course = certificate.course
    learner_id = certificate.learner_id
    return _statement(
        stable_id("completed", learner_id, course.pk),
        learner_id,
        _verb(ADL + "completed", "completed"),
        course_activity(course),
        certificate.issued_at,
        {"registration": stable_id("registration", learner_id, course.pk)},
        result={"completion": True},
    )


def earned(*, certificate: Certificate) -> dict:
    course = certificate.course
    learner_id = certificate.learner_id
    return _statement(
        stable_id("earned", certificate.pk),
        learner_id,
        _verb(EARNED, "earned"),
        # The course's certificate, the same activity for every learner; their own
        # certificate's public address goes with the result.
        {
            "objectType": "Activity",
            "id": _url(reverse("certificate_mine", kwargs={"slug": course.slug})),
            "definition": {"name": _name(certificate.course_title)},
        },
        certificate.issued_at,
        _context(course, learner_id),
        # Where anyone can check the certificate: an extension of this site's own.
        result={
            "extensions": {
                _url("/xapi/extensions/verification-url"): _url(certificate.get_absolute_url())
            }
        },
    )

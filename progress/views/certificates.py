"""The learner's certificate, its public verification page and its PDF.

Verification and the PDF are public by code: the code is the secret a learner
shares. They show only what the certificate says, as it was issued.

Looking never writes: a certificate is issued by the learner's action that completes the
course (``progress.services``), or, for a course completed by a change of its content,
when the learner asks for it with a POST.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods

from lessons.models import Course
from progress import services
from progress.models import Certificate
from progress.pdf import certificate_pdf as render_certificate_pdf
from progress.selectors import (
    CourseProgress,
    certificate_by_code,
    certificate_due,
    course_progress_for_learner,
)


def _not_found(request, code: str) -> HttpResponse:
    # As typed: regrouped, a mistyped code would look like one the learner never wrote.
    context = {"code": code.strip()}
    return render(request, "progress/certificate_not_found.html", context, status=404)


def _verify_url(request, certificate: Certificate) -> str:
    return request.build_absolute_uri(certificate.get_absolute_url())


def _still_to_do(progress: CourseProgress) -> str:
    """Why there is no certificate yet, from the progress reasons."""
    title = progress.course.title
    if progress.enrollment is None:
        return gettext("Enrol in “%(title)s” and complete it to earn its certificate.") % {
            "title": title
        }
    incomplete = [module for module in progress.modules if not module.is_complete]
    steps = [f"{m.module.title} — {'; '.join(m.reasons)}" for m in incomplete if m.is_open]
    locked = sum(not m.is_open for m in incomplete)
    if locked:
        steps.append(
            ngettext("Then %(count)s more module", "Then %(count)s more modules", locked)
            % {"count": locked}
        )
    exam = progress.final_exam
    if exam is not None and not exam.passed and exam.is_open:
        steps.append(f"{exam.quiz.title} — {exam.reasons[0]}")
    elif exam is not None and not exam.passed:
        steps.append(gettext("Then the %(title)s") % {"title": exam.quiz.title.lower()})
    message = gettext(
        "Your certificate for “%(title)s” is issued when you complete the course."
    ) % {"title": title}
    if not steps:
        return message
    return gettext("%(message)s Still to do: %(steps)s.") % {
        "message": message,
        "steps": ". ".join(steps),
    }


@login_required
@require_http_methods(["GET", "POST"])
def certificate_mine(request, slug):
    """The learner's certificate; a POST asks for one that is due but not issued yet."""
    certificate = (
        Certificate.objects.filter(learner=request.user, course__slug=slug)
        .select_related("course")
        .first()
    )
    if certificate is None:
        course = get_object_or_404(Course.objects.published(), slug=slug)
        progress = course_progress_for_learner(learner=request.user, course=course)
        if not certificate_due(progress=progress):
            messages.info(request, _still_to_do(progress))
            return redirect(course)
        if request.method != "POST":
            # Complete without a certificate: the content changed (a lesson archived, say)
            # after the learner's last action. The page offers it; asking issues it.
            return render(request, "progress/certificate_due.html", {"course": course})
        services.course_completion_check(learner=request.user, course=course)
        return redirect("certificate_mine", slug=course.slug)
    return render(
        request,
        "progress/certificate_mine.html",
        {"certificate": certificate, "verify_url": _verify_url(request, certificate)},
    )


def certificate_verify(request, code):
    certificate = certificate_by_code(code=code)
    if certificate is None:
        return _not_found(request, code)
    if code != certificate.code:
        return redirect(certificate)  # one address per certificate, however it was typed
    response = render(request, "progress/certificate_verify.html", {"certificate": certificate})
    response["X-Robots-Tag"] = "noindex"  # a name on a public page is not for search engines
    return response


def certificate_pdf(request, code):
    certificate = certificate_by_code(code=code)
    if certificate is None:
        return _not_found(request, code)
    pdf = render_certificate_pdf(certificate, verify_url=_verify_url(request, certificate))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.code}.pdf"'
    response["X-Robots-Tag"] = "noindex"
    return response

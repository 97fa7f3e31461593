from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from lessons.models import Course


@login_required
def baseline(request, pk):
    """The cheapest logged-in page: session and user lookup, one query by primary key, a
    small template. Every other page is measured against it."""
    course = get_object_or_404(Course, pk=pk)
    return render(request, "bench/baseline.html", {"course": course})

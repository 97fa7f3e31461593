import pytest
from django.urls import reverse

from tests.factories import course_with_modules

pytestmark = pytest.mark.django_db


def test_the_administrator_chooses_on_the_platforms_page_the_courses_its_instructors_teach(
    client, admin_user, test_platform
):
    course = course_with_modules(modules=1, lessons=1, slug="diplomacy", title="Diplomacy")
    platform = test_platform.model
    client.force_login(admin_user)
    url = reverse("admin:lti_platform_change", args=[platform.pk])
    page = client.get(url)
    assert "Courses its instructors may teach" in page.content.decode()

    form = page.context["adminform"].form
    data = {
        **{name: form[name].value() or "" for name in form.fields if name != "courses_taught"},
        "courses_taught": [course.pk],
        "deployments-TOTAL_FORMS": "0",
        "deployments-INITIAL_FORMS": "0",
    }
    saved = client.post(url, data)

    assert saved.status_code == 302, saved.context["adminform"].form.errors
    assert list(platform.courses_taught.all()) == [course]

"""The interface in French: every page a learner, a visitor or an instructor opens speaks
French when the browser asks for it, the catalogue holds every string of the code, and the
language switcher keeps the reader's choice.

A page "speaks French" when, while it is built, it asks for no message the French
catalogues lack (a new {% translate %} nobody translated yet), and when nothing of the
English interface is left in it once the course's own text is set aside (the course is
written in English and stays so): no English message of the catalogue, and none of the
little words no French sentence has ("the", "your", "with"…), which is what a bare English
string in a template leaves.
"""

import re
import shutil
import subprocess
import sys
from datetime import datetime
from functools import cache
from pathlib import Path

import lxml.html
import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation.trans_real import DjangoTranslation
from django.views import defaults

from assessments.models import Choice, GradeChange, Question, Quiz, QuizOverride
from lessons.models import Course, Lesson, Module
from lti.tests.platform import LEARNER, TestPlatform
from progress.models import Certificate
from tests import test_access_matrix as matrix
from tests.test_access_matrix import ROLES, SITE, request_as, url_of

# The world of the access matrix: a course with a learner who completed it, a peer, its
# instructor, an open and a submitted attempt, a certificate.
world = matrix.world

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGUE = LOCALE / "fr" / "LC_MESSAGES" / "django.po"
COMPILED = LOCALE / "fr" / "LC_MESSAGES" / "django.mo"
FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9,en;q=0.5"}

# Words an English sentence can hardly do without and a French one never uses.
ENGLISH_ONLY_WORDS = re.compile(
    r"\b(the|your|you|and|with|this|that|is|are|of|to|has|have|not|will|from|for|by)\b",
    re.IGNORECASE,
)
# Text people read besides the text of elements.
READ_ATTRIBUTES = ("aria-label", "placeholder", "title", "alt")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%|\{\w+\}")


@cache
def catalogue():
    with CATALOGUE.open("rb") as file:
        return read_po(file)


def _singular(message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def _fragments(text: str) -> list[str]:
    """The literal runs of a message (between placeholders and tags), as a page shows them."""
    text = re.sub(r"<[^>]+>", "\0", text)
    return [part.strip(" .,:;·()") for part in PLACEHOLDER.sub("\0", text).split("\0")]


@cache
def english_phrases() -> tuple[set[str], set[str]]:
    """What of the English catalogue must not be seen on a French page: runs of two words or
    more of any message, and one-word messages, each unless French writes them the same."""
    phrases, words = set(), set()
    for message in catalogue():
        if not message.id or not message.string:
            continue
        singular = _singular(message)
        translated = message.string[0] if isinstance(message.string, tuple) else message.string
        french = " ".join(_fragments(translated))
        for fragment in _fragments(singular):
            if fragment in french:
                continue  # "Module", "Questions", "Points", "PDF": the same in French
            if " " in fragment:
                phrases.add(fragment)
            elif fragment.isalpha() and len(fragment) > 2 and fragment == singular.strip(" .:"):
                words.add(fragment)
    return phrases, words


def course_texts() -> list[str]:
    """The course's own text and people's names, longest first: not interface, not checked."""
    texts = []
    for course in Course.objects.all():
        texts += [course.title, course.summary, course.notice]
    texts += Module.objects.values_list("title", flat=True)
    for objectives in Module.objects.values_list("objectives", flat=True):
        texts += objectives or []
    texts += Lesson.objects.values_list("title", flat=True)
    texts += Quiz.objects.values_list("title", flat=True)
    for question in Question.objects.all():
        texts += [question.title, question.text, question.explanation]
    for choice in Choice.objects.all():
        texts += [choice.text, choice.match_text, choice.feedback]
    for user in get_user_model().objects.all():
        texts += [user.get_full_name(), user.first_name, user.last_name, user.username]
    for certificate in Certificate.objects.all():
        texts += [certificate.learner_name, certificate.course_title, certificate.code]
    texts += QuizOverride.objects.values_list("reason", flat=True)
    texts += GradeChange.objects.values_list("reason", flat=True)
    for model in (Course, Module, Lesson, Quiz):
        texts += model.objects.values_list("slug", flat=True)
    texts += ["Courseware", "English"]  # the product's name; a language named in its own
    return sorted({text for text in texts if text and len(text) > 1}, key=len, reverse=True)


def interface_text(html: str, course: list[str]) -> str:
    """What a reader of the page reads of the interface: the text of its elements and the
    attributes read out, without scripts, without any element marked as in another language
    (the course's content), and without the course's own titles and people's names."""
    tree = lxml.html.fromstring(html)
    for element in tree.xpath("//script | //style | //*[@lang][not(self::html)]"):
        element.drop_tree()
    parts = [tree.text_content()]
    for name in READ_ATTRIBUTES:
        parts += tree.xpath(f"//@{name}")
    text = " ".join(" ".join(parts).split())
    for own in course:
        text = text.replace(" ".join(own.split()), " ")
    return text


def untranslated(text: str) -> list[str]:
    phrases, words = english_phrases()
    found = sorted(phrase for phrase in phrases if phrase in text)
    found += sorted(w for w in words if re.search(rf"(?<![\w’']){re.escape(w)}(?![\w’'])", text))
    found += sorted({m.group(0) for m in ENGLISH_ONLY_WORDS.finditer(text)})
    return found


def french_pages(world) -> list[tuple[str, str]]:
    """(what, HTML) of every page of the site as the first role that may open it reads it, by
    GET and by POST (a form sent back with its errors), and the error pages."""
    pages = []
    for row in SITE:
        for method in ("get", "post"):
            expected = dict(zip(ROLES, getattr(row, method).split(), strict=True))
            role = next((r for r in ROLES if expected[r] in ("200", "400")), None)
            if role is None:
                continue
            url = url_of(row, world)
            response = request_as(world, role, method, url, **FRENCH)
            if not response["Content-Type"].startswith("text/html"):
                continue  # the PDF, the downloads, the health checks
            pages.append((f"{method.upper()} {url} as {role}", response.content.decode()))
        # An action that sends the reader on (enrol, mark as complete, start an attempt):
        # the page it lands on, with the message that says what happened.
        expected = dict(zip(ROLES, row.post.split(), strict=True))
        role = next((r for r in ROLES if expected[r] == "302" and r != "anonymous"), None)
        if role is not None and not row.url_name.startswith(("logout", "set_language")):
            pages.append(followed(world, role, url_of(row, world)))
    client = Client(**FRENCH)
    client.force_login(world.users["owner"])
    pages.append(("an unknown address", client.get("/no-such-page/").content.decode()))
    pages.append(("a page for instructors", client.get(reverse("teach_index")).content.decode()))
    request = RequestFactory().get("/")
    with translation.override("fr"):
        pages.append(("the server error page", defaults.server_error(request).content.decode()))
    return pages


def followed(world, role: str, url: str) -> tuple[str, str]:
    client = Client(**FRENCH)
    client.force_login(world.users[role])
    with transaction.atomic():
        response = client.post(url, {"post": "yes"}, follow=True)
        transaction.set_rollback(True)
    return f"POST {url} as {role}, then {response.request['PATH_INFO']}", response.content.decode()


@pytest.fixture
def unknown_to_french(monkeypatch) -> set[str]:
    """Every message a French page asks for that the French catalogues (ours and Django's)
    do not hold: a string marked for translation that nobody translated yet."""
    asked = set()
    gettext, ngettext = DjangoTranslation.gettext, DjangoTranslation.ngettext

    def french(translation) -> bool:
        return translation.language() == "fr"

    def checked_gettext(self, message):
        if french(self) and message not in self._catalog and (message, 0) not in self._catalog:
            asked.add(message)
        return gettext(self, message)

    def checked_ngettext(self, singular, plural, number):
        if french(self) and (singular, 0) not in self._catalog:
            asked.add(singular)
        return ngettext(self, singular, plural, number)

    monkeypatch.setattr(DjangoTranslation, "gettext", checked_gettext)
    monkeypatch.setattr(DjangoTranslation, "ngettext", checked_ngettext)
    return asked


def test_every_page_speaks_french_when_the_browser_asks_for_it(world, unknown_to_french):
    course = course_texts()
    misses = []
    pages = french_pages(world)
    assert not unknown_to_french, (
        f"French pages asked for untranslated messages: {unknown_to_french}"
    )
    for what, html in pages:
        assert '<html lang="fr"' in html, what
        if found := untranslated(interface_text(html, course)):
            misses.append(f"{what}: {found}")
    assert len(pages) > 40
    assert not misses, "English left on French pages:\n" + "\n".join(misses)


@pytest.fixture
def learning_platform(world):
    platform = TestPlatform()
    platform.register()
    yield platform
    platform.stop()


def test_the_learning_platforms_pages_speak_french(world, learning_platform, unknown_to_french):
    """What a learning platform opens is not in the matrix's list: it takes a signed launch
    (the deep-linking picker and its return, the window a framed launch asks for) or a
    launch that went wrong (refused, expired)."""
    platform, course = learning_platform, world.course
    pages = {}
    client = Client(**FRENCH)
    pages["an unknown platform"] = client.get(reverse("lti_login"))
    pages["an expired launch link"] = client.get(reverse("lti_continue", args=["gone"]))
    pages["an expired picker"] = client.post(reverse("lti_deep_link"), {"launch_id": "gone"})
    pages["a learner adding"] = platform.deep_link_launch(Client(**FRENCH), roles=(LEARNER,))
    pages["the picker"] = picker = platform.deep_link_launch(client)
    launch_id = picker.context["launch_id"]
    pages["a pick of nothing"] = client.post(reverse("lti_deep_link"), {"launch_id": launch_id})
    pages["the return"] = client.post(
        reverse("lti_deep_link"), {"launch_id": launch_id, "target": f"course:{course.pk}"}
    )
    pages["a framed launch"] = platform.launch(
        Client(**FRENCH),
        target=f"http://testserver{course.get_absolute_url()}",
        headers={"Sec-Fetch-Dest": "iframe"},
    )[0]

    assert [response.status_code for response in pages.values()] == [
        403,
        410,
        403,
        403,
        200,
        400,
        200,
        200,
    ]
    assert not unknown_to_french, f"untranslated messages: {unknown_to_french}"
    texts = course_texts()
    misses = {
        what: found
        for what, response in pages.items()
        if (found := untranslated(interface_text(response.content.decode(), texts)))
    }
    assert not misses, f"English left on French pages: {misses}"


def test_the_check_finds_an_untranslated_string_and_a_bare_english_one(world):
    """The page check above is only worth what it can catch."""
    html = Client(**FRENCH).get(reverse("catalogue")).content.decode()
    course = course_texts()
    assert untranslated(interface_text(html, course)) == []

    forgotten = html.replace("</main>", "<p>Back to the course</p></main>")
    bare = html.replace("</main>", "<p>Ask the instructor for help</p></main>")
    assert "Back to the course" in untranslated(interface_text(forgotten, course))
    assert untranslated(interface_text(bare, course)) == ["for", "the"]


def test_course_content_keeps_its_own_language_inside_the_french_interface(world):
    client = Client(**FRENCH)
    url = reverse(
        "lesson_detail", kwargs={"course_slug": world.course.slug, "slug": world.lesson.slug}
    )

    page = lxml.html.fromstring(client.get(url).content.decode())

    assert page.get("lang") == "fr"
    assert page.xpath("//div[contains(@class, 'lesson-body')]/@lang") == ["en"]
    assert page.xpath("//h1/@lang") == ["en"]
    assert page.xpath("//footer//*[@aria-current='true']/text()") == ["Français"]


# --- The catalogue ---------------------------------------------------------------------


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_every_french_message_is_translated_with_its_placeholders():
    problems = []
    for message in catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(f"not translated: {ids[0]!r}")
            continue
        wanted = _placeholders(ids[-1])
        for string in strings:
            # French says "1 leçon" without the count where English needs none either.
            if set(_placeholders(string)) - set(wanted) or (
                _placeholders(string) != wanted and len(strings) == 1
            ):
                problems.append(f"placeholders differ: {ids[0]!r} -> {string!r}")
    assert not problems, "\n".join(problems)


# What makemessages reads: the apps, their templates and the project's own.
def sources() -> list[str]:
    """What makemessages reads: the project's own apps (every one in INSTALLED_APPS that
    lives in the project, so that a new app is copied without being named here), the
    templates and the catalogue."""
    base = Path(settings.BASE_DIR)
    apps = [Path(config.path) for config in django_apps.get_app_configs()]
    own = sorted(path.name for path in apps if path.parent == base)
    return ["manage.py", "templates", "locale", *own]


@pytest.mark.skipif(
    shutil.which("xgettext") is None,
    reason="xgettext (GNU gettext) is not installed: the catalogue cannot be extracted here",
)
def test_the_catalogue_holds_every_message_of_the_code(tmp_path):
    """makemessages, run on a copy of the project, neither adds to the French catalogue nor
    drops anything from it: every string the code and the templates mark is there (and
    translated: the test above), and nothing the code no longer says."""
    base = Path(settings.BASE_DIR)
    for name in sources():
        source = base / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, tmp_path / name)
    made = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "fr", "--verbosity", "0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    with (tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po").open("rb") as file:
        extracted = read_po(file)
    new = [m.id for m in extracted if m.id and (m.fuzzy or not m.string)]
    assert not new, f"messages of the code missing from the French catalogue: {new}"
    gone = sorted(
        str(m.id) for m in catalogue() if m.id and extracted.get(m.id, m.context) is None
    )
    assert not gone, f"messages the code no longer has, still in the catalogue: {gone}"


def test_the_compiled_catalogue_is_the_one_written():
    """The committed .mo (what a fresh install serves, with no gettext tools) says what the
    .po says: a translator who forgot to compile is told here."""

    def key(message):
        ids = message.id
        return (tuple(ids) if isinstance(ids, list | tuple) else ids), message.context

    def text(message):
        string = message.string
        return tuple(string) if isinstance(string, list | tuple) else string

    with COMPILED.open("rb") as file:
        compiled = {key(m): text(m) for m in read_mo(file) if m.id}
    written = {key(m): text(m) for m in catalogue() if m.id and m.string and not m.fuzzy}
    assert compiled == written


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="msgfmt (GNU gettext) is not installed")
def test_gettext_accepts_the_catalogue():
    checked = subprocess.run(
        ["msgfmt", "--check", "--output-file=/dev/null", str(CATALOGUE)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr


# --- The switcher ----------------------------------------------------------------------


def test_the_switcher_turns_the_site_french_and_keeps_the_choice(world):
    client = Client()
    client.force_login(world.users["owner"])
    dashboard = reverse("dashboard")
    page = lxml.html.fromstring(client.get(dashboard).content.decode())
    [form] = page.xpath("//form[@action=$url]", url=reverse("set_language"))
    assert form.xpath(".//input[@name='next']/@value") == [dashboard]
    assert form.xpath(".//button[@name='language']/@value") == ["fr"]
    assert form.xpath(".//button[@name='language']/@lang") == ["fr"]

    response = client.post(reverse("set_language"), {"language": "fr", "next": dashboard})

    assert response.status_code == 302 and response["Location"] == dashboard
    french = client.get(dashboard).content.decode()
    assert '<html lang="fr"' in french and "Mon parcours" in french
    # Kept: the next page, and a browser that asks for English, still get French.
    other = client.get(reverse("catalogue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="fr"' in other and "Vos cours" in other
    client.post(reverse("set_language"), {"language": "en-gb", "next": dashboard})
    assert "My learning" in client.get(dashboard).content.decode()


def test_dates_and_numbers_follow_the_language(world):
    client = Client(**FRENCH)
    client.force_login(world.users["owner"])
    url = reverse("certificate_mine", args=[world.course.slug])

    page = client.get(url).content.decode()

    issued = world.certificate.issued_at
    with translation.override("fr"):
        from django.utils.formats import date_format

        assert date_format(issued, "j F Y") in page
    assert re.search(
        r"\d+ (janvier|février|mars|avril|mai|juin|juillet|août|septembre"
        r"|octobre|novembre|décembre) \d{4}",
        page,
    )


def test_the_password_reset_email_is_written_in_the_readers_language(world):
    learner = world.users["owner"]
    Client(**FRENCH).post(reverse("password_reset"), {"email": learner.email})

    [message] = mail.outbox
    assert "Choisissez un nouveau mot de passe ici" in message.body
    assert "Courseware" in message.body and learner.get_username() in message.body
    assert not untranslated(message.body.split("http")[0] + message.subject)


# --- The admin's authoring pages ---------------------------------------------------------


def _authoring_pages(world) -> dict[str, object]:
    """The admin's own pages an instructor writes a course with, each rolled back: the
    change pages, the question editor and its preview, a lesson's preview, the document
    draft and its report, a course zip's plan and a bad zip's error, archiving."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assessments.tests.test_admin import SMALL_COURSE, zipped

    client = Client(**FRENCH)
    client.force_login(world.users["instructor"])
    question_preview = reverse("admin:assessments_question_preview", args=[world.question.pk])
    editor = client.get(reverse("admin:assessments_question_change", args=[world.question.pk]))
    document = "# Radio\n\n## Brevity\n\nSay it once.\n\n## Security\n\nSay little.\n"
    requests = {
        "the course list": ("get", reverse("admin:lessons_course_changelist"), None),
        "the course page": ("get", change_url(world.course), None),
        "the module page": ("get", change_url(world.module), None),
        "the lesson page": ("get", change_url(world.lesson), None),
        "the quiz page": ("get", change_url(world.quiz), None),
        "the question editor": ("get", change_url(world.question), None),
        "a new question": (
            "get",
            f"{reverse('admin:assessments_question_add')}?quiz={world.quiz.pk}",
            None,
        ),
        "the question's history": (
            "get",
            reverse("admin:assessments_question_history", args=[world.question.pk]),
            None,
        ),
        "the question's preview": ("post", question_preview, editor_data(editor)),
        "the lesson's preview": (
            "post",
            reverse("admin:lessons_lesson_preview"),
            {"title": "Brevity", "body": "Say it **once**.\n"},
        ),
        "the GIFT import": (
            "get",
            reverse("admin:assessments_quiz_import_gift", args=[world.quiz.pk]),
            None,
        ),
        "the document upload": ("get", reverse("admin:lessons_course_from_document"), None),
        "the draft's report": (
            "post",
            reverse("admin:lessons_course_from_document"),
            {"document": SimpleUploadedFile("radio.md", document.encode())},
        ),
        "the zip upload": ("get", reverse("admin:lessons_course_import"), None),
        "the zip's plan": (
            "post",
            reverse("admin:lessons_course_import"),
            {"archive": zipped(SMALL_COURSE)},
        ),
        "a bad zip": (
            "post",
            reverse("admin:lessons_course_import"),
            {"archive": SimpleUploadedFile("course.zip", b"not a zip")},
        ),
        "archiving a lesson learners completed": (
            "get",
            reverse("admin:lessons_lesson_delete", args=[world.closed.pk]),
            None,
        ),
        # Actions, and the page they land on with the message that says what happened.
        "the lesson archived": (
            "follow",
            reverse("admin:lessons_lesson_delete", args=[world.closed.pk]),
            {"post": "yes"},
        ),
        "the module made a draft": (
            "follow",
            reverse("admin:lessons_module_changelist"),
            {"action": "make_draft", "index": "0", "_selected_action": [world.module.pk]},
        ),
        "a draw larger than a module holds": (
            "follow",
            change_url(world.quiz),
            {**quiz_data(client, world.quiz), "draw_count": "5", "draw_per": "module"},
        ),
    }
    pages = {}
    for what, (method, url, data) in requests.items():
        with transaction.atomic():
            if method == "get":
                response = client.get(url)
            else:
                response = client.post(url, data, follow=method == "follow")
            # The draft's own titles are course text, read before the draft is rolled back.
            # And the uploads' names: the instructor's, as people's names are.
            pages[what] = (response, [*course_texts(), "course.zip", "radio.md"])
            transaction.set_rollback(True)
    return pages


def html_text(page: str) -> str:
    return lxml.html.fromstring(page).text_content()


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def quiz_data(client, quiz) -> dict:
    """The quiz page's form as the browser would send it back."""
    from lessons.tests.test_admin import form_data

    return form_data(client.get(change_url(quiz)))


def editor_data(page) -> dict:
    """The question editor's form as the browser would send it back."""
    from lessons.tests.test_admin import form_data

    return form_data(page)


def test_the_admins_authoring_pages_speak_french(world, unknown_to_french):
    pages = _authoring_pages(world)

    assert {what: response.status_code for what, (response, _) in pages.items()} == dict.fromkeys(
        pages, 200
    )
    assert not unknown_to_french, f"untranslated messages: {unknown_to_french}"
    misses = {}
    for what, (response, texts) in pages.items():
        html = response.content.decode()
        assert '<html lang="fr"' in html, what
        if found := untranslated(interface_text(html, texts)):
            misses[what] = found
    assert not misses, "English left on French pages:\n" + "\n".join(
        f"{what}: {found}" for what, found in misses.items()
    )
    said = {what: pages[what][0].content.decode() for what in pages}
    assert "a été archivé, pas supprimé" in said["the lesson archived"]
    assert "1 module\xa0: statut «\xa0brouillon\xa0»" in said["the module made a draft"]
    assert "Chaque tentative tire 5 questions de chaque module" in html_text(
        said["a draw larger than a module holds"]
    )
    # The file formats' own messages stay English, and say so.
    assert '<span lang="en">the zip: not a zip file' in pages["a bad zip"][0].content.decode()


# --- Dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "written"),
    [
        ("en-gb", ["2 Dec 2026", "2 Jun 2026", "2 Jul 2026", "2 Dec 2026, 14:05"]),
        ("fr", ["2 déc. 2026", "2 juin 2026", "2 juil. 2026", "2 déc. 2026 14:05"]),
    ],
)
def test_a_date_in_running_text_is_shortened_as_the_language_writes_it(language, written):
    december, june, july = (datetime(2026, month, 2, 14, 5) for month in (12, 6, 7))
    with translation.override(language):
        assert [
            date_format(december, "SHORT_DATE_FORMAT"),
            date_format(june, "SHORT_DATE_FORMAT"),
            date_format(july, "SHORT_DATE_FORMAT"),
            date_format(december, "SHORT_DATETIME_FORMAT"),
        ] == written


def test_no_template_spells_out_a_short_month():
    """Django's "M" is "Déc" in French, and "Jui" for both June and July: a short month goes
    through the language's SHORT_DATE_FORMAT (courseware/formats/)."""
    spelled = []
    for template in (Path(settings.BASE_DIR) / "templates").rglob("*.html"):
        for found in re.findall(r"""\|date:["']([^"']+)["']""", template.read_text()):
            if "M" in found and not found.endswith("_FORMAT"):
                spelled.append(f"{template.name}: {found}")
    assert not spelled


def test_the_catalogues_left_out_of_the_chain_translated_nothing():
    """``courseware.apps.empty_fallbacks_drop``: the same text in either language, faster."""
    from gettext import GNUTranslations

    from django.utils import translation
    from django.utils.translation import trans_real

    from courseware.apps import empty_fallbacks_drop

    messages = ["Course contents", "Log out", "This field is required.", "January", "Color"]

    def texts():
        shown = []
        for code, _ in settings.LANGUAGES:
            with translation.override(code):
                for message in messages:
                    shown += [
                        translation.gettext(message),
                        translation.ngettext(message, f"{message}s", 2),
                        translation.pgettext("lesson", message),
                    ]
        return shown

    kept = trans_real._translations
    try:
        trans_real._translations = {}
        before = texts()
        trans_real._translations = {}
        empty_fallbacks_drop()
        after = texts()
        link = trans_real.translation("en-gb")
        while (link := link._fallback) is not None:
            assert not (type(link) is GNUTranslations and set(link._catalog) <= {""})
    finally:
        trans_real._translations = kept
    assert after == before
    assert "Sommaire du cours" in after

"""Playwright driving Debian's Chromium against pytest-django's live server.

One browser for the whole session, a fresh context (cookies, viewport) per
test, the shipped course imported once per test. Every page a test looks at
goes through ``audit``: zero axe-core violations (WCAG 2.1 A/AA), Bootstrap
actually styling the page, nothing fetched from outside the app, nothing wider
than a 375 px phone, and full-page screenshots for people to look at. Every
page of every test must also keep to the Content-Security-Policy: anything the
browser refuses (an inline script or style, say) fails the test.

Without a ``chromium`` executable every browser test is skipped, with the
reason printed by ``pytest -ra``; it never passes without having run.
"""

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler

CHROMIUM_MISSING = "Chromium not found: install Debian's chromium package to run browser tests"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # The machines these tests run on have a closed network: without these,
    # Chromium keeps trying to reach Google's services in the background.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
COURSE_FOLDER = Path(settings.BASE_DIR) / "fixtures" / "military-diplomacy"
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
FAILURES = Path(settings.BASE_DIR) / "artifacts" / "failures"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ASSET_TYPES = {"stylesheet", "script", "image", "font"}
PASSWORD = "correct horse battery staple"


def pytest_collection_modifyitems(items):
    """The browser tests run first, in one worker: together they are the longest run of any
    worker, so it starts them at once while the others take everything else. Two Chromiums
    with their single-threaded servers on two cores took longer than one. (This hook sees
    every collected test, not only this folder's.)"""
    items.sort(key=lambda item: item.get_closest_marker("browser") is None)
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))


def chromium_executable() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="package")
def browser():
    executable = chromium_executable()
    if executable is None:
        pytest.skip(CHROMIUM_MISSING)
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright not installed: pip install -e '.[test]'"
    )
    # Playwright's sync API runs an asyncio event loop in the test thread, so
    # Django sees a "running loop" and raises SynchronousOnlyOperation on every
    # ORM call the test makes (importing the course, reading an attempt's
    # snapshots). Those calls never overlap the loop's own work — the loop only
    # runs while a Playwright call blocks — so lifting the guard is safe here.
    # Set here rather than at import, so that a run without browser tests (or
    # with Chromium missing) keeps the guard everywhere. The loop runs until
    # Playwright stops, so the browser lives as long as this folder's tests
    # (package scope), not the session: the tests a worker runs after them, and
    # the commands they start, find the guard in place.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class SingleThreadedLiveServerThread(LiveServerThread):
    """The live server, answering one request at a time.

    The test database is SQLite in memory, so Django hands the server the
    test's own connection. Its usual threaded server would then run requests
    that arrive together (htmx saving two answers, say) on that one connection
    at once: transactions interleave and SQLite answers "database table is
    locked". One request at a time is what Django's own test suite does.
    """

    def _create_server(self, connections_override=None):
        return OneAtATimeWSGIServer(
            (self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False
        )


class OneAtATimeWSGIServer(WSGIServer):
    def close_request(self, request):
        # As Django's threaded server does: with CONN_MAX_AGE the connection
        # would outlive the tests and block dropping a PostgreSQL test database.
        connections.close_all()
        super().close_request(request)


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server (statics served by the staticfiles finders), single-threaded."""
    from pytest_django.live_server_helper import LiveServer

    address = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(address, start=False)
    threaded = server.thread
    server.thread = SingleThreadedLiveServerThread(
        threaded.host,
        static_handler=threaded.static_handler,
        connections_override=threaded.connections_override,
        port=threaded.port,
    )
    server.thread.daemon = True
    server.start()
    yield server
    server.stop()


@pytest.fixture
def course(browser, live_server):
    """The shipped military-diplomacy course, in the live server's database."""
    from assessments.course_io import course_import

    imported, _ = course_import(COURSE_FOLDER)
    return imported


# --- Auditing a page ---------------------------------------------------------


def moved_on(request) -> bool:
    """The browser dropped the request because the test went on to the next page (an icon the
    admin's scripts add late, say): not a broken asset, which answers 404 or 500 instead."""
    return request.failure == "net::ERR_ABORTED"


@dataclass
class RequestLog:
    """Every request the browser made, to catch CDNs and broken assets."""

    origin: str
    external: list[str] = field(default_factory=list)
    broken_assets: list[str] = field(default_factory=list)

    def watch(self, context) -> None:
        context.on("request", self._on_request)
        context.on("response", self._on_response)
        context.on("requestfailed", self._on_failed)

    def _on_request(self, request) -> None:
        url = urlsplit(request.url)
        if url.scheme in ("data", "blob", "about"):
            return
        if f"{url.scheme}://{url.netloc}" != self.origin:
            self.external.append(request.url)

    def _on_response(self, response) -> None:
        if response.request.resource_type in ASSET_TYPES and response.status >= 400:
            self.broken_assets.append(f"{response.status} {response.url}")

    def _on_failed(self, request) -> None:
        if request.resource_type in ASSET_TYPES and not moved_on(request):
            self.broken_assets.append(f"failed ({request.failure}) {request.url}")

    def assert_clean(self) -> None:
        assert not self.external, "Requests left the app (CDN?):\n" + "\n".join(self.external)
        assert not self.broken_assets, "Assets did not load:\n" + "\n".join(self.broken_assets)


@dataclass
class PolicyViolations:
    """Everything the browser refused under the Content-Security-Policy.

    Chromium reports a refusal on the console; the ``securitypolicyviolation``
    event catches the ones it does not (an init script runs before the page's
    own and is not itself subject to the policy)."""

    seen: list[str] = field(default_factory=list)

    def watch(self, context) -> None:
        context.add_init_script(
            """document.addEventListener("securitypolicyviolation", (event) => {
                console.error(`CSP violation: ${event.violatedDirective} blocked `
                    + `${event.blockedURI || "inline code"} at ${event.sourceFile || document.URL}`
                    + `:${event.lineNumber}`);
            });"""
        )
        context.on("console", self._on_console)

    def _on_console(self, message) -> None:
        text = message.text
        if "CSP violation" in text or "Content Security Policy" in text:
            self.seen.append(f"{message.page.url if message.page else '?'}: {text}")

    def assert_clean(self) -> None:
        if self.seen:
            pytest.fail(
                "The Content-Security-Policy refused:\n" + "\n".join(self.seen), pytrace=False
            )


_axe = None


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA findings on the page as it has settled.

    A control still fading into its hover or focus colours has, for that moment, neither its
    old contrast nor its new one: axe would judge a colour nobody reads. axe is read into the
    page once (half a megabyte of script), not again for the same page at another width."""
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    page.wait_for_function(
        "() => document.getAnimations().every("
        "(a) => !(a instanceof CSSTransition) || a.playState !== 'running')"
    )
    if not page.evaluate("() => 'axe' in window"):
        page.evaluate(_axe.axe_script)
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
    return page.evaluate("(options) => axe.run(options)", options)["violations"]


@dataclass
class AxeFindings:
    """Violations across every page of a test, each offending element listed once.

    The same element (the navigation bar, say) usually fails on every page: a
    developer needs it once, with the pages it was seen on.
    """

    rules: dict[str, dict] = field(default_factory=dict)

    def add(self, violations: list[dict], where: str) -> None:
        for violation in violations:
            rule = self.rules.setdefault(violation["id"], {**violation, "elements": {}})
            for node in violation["nodes"]:
                element = rule["elements"].setdefault(
                    node["html"][:300],
                    {"target": node["target"], "summary": node.get("failureSummary") or ""},
                )
                element.setdefault("pages", []).append(where)

    def report(self) -> str:
        lines = []
        for rule_id, rule in self.rules.items():
            lines.append(f"- {rule_id} ({rule['impact']}): {rule['help']}\n  {rule['helpUrl']}")
            for html, element in rule["elements"].items():
                lines.append(f"    {html}\n      target: {json.dumps(element['target'])}")
                lines.append("      " + element["summary"].replace("\n", "\n      "))
                pages = list(dict.fromkeys(element["pages"]))
                shown = ", ".join(pages[:6]) + (
                    f" and {len(pages) - 6} more" if len(pages) > 6 else ""
                )
                lines.append(f"      on: {shown}")
        return "\n".join(lines)


@dataclass
class Auditor:
    log: RequestLog
    axe: AxeFindings = field(default_factory=AxeFindings)
    # Other problems (overflow, missing CSS) by page: a test collects every
    # page's problems and fails once, listing them all.
    problems: dict[str, list[str]] = field(default_factory=dict)

    def __call__(self, page, name: str, *, screenshots: bool = True) -> None:
        """Check the page as it is now; record what is wrong under ``name``.

        With ``screenshots`` (the main pages) axe runs at both widths and both
        are saved; without (the 17 other lessons…) axe runs at desktop width
        only, which keeps the journey fast.
        """
        page.wait_for_load_state("load")
        where = f"{name} {urlsplit(page.url).path}"
        found = []
        # Bootstrap's reboot zeroes the body's margin (browsers default to 8px):
        # a cheap proof that the stylesheet was served and applied.
        if page.evaluate("getComputedStyle(document.body).marginTop") != "0px":
            found.append("Bootstrap's CSS is not applied")
        viewport = page.viewport_size
        page.set_viewport_size(DESKTOP)
        self.axe.add(axe_violations(page), f"{where} (1280 px)")
        if screenshots:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png", full_page=True)
        page.set_viewport_size(PHONE)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            found.append(f"at 375 px the page is {width} px wide: {wider_than_phone(page)}")
        if screenshots:
            # The phone layout hides and shows other things (the collapsed menu).
            self.axe.add(axe_violations(page), f"{where} (375 px)")
            page.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
        page.set_viewport_size(viewport or DESKTOP)
        if found:
            self.problems.setdefault(where, []).extend(found)

    def assert_clean(self) -> None:
        self.log.assert_clean()
        failures = [f"{page}:\n  " + "\n  ".join(found) for page, found in self.problems.items()]
        if self.axe.rules:
            failures.append(
                f"axe-core found {len(self.axe.rules)} WCAG 2.1 A/AA rule(s) broken:\n"
                + self.axe.report()
            )
        if failures:
            pytest.fail("\n\n".join(failures), pytrace=False)


def wider_than_phone(page) -> str:
    """The elements that stick out past the right edge, to say what to fix."""
    return page.evaluate(
        """() => {
        const out = [];
        for (const el of document.body.querySelectorAll('*')) {
            const box = el.getBoundingClientRect();
            if (box.right > document.documentElement.clientWidth + 1 && box.width > 0) {
                const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                    + (el.className && typeof el.className === 'string'
                       ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
                out.push(`${name} (right edge ${Math.round(box.right)} px)`);
                if (out.length >= 5) break;
            }
        }
        return out.join(', ');
    }"""
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_test_failed = report.failed
    return report


@pytest.fixture
def new_context(request, browser, live_server):
    """Open browser contexts on the live server; every one's requests are logged.

    When the test fails, each open page is saved to artifacts/failures/ as it was."""
    contexts = []
    log = RequestLog(origin=live_server.url)
    violations = PolicyViolations()

    def open_context(**options):
        context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, **options)
        context.set_default_timeout(10_000)
        log.watch(context)
        violations.watch(context)
        contexts.append(context)
        return context

    open_context.log = log
    yield open_context
    if getattr(request.node, "browser_test_failed", False):
        FAILURES.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^\w.-]+", "_", request.node.name)[:100]
        pages = [page for context in contexts for page in context.pages]
        for number, page in enumerate(pages, start=1):
            page.screenshot(path=FAILURES / f"{stem}-{number}.png", full_page=True)
            print(f"Failed at {page.url}: see {FAILURES / f'{stem}-{number}.png'}")
    for context in contexts:
        context.close()
    violations.assert_clean()


@pytest.fixture
def context(request, new_context):
    """A browser context; a test names its browser's locale by parametrizing ``context``
    indirectly (``"fr-FR"``), else the browser's default."""
    locale = getattr(request, "param", None)
    return new_context(locale=locale) if locale else new_context()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def audit(new_context) -> Iterator[Auditor]:
    auditor = Auditor(log=new_context.log)
    yield auditor


# --- Learners ----------------------------------------------------------------


def log_in(context, user, live_server) -> None:
    """Give the browser a session for ``user`` without going through the form."""
    from tests.factories import logged_in_session

    cookie = {"name": settings.SESSION_COOKIE_NAME, "url": live_server.url}
    context.add_cookies([{**cookie, "value": logged_in_session(user).session_key}])


@pytest.fixture
def enrolled_learner(course, context, live_server):
    """A learner enrolled in the shipped course, logged in in ``context``."""
    from progress.services import enrollment_create
    from tests.factories import UserFactory

    learner = UserFactory(first_name="Ada", last_name="Lovelace")
    enrollment_create(learner=learner, course=course)
    log_in(context, learner, live_server)
    return learner


def follow(page, locator) -> None:
    """Click a link or button that leads to another address, and wait until it has loaded.

    Submitting grades the attempt and may complete the course: on a machine busy with the
    other tests' workers that can take longer than a click's usual 10 s."""
    before = page.url
    locator.click()
    page.wait_for_url(lambda url: url != before, timeout=30_000)
    page.wait_for_load_state("load")

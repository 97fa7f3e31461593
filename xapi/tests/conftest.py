"""A real Learning Record Store for the tests: Ralph's LRS server, on a free local port, with
its file-system backend in a temporary folder and HTTP basic auth from its own auth file.

One server per test module (it takes a few seconds to start); each test names the site
differently (``SITE_URL``), so its statements, actors and ids are its own in the LRS.
"""

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import bcrypt
import httpx
import pytest
from django.conf import settings

from progress.services import enrollment_create, lesson_complete
from tests.factories import course_with_modules
from xapi import lrs as lrs_module

USERNAME, PASSWORD = "courseware", "lrs-test-password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Ralph:
    """Ralph's LRS as a subprocess that a test may stop and start again (same port, same
    statements)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.endpoint = f"{self.url}/xAPI/"
        self.process = None
        auth = folder / "auth.json"
        auth.write_text(
            json.dumps(
                [
                    {
                        "username": USERNAME,
                        "hash": bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode(),
                        "scopes": ["all"],
                        "agent": {
                            "account": {
                                "homePage": "https://lrs.example.org",
                                "name": "courseware",
                            }
                        },
                    }
                ]
            )
        )
        (folder / "statements").mkdir()
        self.environment = {
            **os.environ,
            "RALPH_AUTH_FILE": str(auth),
            "RALPH_RUNSERVER_BACKEND": "fs",
            # Ralph rewrites a history file on every read and write, by default one file for
            # every Ralph of the machine: two test workers' LRSs would read each other's
            # half-written file and answer 500.
            "RALPH_HISTORY_FILE": str(folder / "history.json"),
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(folder / "statements"),
        }

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "xapi.tests.ralph_server", str(self.port)],
            env=self.environment,
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "ralph.log").open("ab"),
            cwd=settings.BASE_DIR,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Ralph stopped: {(self.folder / 'ralph.log').read_text()}")
            try:
                if httpx.get(f"{self.url}/__heartbeat__", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("Ralph did not start within 60 seconds")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None

    def statements(self, *, site: str) -> list[dict]:
        """Every statement the LRS holds about ``site``'s learners, read back through the xAPI
        (GET /xAPI/statements, following ``more``)."""
        found, address = [], f"{self.url}/xAPI/statements?limit=500"
        with httpx.Client(auth=(USERNAME, PASSWORD), timeout=10) as client:
            while address:
                answer = client.get(address, headers={"X-Experience-API-Version": "1.0.3"})
                answer.raise_for_status()
                page = answer.json()
                found += page["statements"]
                more = page.get("more")
                address = f"{self.url}{more}" if more else None
        return [s for s in found if s["actor"].get("account", {}).get("homePage") == site]


@pytest.fixture(scope="module")
def ralph(tmp_path_factory):
    server = Ralph(tmp_path_factory.mktemp("ralph"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def lrs(ralph, settings):
    """The LRS configured for this test, under a site name of its own; running again if a
    test stopped it."""
    if ralph.process is None:
        ralph.start()
    settings.SITE_URL = f"https://courseware-{uuid.uuid4().hex[:12]}.test"
    settings.XAPI_ENDPOINT = ralph.endpoint
    settings.XAPI_USERNAME, settings.XAPI_PASSWORD = USERNAME, PASSWORD
    return ralph


@pytest.fixture
def lessons_read(settings, learner, now):
    """``lessons_read(n)``: the learner reads n lessons, n statements wait."""
    settings.XAPI_ENDPOINT = "https://lrs.example.org/xAPI/"

    def read(count):
        course = course_with_modules(modules=1, lessons=count, final_exam=False)
        enrollment_create(learner=learner, course=course)
        for lesson in course.lessons.all():
            lesson_complete(learner=learner, lesson=lesson, now=now)

    return read


def lrs_answering(monkeypatch, answer) -> None:
    """The sender's LRS is ``answer``, a function from the request to the response."""
    monkeypatch.setattr(
        lrs_module,
        "lrs_client",
        lambda: httpx.Client(
            base_url=settings.XAPI_ENDPOINT, transport=httpx.MockTransport(answer)
        ),
    )

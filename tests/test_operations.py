"""What an operator relies on: health checks, request logs, production settings."""

import json
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings

from courseware.logs import JsonFormatter

pytestmark = pytest.mark.django_db


def test_healthz_reports_the_database_reachable(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": True}}


def test_readyz_checks_database_cache_and_migrations(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "cache": True, "migrations": True}


def test_readyz_is_unavailable_while_migrations_are_pending(client, monkeypatch):
    monkeypatch.setattr("courseware.health._migrations_applied", lambda: False)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_each_request_is_logged_once_as_structured_fields(client, caplog):
    with caplog.at_level(logging.INFO, logger="courseware.requests"):
        response = client.get("/healthz", headers={"X-Request-ID": "abc123"})

    [record] = [r for r in caplog.records if r.name == "courseware.requests"]
    line = json.loads(JsonFormatter().format(record))
    assert line["method"] == "GET"
    assert line["path"] == "/healthz"
    assert line["status"] == 200
    assert line["request_id"] == "abc123"
    assert isinstance(line["duration_ms"], float)
    assert response["X-Request-ID"] == "abc123"


def deploy_check(**environment) -> subprocess.CompletedProcess:
    """``manage.py check --deploy`` with production settings and ``environment``."""
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": "x" * 60 + "production-grade-secret",
            "ALLOWED_HOSTS": "courses.example.org",
            **environment,
        },
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_pass_the_deployment_checks():
    # Every worker shares the cache.
    result = deploy_check(REDIS_URL="redis://127.0.0.1:6379/0")

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deployment_checks_warn_of_a_cache_each_worker_keeps_to_itself():
    result = deploy_check(REDIS_URL="")

    assert result.returncode != 0
    assert "progress.W001" in result.stderr and "REDIS_URL" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    environment = {**os.environ, "DEBUG": "0", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def _redis_or_skip(url: str):
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        pytest.skip(f"needs Redis at {url}")


@pytest.mark.xdist_group("redis")  # empties a Redis database: one such test at a time
def test_the_redis_cache_is_shared_between_processes_and_reuses_its_client():
    from courseware.cache import RedisCache

    url = "redis://127.0.0.1:6379/9"
    _redis_or_skip(url)
    one, other = (RedisCache(url, {"KEY_PREFIX": "ops-test"}) for _ in range(2))
    one.clear()

    one.set_many({"outline": [1, 2], "version": "abc"})

    assert other.get_many(["outline", "version", "missing"]) == {
        "outline": [1, 2],
        "version": "abc",
    }
    assert one._cache.get_client() is one._cache.get_client(write=True)
    one.clear()

"""Health checks for load balancers and orchestrators.

/healthz says the process can serve and reach its database (liveness);
/readyz also checks the cache and that every migration is applied, so a new
release is not sent traffic before `migrate` has run.
"""

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database_ok() -> bool:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure means "not healthy"; the reason goes to the log
        return False


def _cache_ok() -> bool:
    try:
        cache.set("healthz", "ok", 5)
        return cache.get("healthz") == "ok"
    except Exception:
        return False


def _migrations_applied() -> bool:
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        return not executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception:
        return False


def _report(checks: dict[str, bool]) -> JsonResponse:
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_GET
def healthz(request):
    return _report({"database": _database_ok()})


@never_cache
@require_GET
def readyz(request):
    return _report(
        {"database": _database_ok(), "cache": _cache_ok(), "migrations": _migrations_applied()}
    )

"""Settings for Courseware, read from the environment.

With no environment at all this is a safe local setup: SQLite in the project
folder, DEBUG on, only localhost allowed. Production sets SECRET_KEY,
DEBUG=0, ALLOWED_HOSTS, DATABASE_URL and (optionally) REDIS_URL.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Local development only: a fixed key so sessions survive restarts.
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "django_htmx",
    "adminsortable2",
    "simple_history",
    "csp",
    "axes",
    "lessons",
    "assessments",
    "progress",
    # Learning platforms launching Courseware over LTI 1.3 (lti/): above progress, which
    # it hears through courseware/events.py.
    "lti",
    # Last: its admin module composes the pages that gather parts of every app above.
    "courseware",
    # xAPI statements to a Learning Record Store: hears the apps' events
    # (courseware/events.py), none of them imports it.
    "xapi",
]

MIDDLEWARE = [
    "courseware.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before CommonMiddleware (as Django requires): the language comes from
    # the switcher's cookie, else the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After CommonMiddleware, which still adds a missing final slash to a 404's address,
    # and after the user and messages the page's menu shows.
    "courseware.not_found.NotFoundPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Records who made a change for every save in a request, inline formsets included.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "courseware.urls"
WSGI_APPLICATION = "courseware.wsgi.application"
ASGI_APPLICATION = "courseware.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "courseware.accounts.signup_open",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite lets one writer in at a time; learners' autosaves arrive together. Without
    # these, a transaction that read first and then writes is refused at once with
    # "database is locked" when another writer got in between (waiting could not help it),
    # and readers block writers. So: every transaction takes the write lock when it begins
    # (IMMEDIATE) and a busy one waits its turn up to ``timeout`` seconds; WAL lets pages be
    # read while an answer is written; synchronous=NORMAL is WAL's safe setting (a power
    # cut can lose the last commits, never corrupt the file) and spares an fsync per save.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,  # seconds; under gunicorn's 30 s worker timeout
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite has no covering indexes: it builds ``response_statistics`` without the
# included columns, which only PostgreSQL's index-only reads need.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "courseware.cache.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Each process's own memory, for what is the same for everyone and changes only with a new
# release (the menu of templates/base.html): closer than Redis, and a new release starts new
# processes, so nothing outdated is ever served from it. The development server, which reloads
# templates and translations without a new process, empties it then (courseware/apps.py).
CACHES["local"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "local"}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username is refused before its password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes): five wrong passwords for one username from one address
# lock that pair out for 15 minutes. The pair, not the username alone, so a stranger cannot
# lock a learner out of their own computer; five, because a person mistyping rarely gets
# there while a guesser gets 480 tries a day per address. Failures are kept in the
# database, which every app server shares (a cache is shared only with Redis).
# docs/security.md explains the choices.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "courseware.accounts.client_ip"
AXES_VERBOSE = False  # no banner on every manage.py command; failures are still logged
# How many reverse proxies (nginx, a load balancer) append to X-Forwarded-For in front of
# the app. 0 trusts only the connection's own address: behind nginx that is nginx's, so
# lock-out falls back to counting per username (still safe, just coarser).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# The site's address as learners reach it, without a final slash: the home page of the
# learners' accounts and the start of every activity id in xAPI statements.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# The Learning Record Store that learners' steps are sent to as xAPI statements
# (xapi/, docs/deploy.md): its base address, ending in /xAPI/, and HTTP basic auth. Unset,
# no statement is written or sent.
XAPI_ENDPOINT = os.environ.get("XAPI_ENDPOINT", "").strip()
if XAPI_ENDPOINT and not XAPI_ENDPOINT.endswith("/"):
    XAPI_ENDPOINT += "/"
XAPI_USERNAME = os.environ.get("XAPI_USERNAME", "")
XAPI_PASSWORD = os.environ.get("XAPI_PASSWORD", "")

# Anyone may create a learner account unless SIGNUP_OPEN=0.
SIGNUP_OPEN = env_bool("SIGNUP_OPEN", True)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# The interface speaks NATO's two official languages; a course's own text keeps the
# language its course.yaml names. British English stays the default (its date formats).
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates in running text, month shortened, as each language writes them (SHORT_DATE_FORMAT,
# SHORT_DATETIME_FORMAT): templates and code name the format, never spell it.
FORMAT_MODULE_PATH = ["courseware.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
# Lesson figures (lessons/figures.py), stored through the default storage.
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
# The app serves MEDIA_ROOT itself unless the web server in front does (docs/deploy.md).
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

# Production is served over HTTPS (TLS usually ends at the reverse proxy). HTTPS=0 is
# for a closed network without TLS: secure cookies would never be sent back there.
HTTPS = env_bool("HTTPS", not DEBUG)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Load balancers probe over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Browsers refuse anything the app did not serve itself: no inline script or style, no
# plugins, no framing (clickjacking), forms post only here. htmx is told not to inject its
# indicator <style> (templates/htmx_head.html); templates use classes from static/courseware/site.css.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap draws its icons as data: SVGs; lesson figures are served from MEDIA_URL.
        "img-src": [SELF, "data:"],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"  # frame-ancestors, for browsers that predate it
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # lesson and attempt addresses stay on the site
# Lax: the session survives following a link from an e-mail, but no other site can post
# with it. The CSRF token is read from the form (htmx's header comes from the page too), so
# no script needs the cookie.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# JSON lines in production (for a log collector), plain text when developing.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "courseware.logs.JsonFormatter"},
        "text": {"()": "courseware.logs.TextFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # The request log replaces Django's own per-request lines.
        "django.server": {"level": "WARNING"},
        "courseware.requests": {"level": os.environ.get("REQUEST_LOG_LEVEL", "INFO")},
        # What trafilatura warns of (a page it finds no article in) reaches the instructor
        # as the draft's own message.
        "trafilatura": {"level": "ERROR"},
        "htmldate": {"level": "ERROR"},
        # Certificates issued, attempts handed in, imports, overrides (courseware/events.py):
        # kept whatever LOG_LEVEL quiets, since operators look back through them.
        "courseware.events": {"level": "INFO"},
    },
}

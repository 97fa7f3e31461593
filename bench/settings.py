"""Settings for the benchmark server: the production settings, plus the baseline page.

bench/run.py serves with these. DEBUG is off and static files are hashed and
compressed, as in production; only what plain HTTP on 127.0.0.1 needs differs.
"""

import os

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "benchmark-only-key-never-used-in-production-4f1c9e0a7b")

from courseware.settings import *  # noqa: F403
from courseware.settings import CACHES, INSTALLED_APPS

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# The baseline page is routed here and nowhere else.
ROOT_URLCONF = "bench.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
# Plain HTTP on the loopback: no redirect to HTTPS.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# A Redis shared with a development server must not mix the two sites' entries.
for cache in CACHES.values():
    cache["KEY_PREFIX"] = "bench"

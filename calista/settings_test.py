"""Settings for the test suite: the same settings, with an in-memory broker and eager tasks by default.

With DATABASE_URL and CELERY_BROKER_URL set (CI), the suite runs on PostgreSQL and
Redis; tests that need real worker processes start them against those services.
"""

import atexit
import os
import shutil
import tempfile

_var = tempfile.mkdtemp(prefix="calista-test-")
atexit.register(shutil.rmtree, _var, ignore_errors=True)
os.environ.setdefault("VAR_DIR", _var)
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("CACHE_URL", "locmem://")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("ACE_DELAY_SECONDS", "0")
os.environ.setdefault("ACE_RATE_LIMIT_PER_HOUR", "0")

from calista.settings import *  # noqa: E402,F403
from calista.settings import DATABASES, STORAGES, VAR_DIR  # noqa: E402

CELERY_TASK_ALWAYS_EAGER = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory: worker processes started by tests must see the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

"""Settings for the test suite: the same settings, with an in-memory broker and eager tasks by default.

With DATABASE_URL and CELERY_BROKER_URL set (CI), the suite runs on PostgreSQL and
Redis; tests that need real worker processes start them against those services.
"""

import atexit
import os
import shutil
import tempfile


def redis_for_this_process(url: str) -> str:
    """The Redis database of this test process: the configured one, moved by two per xdist worker.

    Test processes run side by side on one Redis; each needs its own queues and cache, or one
    process's worker would run another's tasks against the wrong test database, and one process's
    progress of upload 1 would be read by another's.
    """
    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    head, _, db = url.rstrip("/").rpartition("/")
    return f"{head}/{int(db or 0) + 2 * index}" if db.isdigit() else url


# Every test process (the controller and each xdist worker) has a folder of its own for the SQLite test database,
# the filesystem broker and the file cache: a VAR_DIR inherited from the controller would let one process's
# worker take another's tasks to a database it does not have.
_var = tempfile.mkdtemp(prefix=f"calista-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-")
atexit.register(shutil.rmtree, _var, ignore_errors=True)
os.environ["VAR_DIR"] = _var
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("CACHE_URL", "locmem://")
if os.environ["CACHE_URL"].startswith("redis"):
    os.environ["CACHE_URL"] = redis_for_this_process(os.environ["CACHE_URL"])
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("ACE_DELAY_SECONDS", "0")
os.environ.setdefault("ACE_RATE_LIMIT_PER_HOUR", "0")
os.environ.setdefault("BOARD_CACHE_SECONDS", "0")  # tests change data and look at the board at once

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

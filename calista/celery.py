"""The Celery application. Settings come from Django settings under the CELERY_ prefix."""

import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calista.settings")
TRANSPORT_ALIASES["filesystem"] = "calista.broker:Transport"  # messages that appear whole (calista/broker.py)

app = Celery("calista")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

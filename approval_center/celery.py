"""The Celery app. Broker, schedules and task settings live in settings.py (CELERY_*)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "approval_center.settings")

app = Celery("approval_center")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

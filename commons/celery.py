"""The Celery application. Workers start with `celery -A commons worker`."""
import os

from celery import Celery

from commons.broker import keep_unacked_on_lost_connection

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commons.settings")

app = Celery("commons")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
keep_unacked_on_lost_connection()

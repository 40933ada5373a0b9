"""Imports every module that defines Celery tasks or outbox handlers."""
from marketplace.core import tasks as core_tasks  # noqa: F401
from marketplace.notifications import services as notification_services  # noqa: F401

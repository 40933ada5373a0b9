"""Entry point for `celery -A celery_worker worker` and `celery -A celery_worker beat`."""
from marketplace import create_app

app = create_app()
celery = app.extensions["celery"]

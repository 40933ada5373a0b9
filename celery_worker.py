"""Entry point for `celery -A celery_worker worker` and `celery -A celery_worker beat`."""
from marketplace import create_app

# Not named ``app``: `celery -A module` takes a module's ``app`` attribute first, and the
# Flask app is not a Celery app ("'Flask' object has no attribute 'user_options'").
flask_app = create_app()
celery = flask_app.extensions["celery"]

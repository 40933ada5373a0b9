"""The nightly reminder through the production path: the beat's nightly task handed to a
real Celery worker (``celery -A celery_worker worker``) by Redis, the reminder's outbox
message handled there, the commissioner's e-mail delivered to a loopback SMTP server."""
import pytest
from sqlalchemy import select

from marketplace.commissioners.models import Commissioner
from marketplace.core.tasks import nightly
from marketplace.extensions import db
from tests.factories import AgencyMemberFactory
from tests.integration.commissioners.builders import recognised
from tests.integration.test_celery_worker import mail_server, wait_for, worker  # noqa: F401

pytestmark = [pytest.mark.worker, pytest.mark.postgres]


def reminded(commissioner_id):
    db.session.rollback()   # a fresh snapshot: the worker commits from another process
    return db.session.execute(select(Commissioner.reminded_dt).where(
        Commissioner.id == commissioner_id)).scalar_one()


def test_the_nightly_task_reminds_a_silent_commissioner_by_mail(worker, mail_server):  # noqa: F811
    user = AgencyMemberFactory(email="silent.commissioner@example.com", locale="en")
    commissioner = recognised(user=user, since_days=70)
    db.session.commit()

    nightly.delay()

    wait_for(lambda: reminded(commissioner.id), "the reminder's record", worker)
    [mail] = wait_for(lambda: mail_server.to("silent.commissioner@example.com"),
                      "the reminder's e-mail", worker)
    assert mail["Subject"] == "Reminder: no service logged for 70 days"
    assert "core.nightly" in worker.log()


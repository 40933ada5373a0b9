from types import SimpleNamespace

import pytest
from sqlalchemy import text

from marketplace.core import audit
from marketplace.core.audit import AuditRecord, ChainBroken, verify_chain
from marketplace.core.audit_seal import seal
from marketplace.extensions import db
from tests.factories import FirmMemberFactory


def _write_entries(count, subject_id=7, sealed=True):
    """``count`` entries about a subject that has no table (a user made by a factory would
    bring its organisation's first version, a record of its own, into the numbering),
    then sealed as the sealer does after the commit."""
    subject = SimpleNamespace(id=subject_id)
    for number in range(count):
        audit.record(subject, f"step{number}", actor=subject_id, before="a", after="b",
                     data={"n": number}, object_type="User")
    db.session.commit()
    if sealed:
        seal()
    return subject


def test_entries_are_written_at_commit_and_chained():
    user = _write_entries(3)
    rows = db.session.query(AuditRecord).order_by(AuditRecord.id).all()
    assert [r.action for r in rows] == ["step0", "step1", "step2"]
    assert rows[0].prev_hash == audit.GENESIS_HASH
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert rows[0].object_id == str(user.id) and rows[0].actor_id == user.id
    assert verify_chain() == 3


def test_a_rolled_back_change_leaves_no_audit_entry():
    user = FirmMemberFactory()
    db.session.commit()
    audit.record(user, "never", actor=user)
    db.session.rollback()
    db.session.commit()
    assert db.session.query(AuditRecord).filter_by(action="never").count() == 0


@pytest.mark.tamper
def test_an_altered_record_is_found_and_named():
    _write_entries(4)
    target = db.session.query(AuditRecord).order_by(AuditRecord.id).all()[1]
    db.session.execute(text("UPDATE audit_records SET data = :d WHERE id = :id"),
                       {"d": '{"n": 99}', "id": target.id})
    db.session.commit()
    with pytest.raises(ChainBroken) as broken:
        verify_chain()
    assert broken.value.record_id == target.id


@pytest.mark.tamper
def test_a_deleted_record_breaks_the_next_link(app):
    _write_entries(4)
    rows = db.session.query(AuditRecord).order_by(AuditRecord.id).all()
    db.session.execute(text("DELETE FROM audit_records WHERE id = :id"), {"id": rows[1].id})
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"audit record {rows[2].id}" in result.output


def test_the_cli_reports_an_intact_chain(app):
    _write_entries(2)
    _write_entries(3, sealed=False)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    assert "intact: 2 records" in result.output
    assert "3 records written after it, not sealed yet" in result.output


# --- the sequence and the checkpoints (issue 18, item 9 and found item 11) ------------------

def _delete_from_sequence(first):
    db.session.execute(text("DELETE FROM audit_records WHERE sequence >= :first"),
                       {"first": first})
    db.session.commit()


def _anchor():
    checkpoint = audit.write_checkpoint()
    db.session.commit()
    return checkpoint


def test_records_are_numbered_in_chain_order_without_a_gap():
    _write_entries(3)
    _write_entries(2)
    rows = db.session.query(AuditRecord).order_by(AuditRecord.id).all()
    assert [r.sequence for r in rows] == [1, 2, 3, 4, 5]


@pytest.mark.tamper
def test_deleting_the_newest_records_is_named_against_the_checkpoint(app):
    _write_entries(5)
    checkpoint = _anchor()
    assert (checkpoint.sequence, checkpoint.head_hash) == (5, db.session.scalars(
        db.select(AuditRecord.hash).where(AuditRecord.sequence == 5)).one())
    _delete_from_sequence(4)
    with pytest.raises(ChainBroken) as broken:
        verify_chain()
    assert broken.value.record_id is None
    assert broken.value.reason == (
        f"records after sequence 3 are missing: the chain ends at 3 but checkpoint "
        f"{checkpoint.id} of {checkpoint.created_dt.isoformat(timespec='seconds')} saw 5")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "records after sequence 3 are missing" in result.output


@pytest.mark.tamper
def test_a_shortened_chain_written_on_again_does_not_match_its_checkpoint():
    _write_entries(5)
    checkpoint = _anchor()
    _delete_from_sequence(4)
    _write_entries(3)    # 4, 5 and 6 again, chained to record 3: a sound chain but another
    record_5 = db.session.scalars(db.select(AuditRecord).where(AuditRecord.sequence == 5)).one()
    with pytest.raises(ChainBroken) as broken:
        verify_chain()
    assert broken.value.record_id == record_5.id
    assert broken.value.reason.startswith(f"record 5 is not the one {checkpoint.describe()}")


@pytest.mark.tamper
def test_a_gap_in_the_sequence_is_named(app):
    _write_entries(4)
    # the links stay sound: only the numbering shows records 5 to 9 gone
    db.session.execute(text("UPDATE audit_records SET sequence = 10 WHERE sequence = 4"))
    db.session.commit()
    last = db.session.scalars(db.select(AuditRecord).where(AuditRecord.sequence == 10)).one()
    with pytest.raises(ChainBroken) as broken:
        verify_chain()
    assert (broken.value.record_id, broken.value.reason) == (
        last.id, "records 4 to 9 are missing: the sequence goes from 3 to 10")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"audit record {last.id}: records 4 to 9 are missing" in result.output


def test_a_sound_chain_is_verified_up_to_its_checkpoint(app):
    _write_entries(3)
    checkpoint = _anchor()
    _write_entries(2)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact: 5 records, sequence 1 to 5 without a gap" in result.output
    assert f"verified up to {checkpoint.describe()}: record 3 has its hash " \
           f"{checkpoint.head_hash[:16]}" in result.output


@pytest.mark.tamper
def test_a_published_checkpoint_catches_a_deletion_that_took_the_stored_ones_too(app):
    _write_entries(4)
    checkpoint = _anchor()
    published = f"{checkpoint.sequence}:{checkpoint.head_hash}"
    db.session.execute(text("DELETE FROM audit_checkpoints"))
    _delete_from_sequence(3)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0   # nothing to compare
    result = runner.invoke(args=["audit", "verify", "--checkpoint", published])
    assert result.exit_code == 1
    assert "the chain ends at 2 but the published checkpoint at 4 saw 4" in result.output


def test_the_nightly_job_anchors_the_chain_and_mails_the_supervisors(app, smtp_server):
    from marketplace.accounts.models import Role
    from marketplace.core import outbox
    from marketplace.core.tasks import nightly
    from tests.factories import UserFactory

    supervisors = [UserFactory(role=Role.SUPERVISOR, locale="en"),
                   UserFactory(role=Role.SUPERVISOR, locale="zh")]
    UserFactory(role=Role.AUDITOR, email="auditor@example.com")
    _write_entries(2, sealed=False)     # the night seals what the day left before anchoring
    the_days_last = db.session.scalar(db.select(db.func.max(AuditRecord.id)))
    db.session.commit()
    nightly()
    outbox.relay_pending()
    [checkpoint] = audit.latest_checkpoints(5)
    # the checkpoint covers the whole day, and names the record it anchors; the night's
    # other jobs (reconciling with the gateway, reminders) may write records after it
    day_sealed_to = db.session.scalar(db.select(db.func.max(AuditRecord.sequence))
                                      .where(AuditRecord.id <= the_days_last))
    assert checkpoint.sequence >= day_sealed_to
    anchored = db.session.scalar(db.select(AuditRecord.hash)
                                 .where(AuditRecord.sequence == checkpoint.sequence))
    assert anchored == checkpoint.head_hash
    # the night's other jobs may mail too (the gateway's reconciliation refunds a charge an
    # earlier test left there, and tells the supervisors):
    # the checkpoint's mails are those that carry the command to verify it
    mails = {mail["To"]: smtp_server.body(mail) for mail in smtp_server.messages
             if "flask audit verify --checkpoint" in smtp_server.body(mail)}
    assert set(mails) == {s.email for s in supervisors}
    for body in mails.values():
        assert checkpoint.head_hash in body
        assert f"flask audit verify --checkpoint {checkpoint.sequence}:" in body
    [english] = [mail for mail in smtp_server.to(supervisors[0].email)
                 if "flask audit verify --checkpoint" in smtp_server.body(mail)]
    assert english["Subject"] == (f"Audit log checkpoint {checkpoint.id}: "
                                  f"{checkpoint.sequence} records")


def test_the_transparency_page_publishes_the_latest_checkpoints(client):
    _write_entries(2)
    first = _anchor()
    _write_entries(1)
    second = _anchor()
    page = client.get("/transparency?lang=en").get_data(as_text=True)
    assert first.head_hash in page and second.head_hash in page
    assert page.index(second.head_hash) < page.index(first.head_hash)   # newest first


def test_an_empty_chain_has_nothing_to_anchor():
    assert audit.write_checkpoint() is None


@pytest.mark.postgres
def test_concurrent_writers_number_the_chain_without_a_gap_or_a_double(app):
    import threading

    user_id, start = 7, threading.Barrier(8)

    def write():
        with app.app_context():
            start.wait()
            for number in range(5):
                audit.record(None, f"w{number}", actor=user_id, object_type="User")
                db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seal()
    assert sorted(db.session.scalars(db.select(AuditRecord.sequence))) == list(range(1, 41))
    assert verify_chain() == 40


def test_a_checkpoint_can_be_written_by_hand(app):
    runner = app.test_cli_runner()
    assert "nothing to anchor" in runner.invoke(args=["audit", "checkpoint"]).output
    _write_entries(2)
    result = runner.invoke(args=["audit", "checkpoint"])
    [checkpoint] = audit.latest_checkpoints(5)
    assert result.exit_code == 0
    assert f"{checkpoint.describe()}: sequence 2, head {checkpoint.head_hash}" in result.output


def test_the_seal_command_chains_what_is_written_and_can_anchor_it(app):
    runner = app.test_cli_runner()
    _write_entries(3, sealed=False)
    result = runner.invoke(args=["audit", "seal", "--batch-size", "2", "--checkpoint"])
    assert result.exit_code == 0, result.output
    assert "batch 2: 3 records chained so far" in result.output
    assert "sealed 3 records in 2 batches; 0 not sealed yet" in result.output
    [checkpoint] = audit.latest_checkpoints(5)
    assert checkpoint.sequence == 3
    assert f"sequence 3, head {checkpoint.head_hash}" in result.output
    assert "sealed 0 records" in runner.invoke(args=["audit", "seal"]).output

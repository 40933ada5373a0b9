import pytest
from sqlalchemy import text

from marketplace.core import audit
from marketplace.core.audit import AuditRecord, ChainBroken, verify_chain
from marketplace.extensions import db
from tests.factories import FirmMemberFactory


def _write_entries(count):
    user = FirmMemberFactory()
    for number in range(count):
        audit.record(user, f"step{number}", actor=user, before="a", after="b",
                     data={"n": number})
    db.session.commit()
    return user


def test_entries_are_written_at_commit_and_chained():
    user = _write_entries(3)
    every = db.session.query(AuditRecord).order_by(AuditRecord.id).all()
    # the factory's organisation was given its first version (a record) before the steps
    assert [r.action for r in every] == ["version", "step0", "step1", "step2"]
    rows = every[1:]
    assert every[0].prev_hash == audit.GENESIS_HASH and rows[0].prev_hash == every[0].hash
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert rows[0].object_id == str(user.id) and rows[0].actor_id == user.id
    assert verify_chain() == 4


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
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    assert "intact: 3 records" in result.output   # the 2 and the first version's

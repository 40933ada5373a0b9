"""Programmes, eligibility with clauses, decisions, the budget ledger, expiry."""
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import text

from marketplace import funds
from marketplace.accounts.models import FirmTier
from marketplace.core import ledger
from marketplace.core.audit import AuditRecord
from marketplace.core.errors import InvalidTransition, ValidationFailed
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.vouchers import budget_use
from marketplace.vouchers import lifecycle, services
from marketplace.vouchers.models import ApplicationStatus, VoucherStatus
from tests.factories import (FirmMemberFactory, make_application, make_programme,
                             make_voucher, staff)


def _describe_failures(error):
    return [item["message"] for item in error.value.details["failed"]]


def test_a_request_above_the_tier_cap_is_refused_citing_the_clause_and_version():
    programme = make_programme()
    services.update_programme(programme, actor=None, rules={"cap_fen_tech_sme": 150_000_00})
    with force_locale("en"), pytest.raises(services.Ineligible) as refused:
        make_application(programme, requested_fen=200_000_00)
    assert _describe_failures(refused) == [
        "Rule 3.2 (v2): per-firm cap for tech SMEs is ¥150,000.00"]


def test_every_failed_rule_is_listed_with_its_clause():
    programme = make_programme(opens=date.today() + timedelta(days=1),
                               closes=date.today() + timedelta(days=10))
    member = FirmMemberFactory(organisation__firm_tier=None, organisation__district=None)
    with force_locale("en"), pytest.raises(services.Ineligible) as refused:
        make_application(programme, member, declares=False)
    clauses = [item["clause"] for item in refused.value.details["failed"]]
    assert clauses == ["1.1", "2.1", "2.3", "3.3"]


def test_one_live_application_and_one_voucher_per_firm_and_programme():
    programme = make_programme()
    member = FirmMemberFactory()
    make_application(programme, member)
    with pytest.raises(services.Ineligible) as refused:
        make_application(programme, member)
    assert [i["clause"] for i in refused.value.details["failed"]] == ["3.1"]


def test_approval_issues_the_voucher_from_the_pool_and_records_the_rule_version():
    programme = make_programme(budget_fen=1_000_000_00)
    application = make_application(programme, requested_fen=200_000_00)
    services.update_programme(programme, actor=None, rules={"min_order_fen": 8_000_00})
    auditor = staff("auditor")
    voucher = services.decide_application(application, actor=auditor, decision="approve",
                                          amount_fen=150_000_00)
    db.session.commit()
    assert voucher.face_value_fen == 150_000_00
    assert application.status == ApplicationStatus.APPROVED
    assert application.decision_rule_version_id == programme.current_rules.id
    assert application.rule_version.version == 1  # it was submitted under v1
    figures = budget_use.budget_figures(programme)
    assert figures["issued_fen"] == 150_000_00
    assert figures["available_fen"] == 850_000_00
    assert funds.figures.voucher_balances(voucher)["available_fen"] == 150_000_00
    assert ledger.violations() == []
    actions = [r.action for r in db.session.query(AuditRecord).filter_by(
        object_type="VoucherApplication")]
    assert actions == ["submit", "approve"]


def test_an_approval_above_the_request_or_cap_is_refused():
    programme = make_programme()
    application = make_application(programme, requested_fen=100_000_00)
    with pytest.raises(services.AmountNotAllowed):
        services.decide_application(application, actor=staff("auditor"), decision="approve",
                                    amount_fen=100_000_01)


def test_the_budget_cannot_be_over_issued():
    programme = make_programme(budget_fen=150_000_00)
    make_voucher(programme, amount_fen=100_000_00)
    db.session.commit()
    application = make_application(programme, requested_fen=100_000_00)
    db.session.commit()
    with pytest.raises(services.BudgetExhausted):
        services.decide_application(application, actor=staff("auditor"), decision="approve")
    db.session.rollback()
    assert budget_use.budget_figures(programme)["issued_fen"] == 100_000_00
    assert ledger.violations() == []


def test_reject_and_return_need_a_reason_and_a_returned_application_comes_back():
    programme = make_programme()
    member = FirmMemberFactory()
    application = make_application(programme, member)
    auditor = staff("auditor")
    with pytest.raises(ValidationFailed):
        services.decide_application(application, actor=auditor, decision="return", comment=" ")
    services.decide_application(application, actor=auditor, decision="return",
                                comment="请补充用途说明")
    assert application.status == ApplicationStatus.RETURNED
    services.resubmit_application(application, actor=member, requested_fen=120_000_00,
                                  purpose="补充后的用途说明：检测与设计",
                                  planned_category_codes=["testing"],
                                  declares_no_double_funding=True)
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.requested_fen == 120_000_00
    services.decide_application(application, actor=auditor, decision="reject",
                                comment="重复申报")
    assert application.status == ApplicationStatus.REJECTED
    with pytest.raises(InvalidTransition):
        services.decide_application(application, actor=auditor, decision="approve")


def test_a_budget_cut_below_what_is_issued_is_refused():
    programme = make_programme(budget_fen=300_000_00)
    make_voucher(programme, amount_fen=200_000_00)
    db.session.commit()
    with pytest.raises(services.BudgetBelowIssued):
        services.update_programme(programme, actor=None, budget_fen=100_000_00)
    db.session.rollback()
    services.update_programme(programme, actor=None, budget_fen=250_000_00)
    db.session.commit()
    assert budget_use.budget_figures(programme)["available_fen"] == 50_000_00
    assert ledger.violations() == []


def test_editing_rules_creates_versions_and_unchanged_rules_do_not():
    programme = make_programme()
    services.update_programme(programme, actor=None, rules={"cap_fen_tech_sme": 200_000_00})
    assert programme.current_rules.version == 1
    services.update_programme(programme, actor=None, rules={"share_bp_tech_sme": 4000})
    assert programme.current_rules.version == 2
    assert programme.current_rules.share_bp_for(FirmTier.TECH_SME) == 4000


def test_expiry_returns_the_unspent_value_to_the_pool_and_keeps_reservations():
    programme = make_programme(budget_fen=1_000_000_00)
    voucher = make_voucher(programme, amount_fen=100_000_00)
    lifecycle.reserve(voucher, 30_000_00, ref=("test", 1))
    db.session.commit()
    expired = lifecycle.expire_due_vouchers(today=voucher.expires_on + timedelta(days=1))
    db.session.commit()
    assert expired == 1
    assert voucher.status == VoucherStatus.EXPIRED
    balances = funds.figures.voucher_balances(voucher)
    assert balances == {"face_value_fen": 100_000_00, "available_fen": 0,
                        "reserved_fen": 30_000_00, "spent_fen": 0, "expired_fen": 70_000_00}
    figures = budget_use.budget_figures(programme)
    assert figures["available_fen"] == 970_000_00 and figures["expired_fen"] == 70_000_00
    assert lifecycle.expire_due_vouchers(today=voucher.expires_on + timedelta(days=2)) == 0
    assert ledger.violations() == []


def test_reminders_go_out_30_and_7_days_before_expiry_once_each():
    voucher = make_voucher()
    db.session.commit()
    expires = voucher.expires_on
    assert lifecycle.send_expiry_reminders(today=expires - timedelta(days=31)) == 0
    assert lifecycle.send_expiry_reminders(today=expires - timedelta(days=30)) == 1
    assert lifecycle.send_expiry_reminders(today=expires - timedelta(days=29)) == 0
    assert lifecycle.send_expiry_reminders(today=expires - timedelta(days=7)) == 1
    assert lifecycle.send_expiry_reminders(today=expires - timedelta(days=3)) == 0
    db.session.commit()
    kinds = [n.params_dict["days"] for n in db.session.query(Notification)
             .filter_by(kind="voucher_expiring").order_by(Notification.id)]
    assert kinds == [30, 7]


def test_a_reservation_beyond_the_balance_moves_nothing():
    voucher = make_voucher(amount_fen=50_000_00)
    db.session.commit()
    with pytest.raises(lifecycle.InsufficientVoucherBalance):
        lifecycle.reserve(voucher, 50_000_01, ref=("test", 1))
    db.session.rollback()
    assert funds.figures.voucher_balances(db.session.merge(voucher))["available_fen"] == 50_000_00


def test_postings_cannot_be_changed_or_deleted():
    voucher = make_voucher()
    db.session.commit()
    posting = db.session.query(ledger.LedgerPosting).first()
    posting.amount_fen = 1
    with pytest.raises(RuntimeError, match="immutable"):
        db.session.flush()
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(Exception, match="immutable"):
            db.session.execute(text("UPDATE ledger_postings SET amount_fen = 1"))
        db.session.rollback()


def test_the_cli_names_the_first_violation(app):
    make_voucher()
    db.session.commit()
    runner = app.test_cli_runner()
    sound = runner.invoke(args=["ledger", "verify"])
    assert sound.exit_code == 0
    # each business fact checked is named whole, one per line, not cut at its first line
    assert "  - Pool + issued − returned = budget, for every programme; never over-issued" \
        in sound.output.splitlines()
    assert any(line.startswith("  - A recovery's collected figure is its collections")
               for line in sound.output.splitlines())
    db.session.execute(text("UPDATE ledger_accounts SET balance_fen = balance_fen + 1 "
                            "WHERE kind = 'voucher_available'"))
    db.session.commit()
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert "LEDGER VIOLATION" in result.output and "voucher:" in result.output
    db.session.execute(text("UPDATE ledger_accounts SET balance_fen = balance_fen - 1 "
                            "WHERE kind = 'voucher_available'"))
    db.session.commit()

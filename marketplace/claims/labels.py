"""Names of the claim domain's values: claim statuses (``submitted``, ``returned``,
``approved`` and ``rejected`` are named by the voucher domain), check names and results,
decisions, and the steps of a claim's timeline."""
from flask_babel import lazy_gettext as _l

from marketplace.core.labels import register_labels

register_labels({
    "checking": _l("automatic checks running"),
    "first_review": _l("first review"),
    "expert_review": _l("expert review"),
    "final_approval": _l("final approval"),
    "disbursed": _l("disbursed"),
    "voided": _l("voided"),
})

# kept apart from the shared labels: "pass", "approve" or "return" mean other things
# elsewhere
CHECK_NAMES = {
    "related_party": _l("Related party"),
    "split_order": _l("Split order"),
    "duplicate_invoice": _l("Duplicate invoice"),
    "price": _l("Price"),
    "integrity_list": _l("Integrity list"),
    "agency_status": _l("Agency status"),
    "voucher_and_reservation": _l("Voucher and reservation"),
    "copay_received": _l("Co-pay received"),
}
CHECK_RESULTS = {"pass": _l("passed"), "flag": _l("flagged"), "block": _l("blocked")}
DECISIONS = {"approve": _l("approved"), "reject": _l("rejected"),
             "return": _l("returned for correction")}
RELATED_FIELDS = {
    "legal_representative": _l("Legal representative"),
    "registered_address": _l("Registered address"),
    "contact_phone": _l("Contact phone"),
    "bank_account": _l("Bank account"),
}
ACTIONS = {
    "create": _l("the claim is filed"),
    "start_checks": _l("the automatic checks start"),
    "assign": _l("assigned to an auditor"),
    "reassign": _l("reassigned to another auditor"),
    "checks_done": _l("the automatic checks are done"),
    "to_experts": _l("passed the first review; to the expert panel"),
    "to_final": _l("passed the review; to final approval"),
    "approve": _l("approved for payment"),
    "reject": _l("rejected"),
    "return": _l("returned for correction"),
    "resubmit": _l("corrected and submitted again"),
    "lapse": _l("not corrected by its deadline: rejected, its reservation released"),
    "escalate": _l("overdue: escalated to the supervisors"),
    "disburse": _l("paid to the agency"),
    "void": _l("voided"),
    "panel_short": _l("fewer experts could be drawn than the panel needs"),
    "recheck": _l("the checks run again"),
    "rechecks_done": _l("the checks run again are done"),
    "refund_after_close": _l("the co-pay was refunded after the claim was closed: to recover by hand"),
    "override_block": _l("a supervisor overrode the blocking checks"),
}


def check_name(name):
    return str(CHECK_NAMES.get(name, name))


def check_result(result):
    value = getattr(result, "value", result)
    return str(CHECK_RESULTS.get(value, value))


def decision_name(decision):
    return str(DECISIONS.get(decision, decision))


def field_name(name):
    return str(RELATED_FIELDS.get(name, name))

"""Eligibility of a voucher application: each rule names the clause it rests on.

Results are stored as data (clause, rule version, parameters) and put into words in the
reader's language when shown, e.g. "Rule 3.2 (v2): per-firm cap for tech SMEs is
¥200,000".
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from marketplace.accounts import uscc
from marketplace.core.money import format_fen
from marketplace.extensions import db
from marketplace.integrity import certification

TIER_NAMES = {
    "tech_sme": _l("tech SMEs"),
    "high_tech": _l("high-tech enterprises"),
    "benchmark_high_tech": _l("benchmark high-tech enterprises"),
}

# rule name -> (clause, statement of the rule)
CLAUSES = {
    "window_open": ("1.1", _l("applications are accepted from %(opens)s to %(closes)s")),
    "in_city_district": ("2.1", _l("the firm is registered in a district of the city")),
    "valid_credit_code": ("2.2", _l("the firm has a valid unified social credit code")),
    "tier_set": ("2.3", _l("the firm's tier (tech SME, high-tech or benchmark) is given by a "
                           "certificate valid today on the bureau's certification lists")),
    "one_per_programme": ("3.1", _l("one voucher per firm per programme")),
    "within_tier_cap": ("3.2", _l("per-firm cap for %(tier)s is %(cap)s")),
    "no_double_funding": ("3.3", _l("the firm declares the services receive no other "
                                    "public funding")),
}


def result(rule, version, passed, **params):
    clause, _statement = CLAUSES[rule]
    return {"rule": rule, "clause": clause, "version": version, "passed": bool(passed),
            "params": params}


def describe(check):
    """'Rule 3.2 (v2): per-firm cap for tech SMEs is ¥200,000' in the current language."""
    _clause, statement = CLAUSES[check["rule"]]
    params = dict(check.get("params") or {})
    if "tier" in params:
        params["tier"] = str(TIER_NAMES.get(params["tier"], params["tier"]))
    if "cap" in params:
        params["cap"] = format_fen(params["cap"])
    text = str(statement) % params if params else str(statement)
    if check["rule"] == "tier_set" and params.get("certificate"):
        text += str(_(" — %(list)s, certificate %(certificate)s, valid until %(valid_to)s",
                      list=certification.list_name(params["list"]),
                      certificate=params["certificate"], valid_to=params["valid_to"]))
    return _("Rule %(clause)s (v%(version)s): %(text)s", clause=check["clause"],
             version=check["version"], text=text)


def check_eligibility(*, programme, rules, firm, requested_fen, declares_no_double_funding,
                      today, ignore_application_id=None, taken=None):
    """Every rule's result for this firm and request (passed or not), in clause order.
    ``taken``: whether the firm already has a live application or a voucher of the
    programme, when the caller read it already (:func:`already_taken`)."""
    version = rules.version
    checks = [result("window_open", version, programme.is_open_on(today),
                     opens=programme.applications_open_on.isoformat(),
                     closes=programme.applications_close_on.isoformat())]
    district = firm.district
    checks.append(result("in_city_district", version,
                         district is not None and district.is_active))
    checks.append(result("valid_credit_code", version, uscc.is_valid(firm.uscc)))
    # the tier the lists give today (an expired certificate lowers it), cited
    certified = certification.tier_on(firm.uscc, today)
    citation = certified.citation() if certified is not None else {}
    checks.append(result("tier_set", version, certified is not None,
                         **{k: v for k, v in citation.items() if k != "tier"}))
    if taken is None:
        taken = db.session.execute(select(already_taken(
            programme.id, firm.id, ignore_application_id=ignore_application_id))).scalar()
    checks.append(result("one_per_programme", version, not taken))
    if certified is not None:
        cap = rules.cap_for(certified.tier)
        checks.append(result("within_tier_cap", version, 0 < requested_fen <= cap,
                             tier=certified.tier.value, cap=cap))
    checks.append(result("no_double_funding", version, declares_no_double_funding))
    return checks


def already_taken(programme_id, firm_id, *, ignore_application_id=None):
    """SQL truth: the firm has a live application or a voucher in the programme (rule
    3.1), as a column expression to read alone or with the programme."""
    from marketplace.vouchers.models import (LIVE_APPLICATION_STATUSES, Voucher,
                                             VoucherApplication)

    live = select(VoucherApplication.id).where(
        VoucherApplication.programme_id == programme_id,
        VoucherApplication.firm_id == firm_id,
        VoucherApplication.status.in_(LIVE_APPLICATION_STATUSES))
    if ignore_application_id is not None:
        live = live.where(VoucherApplication.id != ignore_application_id)
    has_voucher = select(Voucher.id).where(Voucher.programme_id == programme_id,
                                           Voucher.firm_id == firm_id)
    # one expression for both: this runs on every application of an opening rush
    return or_(has_voucher.exists(), live.exists()).label("already_taken")


def failed(checks):
    return [check for check in checks if not check["passed"]]

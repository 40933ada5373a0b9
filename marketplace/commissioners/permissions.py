"""Who may do what with commissioners: one named predicate per rule, shared by the pages
and the API."""
from marketplace.accounts.permissions import (is_admin, is_agency_member, is_auditor,
                                              is_expert, is_firm_member, is_reviewer,
                                              is_supervisor)
from marketplace.commissioners.models import CommissionerStatus, PairingKind
from marketplace.core.permissions import predicate

PUBLIC_STATUSES = (CommissionerStatus.PUBLIC_NOTICE, CommissionerStatus.RECOGNISED)


@predicate
def can_apply_as_commissioner(user, obj=None):
    """People of firms, agencies (universities, institutes) and experts apply; the bureau's
    reviewers and the admin, who decide, do not."""
    return is_firm_member(user) or is_agency_member(user) or is_expert(user)


@predicate
def is_the_commissioner(user, commissioner):
    return (user is not None and commissioner is not None
            and commissioner.user_id == user.id)


@predicate
def can_view_commissioner_queue(user, obj=None):
    """The applications, the monitoring and the assessments: reviewers and the admin."""
    return is_reviewer(user) or is_admin(user)


@predicate
def can_view_commissioner(user, commissioner):
    """A recognised commissioner (the directory) or one on public notice is public; the
    rest only to the applicant and the bureau."""
    return commissioner is not None and (
        commissioner.status in PUBLIC_STATUSES or is_the_commissioner(user, commissioner)
        or can_view_commissioner_queue(user))


@predicate
def can_review_commissioners(user, obj=None):
    """Auditors decide applications, objections and withdrawals, and pair commissioners."""
    return is_auditor(user)


@predicate
def can_file_commissioner_objection(user, commissioner):
    """Anyone signed in but the applicant, while the recognition is on notice."""
    return (user is not None and commissioner is not None
            and commissioner.status == CommissionerStatus.PUBLIC_NOTICE
            and commissioner.user_id != user.id)


@predicate
def can_request_pairing(user, commissioner):
    """A firm's member asks a recognised commissioner to serve the firm; never the
    commissioner for their own firm (they would answer the request and then confirm their
    own services)."""
    return (is_firm_member(user) and commissioner is not None
            and commissioner.status == CommissionerStatus.RECOGNISED
            and not is_the_commissioner(user, commissioner))


@predicate
def can_work_as_commissioner(user, obj=None):
    """The commissioner's own workspace: anyone who may apply (it shows their status)."""
    return can_apply_as_commissioner(user)


@predicate
def can_log_service(user, commissioner):
    """Only the recognised commissioner logs their services."""
    return (is_the_commissioner(user, commissioner)
            and commissioner.status == CommissionerStatus.RECOGNISED)


@predicate
def can_answer_pairing(user, pairing):
    """The commissioner accepts or declines a firm's request, and may end a pairing."""
    return pairing is not None and is_the_commissioner(user, pairing.commissioner)


@predicate
def can_end_pairing(user, pairing):
    """The commissioner, the paired firm's members or an auditor."""
    return pairing is not None and (
        is_the_commissioner(user, pairing.commissioner) or is_auditor(user)
        or (is_firm_member(user) and pairing.firm_id == user.organisation_id))


@predicate
def can_view_firm_commissioners(user, obj=None):
    """A firm's page of its commissioners and the services to confirm."""
    return is_firm_member(user)


@predicate
def can_answer_service(user, service):
    """The served firm's members answer a service given to the firm; an auditor answers
    those given to a village or a park. Never the commissioner who logged it: a
    confirmation is the served party's word, and it counts toward the yearly minimum."""
    if service is None:
        return False
    pairing = service.pairing
    if is_the_commissioner(user, pairing.commissioner):
        return False
    if pairing.kind == PairingKind.FIRM:
        return is_firm_member(user) and user.organisation_id == pairing.firm_id
    return is_auditor(user)


@predicate
def can_view_service(user, service):
    """A service and its files: the commissioner, the served firm, the bureau."""
    return service is not None and (
        is_the_commissioner(user, service.pairing.commissioner)
        or (is_firm_member(user) and user.organisation_id == service.pairing.firm_id)
        or can_view_commissioner_queue(user))


@predicate
def can_compute_commissioner_assessments(user, obj=None):
    return is_auditor(user)


@predicate
def can_confirm_commissioner_assessment(user, obj=None):
    """Supervisors confirm the year's assessment (renewal or withdrawal)."""
    return is_supervisor(user)


@predicate
def can_set_commissioner_rules(user, obj=None):
    return is_admin(user)

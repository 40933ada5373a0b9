"""Names of the accounts domain's values: the roles (a test checks every role has one)."""
from flask_babel import lazy_gettext as _l

from marketplace.accounts.models import Role
from marketplace.core.labels import register_labels

register_labels({
    Role.FIRM_MEMBER.value: _l("Firm member"),
    Role.AGENCY_MEMBER.value: _l("Agency member"),
    Role.AUDITOR.value: _l("Auditor"),
    Role.SUPERVISOR.value: _l("Supervisor"),
    Role.EXPERT.value: _l("Expert"),
    Role.ADMIN.value: _l("Administrator"),
})

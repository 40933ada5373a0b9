"""The vocabulary of the access matrix (tests/integration/test_access_matrix.py), shared
with the per-domain row modules in tests/integration/access_rows/."""

VISITOR, FIRM_OWNER, FIRM_MEMBER, AGENCY_OWNER = ("visitor", "firm_owner", "firm_member",
                                                  "agency_owner")
AUDITOR, SUPERVISOR, EXPERT, ADMIN = "auditor", "supervisor", "expert", "admin"
ROLES = (VISITOR, FIRM_OWNER, FIRM_MEMBER, AGENCY_OWNER, AUDITOR, SUPERVISOR, EXPERT, ADMIN)
MEMBERS = (FIRM_OWNER, FIRM_MEMBER, AGENCY_OWNER)
OWNERS = (FIRM_OWNER, AGENCY_OWNER)
STAFF = (AUDITOR, SUPERVISOR, EXPERT, ADMIN)
OTHERS = "*"      # everyone not named in the row
LOGIN = "login"   # 302 to the login page
MISSING_ID = 987654


class ByObject(dict):
    """One row per way of filling the URL: ``own`` / ``other`` object, ``missing`` id..."""


def by_object(**variants):
    return ByObject(variants)


SIGNED_IN_GO_HOME = {VISITOR: 200, OTHERS: 302}   # /login and /register when signed in
SIGNED_IN = {VISITOR: LOGIN, OTHERS: 200}
ADMIN_ONLY = {VISITOR: LOGIN, ADMIN: 200, OTHERS: 403}
NO_TOKEN = {VISITOR: 401}
FIRM_MEMBERS = (FIRM_OWNER, FIRM_MEMBER)
REVIEWERS = (AUDITOR, SUPERVISOR)
FIRM_ONLY = {VISITOR: LOGIN, FIRM_MEMBERS: 200, OTHERS: 403}
STAFF_ONLY = {VISITOR: LOGIN, STAFF: 200, OTHERS: 403}

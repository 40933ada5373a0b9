"""Domain errors: one type per rule broken, each with a stable code and an HTTP status.

Views turn them into a form error or flash message; the API turns them into
``{"error": {"code", "message", "details"}}``. None of them may ever surface as a 500.
"""
from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    code = "domain_error"
    status = 409
    default_message = _l("This action is not allowed.")

    def __init__(self, message=None, *, details=None, code=None, status=None):
        self.message = message if message is not None else self.default_message
        self.details = details or {}
        if code:
            self.code = code
        if status:
            self.status = status
        super().__init__(str(self.message))


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409
    default_message = _l("This step is not possible in the current state.")


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 422
    default_message = _l("Some fields are not valid.")


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403
    default_message = _l("You do not have permission to do this.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _l("Not found.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _l("This conflicts with existing data.")

"""Domain errors: one type per rule broken, each with a stable code and an HTTP status.

Views turn them into a form error or flash message; the API and the machine-to-machine
endpoints (the payment gateway's webhook) into :func:`json_error`'s
``{"error": {"code", "message", "details"}}``. None of them may ever surface as a 500.
"""
from flask import jsonify
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


def json_error(status, code, message, details=None):
    """The JSON answer of a failure: ``{"error": {"code", "message", "details"}}``, the
    shape the API's OpenAPI document declares for every error (``ErrorBody``), so a
    client reads every JSON failure of the platform the same way."""
    response = jsonify(error={"code": code, "message": str(message), "details": details or {}})
    response.status_code = status
    return response


def json_domain_error(error):
    """:func:`json_error` of a :class:`DomainError`: its status, code, message, details."""
    return json_error(error.status, error.code, error.message, error.details)

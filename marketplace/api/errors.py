"""``{"error": {"code", "message", "details"}}`` for every failure of the API."""
from flask import jsonify
from werkzeug.exceptions import HTTPException

from marketplace.core.errors import DomainError

HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 422: "validation_error", 429: "rate_limited",
    500: "internal_error", 503: "unavailable",
}


class ApiError(DomainError):
    """An error raised by the API layer itself (authentication, parsing)."""


def error_response(status, code, message, details=None):
    response = jsonify(error={"code": code, "message": str(message), "details": details or {}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def domain_error_response(error):
    return error_response(error.status, error.code, error.message, error.details)


def http_error_response(error: HTTPException):
    status = error.code or 500
    response = error_response(status, HTTP_CODES.get(status, "error"),
                              error.description or error.name)
    for name, value in error.get_headers():  # Allow on a 405, as HTTP requires
        if name.lower() != "content-type":
            response.headers[name] = value
    return response

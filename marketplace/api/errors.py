"""``{"error": {"code", "message", "details"}}`` (``core.errors.json_error``) for every
failure of the API, with the API's own codes and words for HTTP errors."""
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from marketplace.core.errors import DomainError, json_domain_error, json_error

HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 422: "validation_error", 429: "rate_limited",
    500: "internal_error", 503: "unavailable",
}

# werkzeug's own descriptions are English whatever the request's language: the API says
# these instead, in the language of the request (a description the app gave is kept)
HTTP_MESSAGES = {
    400: _l("The request is not understood."),
    401: _l("Sign in first: send an Authorization: Bearer <token> header."),
    403: _l("You do not have permission to do this."),
    404: _l("Not found."),
    405: _l("This method is not allowed for this address."),
    409: _l("This conflicts with existing data."),
    413: _l("This is too large to send."),
    415: _l("This media type is not accepted here."),
    422: _l("Some fields are not valid."),
    429: _l("Too many requests: please wait a little and try again."),
    500: _l("Something went wrong on our side."),
    503: _l("The service is briefly unavailable. Please try again."),
}


class ApiError(DomainError):
    """An error raised by the API layer itself (authentication, parsing)."""


def error_response(status, code, message, details=None):
    return _with_challenge(json_error(status, code, message, details))


def domain_error_response(error):
    return _with_challenge(json_domain_error(error))


def _with_challenge(response):
    # an API 401 names the scheme a client authenticates with, as RFC 6750 asks: the
    # API's bearer tokens (the shared JSON answer knows no scheme)
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def http_error_response(error: HTTPException):
    status = error.code or 500
    # flask-limiter's 429 describes the limit ("10 per 1 minute"), not what to do
    own_description = (status != 429 and error.description
                       and error.description != type(error).description)
    message = error.description if own_description else HTTP_MESSAGES.get(
        status, error.description or error.name)
    response = error_response(status, HTTP_CODES.get(status, "error"), message)
    for name, value in error.get_headers():  # Allow on a 405, as HTTP requires
        if name.lower() != "content-type":
            response.headers[name] = value
    return response

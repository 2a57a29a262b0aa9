"""Domain errors. Services raise these (or Django's ValidationError); the API maps them once.

Each error carries a machine `code` and the HTTP status the API answers with. Messages are in
Chinese and say what to fix.
"""


class DomainError(Exception):
    status_code = 400
    default_code = "invalid"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code


class NotFound(DomainError):
    """Missing, or not visible to this user: the two are never told apart (SPEC §9)."""

    status_code = 404
    default_code = "not_found"

    def __init__(self, message: str = "未找到该记录，或您无权查看。", *, code: str | None = None) -> None:
        super().__init__(message, code=code)


class PermissionDenied(DomainError):
    status_code = 403
    default_code = "permission_denied"


class InvalidTransition(DomainError):
    """The action is not allowed in the object's current state."""

    status_code = 409
    default_code = "invalid_state"


class Conflict(DomainError):
    status_code = 409
    default_code = "conflict"


class BadInput(DomainError):
    status_code = 400
    default_code = "invalid"


class PreconditionFailed(DomainError):
    """412: the client's `If-Match` no longer names the current version (someone changed it)."""

    status_code = 412
    default_code = "precondition_failed"


class PreconditionRequired(DomainError):
    """428: the request must say which version it changes (`If-Match`)."""

    status_code = 428
    default_code = "precondition_required"


class Unprocessable(DomainError):
    """422: well-formed, but cannot be processed as asked (e.g. an Idempotency-Key reused with
    another body)."""

    status_code = 422
    default_code = "unprocessable"


class TooManyRequests(DomainError):
    """429: a rate limit was reached; `retry_after` seconds until the window ends."""

    status_code = 429
    default_code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, int(retry_after))


class ServiceUnavailable(DomainError):
    """503: a service the request depends on is down; try again later."""

    status_code = 503
    default_code = "service_unavailable"

    def __init__(self, message: str, *, retry_after: int = 30, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, int(retry_after))

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

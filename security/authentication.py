"""DRF authentication that also names the actor for the audit triggers (security/audit.py)."""

from typing import Any

from django.utils.functional import empty
from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.request import Request

from accounts import auth_cache

from .audit import actor_label, set_actor


class AuditTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, as DRF's (unknown keys and inactive users are refused with
    401), plus `app.actor = user:<id>:<username>` for what the request changes.

    The token and its user come from accounts.auth_cache when their auth epoch in Redis still
    matches (no database round trip), else from DRF's query; revocation stays immediate."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
            set_actor(actor_label(result[0]))
        return result

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        return auth_cache.authenticate_token(key, load=super().authenticate_credentials)


class SessionWriteCsrfAuthentication(SessionAuthentication):
    """DRF's SessionAuthentication, without building a CSRF check for GET/HEAD/OPTIONS/TRACE:
    Django's check accepts those methods before looking at any token, so the answer is the same
    (CsrfViewMiddleware has already read the cookie). Writes are checked exactly as before."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        # Django's request.user is a lazy proxy, evaluated by now (DRF read is_active): hand DRF
        # the user itself, so the view's many reads of request.user skip the proxy (issue #9).
        user = result[0]
        wrapped = getattr(user, "_wrapped", empty)
        return (user if wrapped is empty else wrapped), result[1]

    def enforce_csrf(self, request: Request) -> None:
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return
        super().enforce_csrf(request)


class SessionWriteCsrfScheme(SessionScheme):
    """The OpenAPI description of SessionWriteCsrfAuthentication: the session cookie, as DRF's."""

    target_class = "security.authentication.SessionWriteCsrfAuthentication"

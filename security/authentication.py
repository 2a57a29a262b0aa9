"""DRF authentication that also names the actor for the audit triggers (security/audit.py)."""

from typing import Any

from rest_framework.authentication import TokenAuthentication
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

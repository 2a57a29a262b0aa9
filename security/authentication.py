"""DRF authentication that also names the actor for the audit triggers (security/audit.py)."""

from typing import Any

from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request

from .audit import actor_label, set_actor


class AuditTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, as DRF's (inactive users are refused with 401), plus
    `app.actor = user:<id>:<username>` for what the request changes."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
            set_actor(actor_label(result[0]))
        return result

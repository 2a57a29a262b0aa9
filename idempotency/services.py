"""Idempotency keys (RELIABILITY R8, IETF draft "The Idempotency-Key HTTP Header Field").

A request with `Idempotency-Key: <key>` is done at most once per (user, key, route):

1. insert-first: the row (user, key, route, hash of the body) is inserted in a transaction of its
   own; the unique constraint decides who was first, concurrent inserts of the same key wait on
   the index and then read the winner's row;
2. the request runs inside a transaction that holds the row's lock (`SELECT … FOR UPDATE NOWAIT`);
   the effect and the stored response commit together, so a crash leaves neither and the next
   retry runs again;
3. afterwards the same key and body replay the stored response byte for byte (no effect); the same
   key with another body is 422; the same key while the first request still holds the lock is 409.

Keys expire after `IDEMPOTENCY_KEY_TTL_HOURS` (24 h): an expired key is used afresh;
`idempotency_keys_purge` deletes them (to be run by the deadline jobs).
"""

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.http import HttpResponse
from django.utils import timezone

from common.errors import BadInput, Conflict, Unprocessable

from .models import IdempotencyKey, KeyState

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"


def key_ttl() -> timedelta:
    return timedelta(hours=float(getattr(settings, "IDEMPOTENCY_KEY_TTL_HOURS", 24)))


def clean_key(raw: str) -> str:
    """The header's value, checked: 1–255 visible ASCII characters. Errors: 400."""
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not all(33 <= ord(ch) <= 126 for ch in key):
        raise BadInput(
            f"{HEADER} 请求头应为 1–{MAX_KEY_LENGTH} 个可见 ASCII 字符（建议使用 UUID），不能含空格或中文。",
            code="idempotency_key_invalid",
        )
    return key


def request_fingerprint(data: Any) -> str:
    """SHA-256 of the parsed body in canonical JSON (key order and whitespace do not matter)."""
    if hasattr(data, "lists"):  # QueryDict (form bodies)
        data = dict(data.lists())
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class _Abort(Exception):
    """Roll the transaction back (effect and key) but still answer with this response."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _insert_first(*, user_id: int, key: str, route: str, fingerprint: str, now: datetime) -> IdempotencyKey:
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                user_id=user_id,
                key=key,
                route=route,
                request_hash=fingerprint,
                created_at=now,
                expires_at=now + key_ttl(),
            )
    except IntegrityError:
        return IdempotencyKey.objects.get(user_id=user_id, key=key, route=route)


def replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(row.response_body), status=row.response_status, content_type=row.response_content_type
    )
    response[REPLAYED_HEADER] = "true"
    return response


def _in_flight() -> Conflict:
    return Conflict(
        f"使用相同 {HEADER} 的请求正在处理中，请稍后用同一幂等键重试以获取结果，不要更换幂等键。",
        code="idempotency_key_in_flight",
    )


def _mismatch() -> Unprocessable:
    return Unprocessable(
        f"该 {HEADER} 已用于内容不同的请求。重试时请发送与首次完全相同的请求体；新的操作请使用新的幂等键。",
        code="idempotency_key_reused",
    )


def idempotent_call(
    *, user_id: int, key: str, route: str, fingerprint: str, call: Callable[[], HttpResponse]
) -> HttpResponse:
    """Run `call` (which returns a rendered response) at most once for (user, key, route).

    Who may call: API views, for a signed-in user, after checking the key (`clean_key`).
    Side effects: inserts/updates an IdempotencyKey row; `call` runs inside a transaction that
    also stores its response (2xx–4xx). A 5xx or an exception rolls back both.
    Errors: 409 `idempotency_key_in_flight`, 422 `idempotency_key_reused`.
    """
    now = timezone.now()
    row = _insert_first(user_id=user_id, key=key, route=route, fingerprint=fingerprint, now=now)
    if row.expires_at > now and row.request_hash != fingerprint:
        raise _mismatch()
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    row = IdempotencyKey.objects.select_for_update(nowait=True).get(pk=row.pk)
            except OperationalError:  # lock not available: the first request is still running
                raise _in_flight() from None
            except IdempotencyKey.DoesNotExist:  # purged between insert and lock
                raise _in_flight() from None
            if row.expires_at <= now:  # an expired key starts afresh
                row.request_hash, row.state, row.created_at, row.expires_at = (
                    fingerprint,
                    KeyState.IN_FLIGHT,
                    now,
                    now + key_ttl(),
                )
                row.response_status, row.response_content_type, row.response_body = None, "", b""
            elif row.request_hash != fingerprint:
                raise _mismatch()
            elif row.state == KeyState.DONE:
                return replay(row)
            response = call()
            if response.status_code >= 500:
                raise _Abort(response)
            row.state = KeyState.DONE
            row.response_status = response.status_code
            row.response_content_type = response.get("Content-Type", "")
            row.response_body = bytes(response.content)
            row.save()
            return response
    except _Abort as abort:
        return abort.response


@transaction.atomic
def idempotency_keys_purge(*, now: datetime) -> int:
    """Delete expired keys (after `IDEMPOTENCY_KEY_TTL_HOURS`). Who: the deadline jobs / a beat
    task. Side effects: deletes rows. Returns how many were deleted."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now).delete()
    return deleted

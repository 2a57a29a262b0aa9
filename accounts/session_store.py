"""Sessions in PostgreSQL, served from Redis and process memory (SESSION_ENGINE = "accounts.session_store").

The database row stays the record (a Redis flush signs nobody out); Redis holds a copy
(`hq:session:<key>` = "<expiry Unix time>|<signed session data>", expiring with the session), and
each process keeps what it read, dropped as soon as Redis pushes a change of the key
(accounts.auth_cache: CLIENT TRACKING on the same connections as the authentication cache).
A request of a signed-in session therefore costs no round trip while nothing changes.

- save: the database row first (as Django's db engine), then the Redis copy and the memory;
- delete (sign-out, key rotation, SessionGuard's sign-out): a tombstone in Redis *before* the
  row is deleted (refused with AuthCacheUnavailable when Redis does not answer: nothing is
  deleted, the sign-out can be retried) and again after it, so no process can put the old
  copy back: a copy is written back from the database only with SET NX, which a tombstone
  blocks;
- AUTH_CACHE_URL empty (development, tests) or Redis not answering: exactly Django's db engine.

Who uses it: SessionMiddleware through SESSION_ENGINE (config/settings/production.py).
"""

import json
import logging
import time
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from django.core.signing import JSONSerializer

from . import auth_cache
from .auth_cache import SESSION_PREFIX, AuthCacheUnavailable

logger = logging.getLogger("security")

TOMBSTONE = b"-"


def _redis_key(session_key: str) -> str:
    return f"{SESSION_PREFIX}{session_key}"


class SessionStore(DbSessionStore):
    def load(self) -> dict[str, Any]:
        key = self.session_key
        t = auth_cache._tracker
        with t.lock:
            if key is None or not t.ready():
                return super().load()
            now = time.time()
            entry = t.sessions.get(key)
            if entry is not None and entry[1] > now and auth_cache._fresh(entry[2]):
                return json.loads(entry[0])  # checked when it was read; a fresh copy per request
            t.sessions.pop(key, None)
            try:
                raw = t.command("GET", _redis_key(key))  # tracked from now on, before the row is read
            except Exception as exc:
                t.fail(exc)
                return super().load()
            if raw == TOMBSTONE:
                return {}
            if raw is not None:
                expires, _, encoded = raw.decode().partition("|")
                if float(expires) > now:
                    data = self.decode(encoded)
                    self._keep(key, data, float(expires))
                    return data
            row = self._get_session_from_db()  # type: ignore[attr-defined]  # db.SessionStore private API, absent from django-stubs
            if row is None:
                return {}
            data = self.decode(row.session_data)
            self._remember(key, row.session_data, data, row.expire_date.timestamp(), only_if_absent=True)
            return data

    def save(self, must_create: bool = False) -> None:
        super().save(must_create=must_create)
        if self.session_key is None:
            return
        t = auth_cache._tracker
        with t.lock:
            if t.ready():
                data = self._get_session(no_load=must_create)  # type: ignore[attr-defined]  # SessionBase private API, absent from django-stubs
                expires = self.get_expiry_date().timestamp()
                self._remember(self.session_key, self.encode(data), data, expires, only_if_absent=False)

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        if key is None:
            return
        self._bury(key, strict=True)
        super().delete(session_key)
        self._bury(key, strict=False)

    # --- Redis copy and memory -----------------------------------------------------------------

    def _keep(self, key: str, data: dict[str, Any], expires: float) -> None:
        """This process's copy: the data as JSON text (the session serializer is JSON), so each
        request gets its own dict without checking the signature again."""
        if self.serializer is JSONSerializer:
            auth_cache._tracker.sessions[key] = (json.dumps(data), expires, time.monotonic())

    def _remember(self, key: str, encoded: str, data: dict[str, Any], expires: float, *, only_if_absent: bool) -> None:
        t = auth_cache._tracker
        ttl = int(expires - time.time())
        if ttl <= 0:
            return
        try:
            args: list[Any] = ["SET", _redis_key(key), f"{expires}|{encoded}", "EX", ttl]
            stored = t.command(*args, *(["NX"] if only_if_absent else []))
        except Exception as exc:  # the row is saved; other processes refill from it
            t.fail(exc)
            return
        if stored is not None:  # NX refused: a newer copy or a tombstone is there, keep neither
            self._keep(key, data, expires)

    def _bury(self, key: str, *, strict: bool) -> None:
        t = auth_cache._tracker
        with t.lock:
            t.sessions.pop(key, None)
            if not t.configured():
                return
            try:
                t.writer_client().set(_redis_key(key), TOMBSTONE, ex=self.get_session_cookie_age())
            except Exception as exc:
                t.fail(exc)
                if strict:
                    raise AuthCacheUnavailable() from exc
                logger.error("会话缓存：删除后的再次标记失败 session=%s…", key[:6])

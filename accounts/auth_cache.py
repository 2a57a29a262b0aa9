"""Authentication without a database round trip on a hit (issue #9, RELIABILITY P1).

Stock Django/DRF turn an API token (`Authorization: Token …`) or a session's user id into a user
with a database query on every request. Here the rows that query reads (the token, the user) are
kept in process memory, and Redis tells every process at once when they change:

- user N has an *auth epoch*, the Redis key `hq:auth:epoch:N`. A process reads it (GET) on its
  own tracking connection (`CLIENT TRACKING ON REDIRECT` to a second connection subscribed to
  `__redis__:invalidate`) *before* it reads the rows, then keeps the rows;
- every change of a user row or a token row made through the ORM (save, delete, queryset delete)
  writes a new epoch (SET) before the change is written (pre_save/pre_delete: if Redis cannot be
  told, the change is refused with AuthCacheUnavailable and nothing is written) and once more
  after the commit. Redis then pushes an invalidation of that key to every process that read it;
- each request first drains the pushes that have arrived (a non-blocking read of one socket, no
  round trip; once per request) and drops the entries they name; a change committed while a row was being read
  makes that entry stale at once (its epoch was read before). So a deactivated user, a changed
  password or role, a deleted or rotated token is refused on the very next request everywhere;
- a lost connection (Redis restarted, network) drops the whole memory; at least every
  AUTH_CACHE_SYNC seconds a PING on the push connection proves no push is missing (TCP keeps
  order), so a silent network failure cannot keep a revoked user in for longer than that.

A cached user also carries its organisation (district, handled functions: the scope of an
official's lists), kept the same way under its own epoch `hq:auth:org:N`, so `user.organisation`
costs no query either; an organisation changed through the ORM is pushed like a user.

Writes that bypass the ORM signals (`QuerySet.update()`, raw SQL, another program) are seen
after at most AUTH_CACHE_TTL seconds (default 60); code doing that calls `revoke_user(user_id)`.
A new user or token, and the `last_login` stamp of a sign-in, need no new epoch.

Off when AUTH_CACHE_URL is empty (development, tests): nothing is cached and every request reads
the database as before. When Redis does not answer, requests read the database for
RETRY_AFTER_ERROR seconds (slower, never less safe).

Callers: security.authentication.AuditTokenAuthentication (tokens) and CachedModelBackend
(sessions, AUTHENTICATION_BACKENDS). The signal receivers are connected by
accounts.auth_cache_app.AuthCacheConfig (INSTALLED_APPS), so every process that can change a
user (web, Celery, manage.py) tells Redis.
"""

import contextlib
import logging
import os
import secrets
import select
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from common.errors import DomainError

from .model_rows import build, row_values

logger = logging.getLogger("security")

EPOCH_PREFIX = "hq:auth:epoch:"
ORG_PREFIX = "hq:auth:org:"  # an organisation's epoch: its row is kept with the users of it
SESSION_PREFIX = "hq:session:"  # accounts/session_store.py
EPOCH_LIFETIME = 24 * 3600  # an idle user's epoch expires (that too is pushed): the entry refills
INVALIDATE_CHANNEL = "__redis__:invalidate"
MAX_ENTRIES = 20_000  # per process and per kind; the memory is dropped whole beyond that
RETRY_AFTER_ERROR = 5.0  # seconds of database-only reads after Redis failed to answer
HARMLESS_UPDATES = frozenset({"last_login"})  # a sign-in stamp changes nothing a request is allowed

Loaded = tuple[Any, Any]


class AuthCacheUnavailable(DomainError):
    status_code = 503
    default_code = "auth_cache_unavailable"

    def __init__(self) -> None:
        super().__init__(
            "认证缓存（Redis）暂时无法访问，账号或令牌的变更无法立即通知所有服务器，因此没有保存。"
            "请稍后重试；若持续出现，请联系运维检查 Redis（AUTH_CACHE_URL）。"
        )


class _Tracker:
    """This process's memory and its two Redis connections (data + invalidation pushes)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.url = ""
        self.writer: Any = None  # plain client for the epoch writes
        self.data: Any = None  # redis Connection with CLIENT TRACKING ON REDIRECT <push>
        self.push: Any = None  # redis Connection subscribed to __redis__:invalidate
        self.in_request = False  # between request_started and request_finished
        self.drained = False  # the pushes were drained since the latest request started
        self.push_id = 0  # its CLIENT ID (the tests end it with CLIENT KILL)
        self.poller: Any = None  # select.poll of the push socket: one syscall, no round trip
        self.synced_at = 0.0
        self.down_until = 0.0
        # token key → (user_id, token values, user values, filled at)
        self.tokens: dict[str, tuple[int, tuple, tuple, float]] = {}
        # token key → user id, learnt from a database read (a token's user never changes)
        self.hints: dict[str, int] = {}
        # user id → (user values, filled at)
        self.users: dict[int, tuple[tuple, float]] = {}
        # session key → (session data as JSON, expires at (Unix time), filled at): session_store.py
        self.sessions: dict[str, tuple[str, float, float]] = {}
        # organisation id → (organisation values, filled at): what scopes an official's lists
        self.orgs: dict[int, tuple[tuple, float]] = {}

    def forget(self) -> None:
        self.tokens.clear()
        self.users.clear()
        self.sessions.clear()
        self.orgs.clear()

    def forget_user(self, user_id: int) -> None:
        self.users.pop(user_id, None)
        for key in [k for k, entry in self.tokens.items() if entry[0] == user_id]:
            self.tokens.pop(key, None)

    # --- connections ---------------------------------------------------------------------

    def configured(self) -> bool:
        url = _setting("AUTH_CACHE_URL", "")
        if url != self.url:
            self.close()
            self.url = url
            self.writer = None
            self.down_until = 0.0
            self.hints.clear()
        return bool(url)

    def close(self) -> None:
        self.forget()
        for conn in (self.data, self.push):
            if conn is not None:
                with contextlib.suppress(Exception):  # a broken socket may fail to close: dropped anyway
                    conn.disconnect()
        self.data = self.push = None

    def fail(self, exc: Exception) -> None:
        if time.monotonic() >= self.down_until:
            logger.warning("认证缓存不可用，暂时改为每次查询数据库 error=%r", exc)
        self.close()
        self.down_until = time.monotonic() + RETRY_AFTER_ERROR

    def writer_client(self) -> Any:
        if self.writer is None:
            import redis

            timeout = _timeout()
            self.writer = redis.Redis.from_url(self.url, socket_timeout=timeout, socket_connect_timeout=timeout)
        return self.writer

    def connect(self) -> None:
        import redis

        pool = redis.ConnectionPool.from_url(
            self.url, socket_timeout=_timeout(), socket_connect_timeout=_timeout(), protocol=2
        )
        push, data = pool.make_connection(), pool.make_connection()
        push.connect()
        push.send_command("CLIENT", "ID")
        push_id = push.read_response()
        push.send_command("SUBSCRIBE", INVALIDATE_CHANNEL)
        push.read_response()
        data.connect()
        data.send_command("CLIENT", "TRACKING", "ON", "REDIRECT", push_id, "NOLOOP")
        if data.read_response() not in (b"OK", "OK"):
            raise RuntimeError("CLIENT TRACKING 未能开启")
        self.forget()  # nothing read before this connection is tracked by it
        self.push, self.data, self.push_id = push, data, push_id
        self.poller = select.poll()
        sock = push._sock  # type: ignore[attr-defined]  # redis-py stubs omit the socket attribute
        self.poller.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
        self.synced_at = time.monotonic()

    def ready(self) -> bool:
        """Drain the pushes that arrived; True when the memory may be trusted (else: database)."""
        if not self.configured() or time.monotonic() < self.down_until:
            return False
        try:
            if self.push is None:
                self.connect()
            push = self.push
            if not (self.in_request and self.drained):  # once per request: a request is one moment
                while self.poller.poll(0) or _buffered(push):
                    self.apply(push.read_response())
                self.drained = self.in_request
            if time.monotonic() - self.synced_at > _sync_interval():
                push.send_command("PING")
                while True:
                    message = push.read_response()
                    if _kind(message) == "pong":
                        break
                    self.apply(message)
                self.synced_at = time.monotonic()
        except Exception as exc:  # redis errors, socket errors, a closed connection
            self.fail(exc)
            return False
        return True

    def apply(self, message: Any) -> None:
        if _kind(message) != "message":
            return
        keys = message[2]
        if keys is None:  # FLUSHDB/FLUSHALL, or the server dropped its tracking table
            self.forget()
            return
        for key in keys if isinstance(keys, list) else [keys]:
            name = key.decode() if isinstance(key, bytes) else str(key)
            if name.startswith(EPOCH_PREFIX):
                self.forget_user(int(name[len(EPOCH_PREFIX) :]))
            elif name.startswith(ORG_PREFIX):
                self.orgs.pop(int(name[len(ORG_PREFIX) :]), None)
            elif name.startswith(SESSION_PREFIX):
                self.sessions.pop(name[len(SESSION_PREFIX) :], None)

    def read_epoch(self, user_id: int) -> None:
        """GET the epoch on the tracking connection: from now on its change is pushed here."""
        self.command("GET", _epoch_key(user_id))

    def command(self, *args: Any) -> Any:
        """One command on the tracking connection (a key it reads is tracked from then on; its
        own writes are not pushed back to it: NOLOOP)."""
        self.data.send_command(*args)
        return self.data.read_response()


_tracker = _Tracker()


def _after_fork() -> None:
    """A forked child (gunicorn --preload) must not read the parent's push socket: the pushes
    would go to one of them only. It forgets the connections (without closing the parent's
    sockets) and everything it had read; it connects anew on its first request."""
    t = _tracker
    t.lock = threading.RLock()
    t.push = t.data = t.poller = t.writer = None
    t.forget()
    t.hints.clear()


os.register_at_fork(after_in_child=_after_fork)


def clear_process_cache() -> None:
    """Forget every cached row and connection of this process (tests; never needed for safety)."""
    with _tracker.lock:
        _tracker.close()
        _tracker.hints.clear()
        _tracker.down_until = 0.0


def _buffered(conn: Any) -> bool:
    """Bytes already taken off the socket but not parsed: redis-py's buffer (a second push), or
    TLS records decrypted by the ssl module (rediss://), which poll() cannot see."""
    buffer = getattr(conn._parser, "_buffer", None)
    if buffer is not None and buffer.unread_bytes():
        return True
    pending = getattr(conn._sock, "pending", None)
    return bool(pending is not None and pending())


def _kind(message: Any) -> str:
    if isinstance(message, list) and message:
        head = message[0]
        return head.decode() if isinstance(head, bytes) else str(head)
    return ""


_settings: dict[str, Any] = {}  # read once per process; dropped when a test overrides a setting


def _setting(name: str, default: Any) -> Any:
    value = _settings.get(name)
    if value is None:
        value = _settings[name] = type(default)(getattr(settings, name, default))
    return value


def _setting_changed(setting: str = "", **kwargs: Any) -> None:
    if setting.startswith("AUTH_CACHE_"):
        _settings.clear()


def _timeout() -> float:
    return _setting("AUTH_CACHE_TIMEOUT", 0.25)


def _sync_interval() -> float:
    return _setting("AUTH_CACHE_SYNC", 1.0)


def _epoch_key(user_id: int) -> str:
    return f"{EPOCH_PREFIX}{user_id}"


def _ttl() -> float:
    return _setting("AUTH_CACHE_TTL", 60.0)


def _fresh(filled_at: float) -> bool:
    return time.monotonic() - filled_at < _ttl()


def _trim(store: dict) -> None:
    if len(store) >= MAX_ENTRIES:
        store.clear()


# --- tokens ----------------------------------------------------------------------------------


def authenticate_token(key: str, *, load: Callable[[str], Loaded]) -> Loaded:
    """(user, token) of an API token key: from memory while no change of the user or token has
    been pushed, else from `load(key)` (DRF's database lookup, which raises AuthenticationFailed
    for an unknown key or an inactive user). Who calls: AuditTokenAuthentication. Side effects:
    the process memory; a GET on the tracking connection. Errors: whatever `load` raises."""
    from rest_framework.authtoken.models import Token

    t = _tracker
    with t.lock:
        if not t.ready():
            return load(key)
        entry = t.tokens.get(key)
        if entry is not None and _fresh(entry[3]):
            user = build(_user_model(), entry[2])
            token = build(Token, entry[1])
            token._state.fields_cache["user"] = user  # what `token.user = user` stores
            _attach_organisation(t, user)
            return user, token
        t.tokens.pop(key, None)
        user_id = t.hints.get(key)
        tracked = False
        if user_id is not None:
            try:
                t.read_epoch(user_id)  # before the rows are read: see the module docstring
                tracked = True
            except Exception as exc:
                t.fail(exc)
        user, token = load(key)
        if user_id is None and user.is_active:
            # The first request with this key in this process: its user is known only now. The
            # epoch is read, then the rows once more, so what is kept was read after its epoch
            # as on the path above: one more query now instead of a second miss next request
            # (a client's requests come in runs: draft, three uploads, submit).
            try:
                t.read_epoch(token.user_id)
                user_id, tracked = token.user_id, True
            except Exception as exc:
                t.fail(exc)
            if tracked:
                user, token = load(key)
        _trim(t.hints)
        t.hints[key] = token.user_id
        if tracked and user_id is not None and token.user_id == user_id and user.is_active:
            _trim(t.tokens)
            t.tokens[key] = (user_id, row_values(token), row_values(user), time.monotonic())
            _attach_organisation(t, user)
        return user, token


# --- session users -----------------------------------------------------------------------------


_models: dict[str, Any] = {}


def _user_model() -> Any:
    model = _models.get("user")
    if model is None:
        from django.contrib.auth import get_user_model

        model = _models["user"] = get_user_model()
    return model


def user_by_id(user_id: Any, *, load: Callable[[Any], Any]) -> Any:
    """The active user `user_id` (a session's), from memory while no change of it has been
    pushed, else `load(user_id)` (ModelBackend.get_user: None for a missing or inactive user).
    Who calls: CachedModelBackend.get_user. Side effects: the process memory; a GET on the
    tracking connection. Errors: none of its own."""
    try:
        uid = int(user_id)
    except (TypeError, ValueError):
        return load(user_id)
    t = _tracker
    with t.lock:
        if not t.ready():
            return load(user_id)
        entry = t.users.get(uid)
        if entry is not None and _fresh(entry[1]):
            user = build(_user_model(), entry[0])
            _attach_organisation(t, user)
            return user
        t.users.pop(uid, None)
        try:
            t.read_epoch(uid)
        except Exception as exc:
            t.fail(exc)
            return load(user_id)
        user = load(user_id)
        if user is not None and user.is_active:
            _trim(t.users)
            t.users[uid] = (row_values(user), time.monotonic())
            _attach_organisation(t, user)
        return user


# --- organisations -------------------------------------------------------------------------------


def _attach_organisation(t: "_Tracker", user: Any) -> None:
    """Give a cached user its organisation from memory (`user.organisation` then runs no query).

    An official's every list is scoped by the organisation (district, handled functions), so it
    is read on nearly every request. Kept like the users: its epoch is read (tracked) before the
    row, and a change of the row through the ORM pushes a new epoch (revoke_organisation). On a
    Redis error the user is left as it is (the organisation is then read from the database).
    Called with the tracker's lock held, the tracker ready."""
    org_id = getattr(user, "organisation_id", None)
    if org_id is None:
        return
    entry = t.orgs.get(org_id)
    model = _organisation_model()
    if entry is None or not _fresh(entry[1]):
        t.orgs.pop(org_id, None)
        try:
            t.command("GET", f"{ORG_PREFIX}{org_id}")
        except Exception as exc:
            t.fail(exc)
            return
        org = model.objects.filter(pk=org_id).first()
        if org is None:
            return
        _trim(t.orgs)
        entry = t.orgs[org_id] = (row_values(org), time.monotonic())
    user._state.fields_cache["organisation"] = build(model, entry[0])


def _organisation_model() -> Any:
    model = _models.get("organisation")
    if model is None:
        from accounts.models import Organisation

        model = _models["organisation"] = Organisation
    return model


def revoke_organisation(org_id: int) -> None:
    """End every cached copy of organisation `org_id` in every process (a new epoch, pushed by
    Redis). Who calls: the Organisation signal receivers (accounts.auth_cache_app); code that
    changes an organisation without the ORM's save/delete. Errors: AuthCacheUnavailable when the
    cache is on and Redis does not answer (the change is then refused)."""
    t = _tracker
    with t.lock:
        t.orgs.pop(int(org_id), None)
        if not t.configured():
            return
        try:
            t.writer_client().set(f"{ORG_PREFIX}{org_id}", secrets.token_hex(8), ex=EPOCH_LIFETIME)
        except Exception as exc:
            t.fail(exc)
            raise AuthCacheUnavailable() from exc


class CachedModelBackend(ModelBackend):
    """Django's ModelBackend (sign-in with username and password, permissions) whose get_user,
    run on every request of a signed-in session, reads the user through this cache."""

    def get_user(self, user_id: Any) -> Any:
        return user_by_id(user_id, load=super().get_user)


# --- revocation ---------------------------------------------------------------------------------


def revoke_user(user_id: int) -> None:
    """End every cached authentication of `user_id` in every process: a new epoch (SET), which
    Redis pushes to each process that read the old one. Who calls: the signal receivers below;
    code that changes a user or token row without the ORM's save/delete (QuerySet.update, raw
    SQL). Side effects: a Redis SET; this process's entries of the user. Errors:
    AuthCacheUnavailable when the cache is on and Redis does not answer."""
    t = _tracker
    with t.lock:
        t.forget_user(int(user_id))
        if not t.configured():
            return
        try:
            t.writer_client().set(_epoch_key(user_id), secrets.token_hex(8), ex=EPOCH_LIFETIME)
        except Exception as exc:
            t.fail(exc)
            raise AuthCacheUnavailable() from exc

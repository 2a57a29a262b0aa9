"""Rate limits on Redis (RELIABILITY R16): one `INCR` + `EXPIRE` per request on a fixed window.

`INCR` is atomic, so under any number of parallel requests at most `limit` are let through per
window (the counter hands out 1, 2, …, and only ≤ limit pass). The window is the clock's
`time.time() // window` (fixed windows; the key expires with its window).

Limits (config/settings/base.py, RATE_LIMIT_*):
- `login`: attempts per username + client IP (the pair django-axes locks), 5 per 15 minutes;
  a successful sign-in clears the pair's counter. Keyed by the pair so nobody can use it to lock
  a user out from another address, nor lock out colleagues behind the same address. Checked
  before the password, so 50 parallel guesses cost at most 5 password checks (axes' database
  counter alone can let more through). Redis down → fail open: axes stays the backstop.
- `register`: registration posts per client IP, 10 per hour. Redis down → fail closed (503):
  registration is rare and creates accounts and enterprises.
- `upload`: material uploads per enterprise, 100 per hour (API and portal). Redis down → fail
  open: the per-case quota and size limits (R13) still apply.

`RATE_LIMIT_REDIS_URL` empty means off (local demo on SQLite without Redis, and the test suite
except the rate-limit tests, which set it); production must set it.
"""

import functools
import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from common.errors import ServiceUnavailable, TooManyRequests

from .ip import client_ip

log = logging.getLogger(__name__)
UNAVAILABLE = "服务暂时繁忙（限流服务不可用），为安全起见暂停该操作，请稍后再试。"


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    window: int  # seconds
    fail_open: bool  # Redis unavailable: let the request through (True) or refuse it with 503
    message: str  # Chinese; {limit}, {minutes}
    code: str = "rate_limited"  # the error code of the 429


def limit_for(name: str) -> Limit:
    if name == "login":
        return Limit(
            "login",
            int(getattr(settings, "RATE_LIMIT_LOGIN", 5)),
            int(getattr(settings, "RATE_LIMIT_LOGIN_WINDOW", 900)),
            True,
            "登录尝试过于频繁：同一账号在本设备上每{window}分钟最多尝试{limit}次，该账号在本设备上已暂时锁定，"
            "请{minutes}分钟后再试；如忘记密码，请使用“忘记密码”重新设置。",
            "locked_out",  # the same code as django-axes' lockout: to the client it is one lock
        )
    if name == "register":
        return Limit(
            "register",
            int(getattr(settings, "RATE_LIMIT_REGISTER", 10)),
            int(getattr(settings, "RATE_LIMIT_REGISTER_WINDOW", 3600)),
            False,
            "注册请求过于频繁：同一网络地址每{window}分钟最多提交{limit}次注册，请{minutes}分钟后再试。",
        )
    if name == "upload":
        return Limit(
            "upload",
            int(getattr(settings, "RATE_LIMIT_UPLOAD", 100)),
            int(getattr(settings, "RATE_LIMIT_UPLOAD_WINDOW", 3600)),
            True,
            "上传过于频繁：每家企业每{window}分钟最多上传{limit}个文件，请{minutes}分钟后再上传。",
        )
    raise KeyError(name)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int  # this request's number in the window (0 when Redis could not be asked)
    retry_after: int  # seconds until the window ends
    message: str = ""
    unavailable: bool = False  # Redis could not be asked
    code: str = "rate_limited"


_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def _client() -> redis.Redis | None:
    url = getattr(settings, "RATE_LIMIT_REDIS_URL", "") or ""
    if not url:
        return None
    with _clients_lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        return _clients[url]


def _key(limit: Limit, ident: str, bucket: int) -> str:
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]  # no usernames or addresses in Redis
    prefix = getattr(settings, "RATE_LIMIT_KEY_PREFIX", "ratelimit")
    return f"{prefix}:{limit.name}:{digest}:{bucket}"


def hit(name: str, ident: str) -> Decision:
    """Count one request of `ident` against the limit `name`; allowed while the count ≤ limit."""
    limit = limit_for(name)
    now = time.time()
    bucket = int(now // limit.window)
    retry_after = max(1, math.ceil((bucket + 1) * limit.window - now))
    text = limit.message.format(
        limit=limit.limit, window=limit.window // 60, minutes=max(1, math.ceil(retry_after / 60))
    )
    client = _client()
    if client is None:
        return Decision(True, 0, retry_after)
    key = _key(limit, ident, bucket)
    try:
        pipe = client.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, retry_after + 1)
        count = int(pipe.execute()[0])
    except redis.RedisError as exc:
        log.warning(
            "rate limit %s: Redis unavailable (%s); %s", name, exc, "fail open" if limit.fail_open else "refused"
        )
        return Decision(limit.fail_open, 0, 30, "" if limit.fail_open else UNAVAILABLE, unavailable=True)
    allowed = count <= limit.limit
    return Decision(allowed, count, retry_after, "" if allowed else text, code=limit.code)


def reset(name: str, ident: str) -> None:
    """Clear `ident`'s counter of the current window (a successful sign-in). Errors are ignored."""
    limit = limit_for(name)
    client = _client()
    if client is None:
        return
    try:
        client.delete(_key(limit, ident, int(time.time() // limit.window)))
    except redis.RedisError as exc:
        log.warning("rate limit %s: reset failed (%s)", name, exc)


def check(name: str, ident: str) -> None:
    """`hit`, raising TooManyRequests (429) or ServiceUnavailable (503, Redis down and the limit
    fails closed) for the API's error handler."""
    decision = hit(name, ident)
    if decision.allowed:
        return
    if decision.unavailable:
        raise ServiceUnavailable(UNAVAILABLE, retry_after=decision.retry_after)
    raise TooManyRequests(decision.message, retry_after=decision.retry_after, code=decision.code)


def login_ident(request: HttpRequest, username: object) -> str:
    return f"{str(username or '').strip().lower()[:150]}|{client_ip(request)}"


def refused_response(request: HttpRequest, decision: Decision) -> HttpResponse:
    """The 429 (or 503) answer of an HTML view: JSON for XHR/API callers, a page otherwise."""
    status = 503 if decision.unavailable else 429
    message = decision.message or UNAVAILABLE
    code = "service_unavailable" if decision.unavailable else decision.code
    if request.path.startswith("/api/") or request.headers.get("x-requested-with") == "XMLHttpRequest":
        body = {"detail": message, "code": code, "ok": False, "message": message}
        response: HttpResponse = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    else:
        response = render(request, "security/ratelimited.html", {"message": message, "status": status}, status=status)
    response["Retry-After"] = str(decision.retry_after)
    return response


def _upload_ident(request: HttpRequest) -> str:
    user = request.user
    enterprise_id = getattr(user, "enterprise_id", None)
    return f"enterprise:{enterprise_id}" if enterprise_id else f"user:{user.pk}"


IDENTS: dict[str, Callable[[HttpRequest], str]] = {"upload": _upload_ident, "register": client_ip}


def rate_limited(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a view function or an APIView handler: count its POSTs against limit `name`
    (`upload`: per enterprise; `register`: per client IP). Over the limit: 429 with Retry-After
    (API views: TooManyRequests through the API error handler)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = next(a for a in args if isinstance(a, HttpRequest) or hasattr(a, "_request"))
            if request.method == "POST":
                django_request = getattr(request, "_request", request)
                if django_request is not request:  # DRF: the API error handler answers
                    check(name, IDENTS[name](request))
                else:
                    decision = hit(name, IDENTS[name](request))
                    if not decision.allowed:
                        return refused_response(request, decision)
            return view(*args, **kwargs)

        return wrapper

    return decorate

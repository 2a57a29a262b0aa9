"""In-process request paths: the portal's full WSGI handler and the bare floor beside it.

Both benchmark sides go through a `django.core.handlers.wsgi.WSGIHandler` in the same process,
so request parsing, URL resolution and response building are the same Django code:

- `portal_handler()`: the settings' MIDDLEWARE and ROOT_URLCONF (bench.urls → config.urls);
- `bare_handler()`: MIDDLEWARE = [] and the URLconf bench.bare_urls (floor L1/L2 of RELIABILITY B2).

`raw_app` is L0: a WSGI callable returning pre-encoded JSON, no Django at all.
`call(handler, method, path, ...)` builds a WSGI environ, runs the handler and returns
(status, body bytes), consuming the body as a server would.
"""

import io
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from django.core.handlers.wsgi import WSGIHandler
from django.test.utils import override_settings

STATIC_PAYLOAD = {"ok": True, "service": "惠企政策兑现平台", "version": "1.0.0", "items": list(range(10))}
BARE_URLCONF = "bench.bare_urls"


class BareHandler(WSGIHandler):
    """A WSGIHandler with no middleware and the bench's bare URLconf."""

    def load_middleware(self, is_async: bool = False) -> None:
        with override_settings(MIDDLEWARE=[]):
            super().load_middleware(is_async)

    def resolve_request(self, request: Any) -> Any:
        request.urlconf = BARE_URLCONF
        return super().resolve_request(request)


_portal: WSGIHandler | None = None
_bare: BareHandler | None = None


def portal_handler() -> WSGIHandler:
    global _portal
    if _portal is None:
        _portal = WSGIHandler()
    return _portal


def bare_handler() -> BareHandler:
    global _bare
    if _bare is None:
        _bare = BareHandler()
    return _bare


_RAW_BODY = b'{"ok":true,"service":"\\u60e0\\u4f01","version":"1.0.0"}'


def raw_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """L0: the server ceiling, a WSGI callable with a constant JSON body."""
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(_RAW_BODY)))])
    return [_RAW_BODY]


def environ_for(
    method: str, url: str, *, body: bytes = b"", content_type: str = "", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    parts = urlsplit(url)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": parts.path,
        "QUERY_STRING": parts.query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    if content_type:
        environ["CONTENT_TYPE"] = content_type
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def call(handler: Callable[..., Iterable[bytes]], method: str, url: str, **kwargs: Any) -> tuple[int, bytes]:
    status: list[str] = []

    def start_response(s: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        status.append(s)

    result = handler(environ_for(method, url, **kwargs), start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return int(status[0].split(" ", 1)[0]), body

"""WSGI entry of the benchmarked server (P5): `gunicorn bench.wsgi:application -c config/gunicorn.py`.

/__raw/ → L0 (no Django), /__bare/ → the bare handler (no middleware), anything else → the
portal's full handler (bench.settings: production settings, bench.urls).
"""

import os
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django

django.setup()

from bench.handlers import bare_handler, portal_handler, raw_app  # noqa: E402

_portal = portal_handler()
_bare = bare_handler()


_TIMINGS = os.environ.get("BENCH_TIMINGS", "")
_KINDS = [
    (re.compile(r"^/api/v1/applications/\d+/materials/$"), "upload"),
    (re.compile(r"^/api/v1/applications/\d+/submit/$"), "submit"),
    (re.compile(r"^/api/v1/applications/$"), "create"),
    (re.compile(r"^/__bare/upload/$"), "stub"),
    (re.compile(r"^/__bare/upload-checked/$"), "floor"),
    (re.compile(r"^/api/__bench/upload-floor/$"), "stack"),
]


def _route(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path.startswith("/__raw/"):
        return raw_app(environ, start_response)
    if path.startswith("/__bare/"):
        return _bare(environ, start_response)
    return _portal(environ, start_response)


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Route the request; with BENCH_TIMINGS set, append "<kind> <seconds>" per request to
    BENCH_TIMINGS.<pid>: the worker's own time for it (request body read, view, response built),
    without the time spent waiting in the listen queue."""
    if not _TIMINGS or environ.get("REQUEST_METHOD") != "POST":
        return _route(environ, start_response)
    t0 = time.perf_counter()
    result = _route(environ, start_response)
    elapsed = time.perf_counter() - t0
    path = environ.get("PATH_INFO", "")
    kind = next((k for pattern, k in _KINDS if pattern.match(path)), "other")
    if kind in ("upload", "stub", "floor", "stack") and not environ.get("CONTENT_TYPE", "").startswith("multipart/"):
        kind += "-raw"  # the file itself as the body (no multipart)
    with open(f"{_TIMINGS}.{os.getpid()}", "a") as out:
        out.write(f"{kind} {elapsed:.6f}\n")
    return result

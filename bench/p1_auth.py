"""P1: an authenticated DRF GET vs the bare Django view (L1). Bound as Bench.p1 in bench/run.py.

Rows: P1 (`Authorization: Token`, the target row), P1-session (a signed-in session cookie with
production's SESSION_ENGINE, accounts.session_store: sessions in Redis as RELIABILITY's P1 says,
served from process memory), P1-session-db (Django's database sessions, as a contrast), P1-anon
(no authentication: middleware + DRF only) and P1-L1/L0. Each row notes the SQL statements one
request runs.
"""

import json
from typing import Any

DB_SESSIONS = "django.contrib.sessions.backends.db"


def session_cookie(user: Any) -> str:
    """`<name>=<key>` of a fresh signed-in session of `user` (the settings' engine)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user, backend="accounts.auth_cache.CachedModelBackend")
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def p1(self) -> None:
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.handlers import bare_handler, call, portal_handler, raw_app
    from bench.stats import interleave

    reviewer = self.reviewer()
    token = self.token_for(reviewer.username)
    portal, bare = portal_handler(), bare_handler()
    headers = {"Authorization": f"Token {token}"}
    status, body = call(portal, "GET", "/api/__bench/static/", headers=headers)
    assert status == 200, (status, body[:300])
    status, bare_body = call(bare, "GET", "/__bare/static/")
    assert status == 200 and json.loads(body) == json.loads(bare_body), (status, body, bare_body)

    def pair(a: Any, b: Any) -> Any:
        return interleave(a, b, reps=self.args.pairs, per_rep=self.args.requests, warmup=20)

    def queries(handler: Any, path: str, hdrs: dict[str, str]) -> int:
        for _ in range(3):
            call(handler, "GET", path, headers=hdrs)
        with CaptureQueriesContext(connection) as captured:
            status, body = call(handler, "GET", path, headers=hdrs)
        assert status == 200, (status, body[:300])
        return len(captured)

    bare_get = lambda: call(bare, "GET", "/__bare/static/")  # noqa: E731
    n = queries(portal, "/api/__bench/static/", headers)
    self.ratio_row(
        "P1",
        "DRF GET static dict, token, full middleware vs bare view (L1)",
        pair(lambda: call(portal, "GET", "/api/__bench/static/", headers=headers), bare_get),
        3.0,
        note=f"in-process WSGIHandler; {n} SQL/request;",
        extra={"queries": n},
    )

    from django.conf import settings
    from django.test.utils import override_settings

    engine = settings.SESSION_ENGINE
    cookie = {"Cookie": session_cookie(reviewer)}
    n = queries(portal, "/api/__bench/static/", cookie)
    self.ratio_row(
        "P1-session",
        "same, signed-in session cookie (production SESSION_ENGINE) vs L1",
        pair(lambda: call(portal, "GET", "/api/__bench/static/", headers=cookie), bare_get),
        3.0 if engine != DB_SESSIONS else None,
        note=f"{engine}; {n} SQL/request;",
        extra={"queries": n, "engine": engine},
    )
    with override_settings(SESSION_ENGINE=DB_SESSIONS):
        handler = WSGIHandler()  # SessionMiddleware takes its engine when the handler is built
        db_cookie = {"Cookie": session_cookie(reviewer)}
        n = queries(handler, "/api/__bench/static/", db_cookie)
        self.ratio_row(
            "P1-session-db",
            "same, Django's database sessions (contrast) vs L1",
            pair(lambda: call(handler, "GET", "/api/__bench/static/", headers=db_cookie), bare_get),
            None,
            note=f"{DB_SESSIONS}; {n} SQL/request;",
            extra={"queries": n, "engine": DB_SESSIONS},
        )

    self.ratio_row(
        "P1-anon",
        "same DRF view without authentication vs L1 (no DB)",
        pair(lambda: call(portal, "GET", "/api/__bench/static-anon/"), bare_get),
        None,
        note="middleware + DRF only;",
    )
    self.ratio_row(
        "P1-L1/L0",
        "bare Django view (L1) vs raw WSGI callable (L0)",
        pair(bare_get, lambda: call(raw_app, "GET", "/__raw/")),
        None,
    )

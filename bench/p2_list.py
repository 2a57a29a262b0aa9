"""P2: the reviewer's API list as clients page it (keyset cursors) vs its SQL via psycopg + JSON (L2),
and the same list far down vs near the top. Bound as Bench.p2.

Rows (RELIABILITY Part B, P2 and P3; issue #9):
- P2 / P2-p99: `GET /api/v1/applications/?state=district_review&pagination=cursor` (first page,
  50 rows, no COUNT) vs its own page SQL, captured from that request, run on a plain psycopg
  connection and dumped to JSON (L2).
- P2-unprep: the same pair with the floor's psycopg statement preparation off (informational: the
  floor replays one literal statement, prepared after 5 runs, so PostgreSQL no longer plans it).
- P2-next: the page its `next` link points to (a cursor page) vs that page's SQL (L2).
- P2-pages: the page-number form existing clients use (`?state=district_review`: COUNT + OFFSET 0)
  vs its page SQL (L2); no target (the COUNT is the difference).
- P2-deep: the reviewer's whole list (no state filter) through a cursor 50 rows before its end
  vs the same list's second page (both one keyset query, no COUNT); ≤ 1.2.
- P2-deep190k: the auditor's list (every case, 200 000 at full scale) at row 190 000 via cursor
  vs its second page; ≤ 1.2 (RELIABILITY P3 "the same list at position 190k").
- P2-offset, P2-offset190k: the same positions with page numbers (`?page=N`: COUNT + OFFSET) vs
  page 1, as a contrast only (no target).
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode, urlsplit

PAGE = 50


def _path(url: str) -> str:
    """The path and query of an absolute `next`/`previous` link (the handler is called in process)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _cursor_at(user: Any, position: int, params: dict[str, str]) -> str:
    """The signed cursor the API would hand out for a page starting after id `position`."""
    from django.http import QueryDict

    from common.pagination import encode_cursor, filters_digest

    query = QueryDict(urlencode(params))
    return encode_cursor(position=position, reverse=False, scope=filters_digest(user_id=user.pk, params=query))


@contextmanager
def _unprepared_floor() -> Iterator[None]:
    """bench.views' raw connection swapped for one that never prepares statements (then restored)."""
    import psycopg
    from django.conf import settings

    from bench import views

    db = settings.DATABASES["default"]
    saved = views._conn
    views._conn = psycopg.connect(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
        autocommit=True,
        prepare_threshold=None,
    )
    try:
        yield
    finally:
        views._conn.close()
        views._conn = saved


def p2(self) -> None:
    from accounts.models import Role, User
    from applications.selectors import application_list
    from bench.handlers import bare_handler, call, portal_handler
    from bench.stats import interleave
    from bench.views import register_sql

    user = self.reviewer()
    headers = {"Authorization": f"Token {self.token_for(user.username)}"}
    portal, bare = portal_handler(), bare_handler()
    reps, per_rep = self.args.pairs, self.args.requests_db
    state = "district_review"
    base = "/api/v1/applications/"

    def vs_sql(id_: str, scenario: str, url: str, marker: str, target: float | None, note: str = "") -> Any:
        sql, n_queries, _ = self._capture_page_sql(portal, url, headers, marker)
        register_sql(id_, sql)
        status, body = call(bare, "GET", f"/__bare/sql/{id_}/")
        assert status == 200, body[:200]
        samples = interleave(
            lambda: call(portal, "GET", url, headers=headers),
            lambda: call(bare, "GET", f"/__bare/sql/{id_}/"),
            reps=reps,
            per_rep=per_rep,
            warmup=5,
        )
        extra = {"sql": sql, "queries": n_queries, "url": url}
        self.ratio_row(id_, scenario, samples, target, note=f"{note}{n_queries} queries;", extra=extra)
        return samples

    # P2: the first cursor page of the queue, as a cursor client asks for it
    url = f"{base}?state={state}&pagination=cursor"
    status, body = call(portal, "GET", url, headers=headers)
    assert status == 200, body[:300]
    first = json.loads(body)
    assert len(first["results"]) == PAGE and first["count"] is None and first["next"], body[:300]
    scope = application_list(user=user)
    total, queued = scope.count(), scope.filter(state=state).count()
    note = f"{user.username}: {queued} in queue, {total} in scope; keyset, no COUNT;"
    samples = vs_sql(
        "P2", f"API list ?state={state}&pagination=cursor, first 50 vs its SQL (L2)", url, "LIMIT 51", 2.0, note
    )
    self.ratio_row("P2-p99", "the same, p99", samples, 2.5, q=99)

    # The L2 side replays one literal statement, so psycopg prepares it after 5 runs
    # (prepare_threshold=5) and PostgreSQL never plans it again; a request of the portal (or of any
    # ORM: new literals per cursor and user) is planned each time. Informational: the same pair
    # with the floor's statement preparation off.
    with _unprepared_floor():
        samples = interleave(
            lambda: call(portal, "GET", url, headers=headers),
            lambda: call(bare, "GET", "/__bare/sql/P2/"),
            reps=reps,
            per_rep=per_rep,
            warmup=5,
        )
    self.ratio_row("P2-unprep", "the same vs L2 planned per call (psycopg prepare off)", samples, None)

    # the page its `next` link points to
    vs_sql(
        "P2-next",
        "the same list's next page (cursor from the link) vs its SQL (L2)",
        _path(first["next"]),
        "LIMIT 51",
        2.0,
    )

    # the page-number form (existing clients): COUNT(*) + LIMIT 50
    vs_sql(
        "P2-pages",
        f"page-number form ?state={state} (COUNT + page) vs its page SQL (L2)",
        f"{base}?state={state}",
        "LIMIT 50",
        None,
    )

    # far down, keyset: the reviewer's whole list, 50 rows before its end vs its second page
    _p2_deep(self, portal, headers, user, scope, "P2-deep", "P2-offset")

    # far down at 200 000: the auditor's list (every case) at row 190 000
    auditor = User.objects.filter(role=Role.AUDITOR, is_active=True).order_by("pk").first()
    if auditor is not None:
        aheaders = {"Authorization": f"Token {self.token_for(auditor.username)}"}
        ascope = application_list(user=auditor)
        _p2_deep(self, portal, aheaders, auditor, ascope, "P2-deep190k", "P2-offset190k", position=190_000)


def _p2_deep(
    self, portal: Any, headers: dict[str, str], user: Any, scope: Any, id_: str, offset_id: str, position: int = 0
) -> None:
    """Cursor page at `position` (default: 50 rows before the end) vs the second page; OFFSET as contrast."""
    from bench.handlers import call
    from bench.stats import interleave

    total = scope.count()
    row = min(position, total - PAGE) if position else max(0, total - PAGE)
    row = max(row, PAGE)
    # the id just above row `row` in the list's order (id DESC): the cursor's position
    after = scope.order_by("-id").values_list("id", flat=True)[row - 1 : row][0]
    base = "/api/v1/applications/"
    deep = f"{base}?{urlencode({'cursor': _cursor_at(user, after, {})})}"
    status, body = call(portal, "GET", f"{base}?pagination=cursor", headers=headers)
    assert status == 200, body[:300]
    second = _path(json.loads(body)["next"])
    for url in (deep, second):
        status, body = call(portal, "GET", url, headers=headers)
        assert status == 200 and len(json.loads(body)["results"]) == min(PAGE, total - row), (url, body[:300])
    samples = interleave(
        lambda: call(portal, "GET", deep, headers=headers),
        lambda: call(portal, "GET", second, headers=headers),
        reps=self.args.pairs,
        per_rep=self.args.requests_db,
        warmup=3,
    )
    self.ratio_row(
        id_,
        f"{user.username}'s list via cursor at row {row:,} vs its 2nd page",
        samples,
        1.2,
        note=f"{total:,} rows in scope; keyset, 1 page query, no COUNT;",
    )
    # contrast: page numbers at the same depth (COUNT + OFFSET) vs page 1
    page_no = row // PAGE + 1
    offset = f"{base}?page={page_no}"
    status, _ = call(portal, "GET", offset, headers=headers)
    assert status == 200, status
    samples = interleave(
        lambda: call(portal, "GET", offset, headers=headers),
        lambda: call(portal, "GET", base, headers=headers),
        reps=max(2, self.args.pairs - 2),
        per_rep=max(3, self.args.requests_db // 4),
        warmup=1,
    )
    self.ratio_row(
        offset_id,
        f"contrast: page {page_no:,} (OFFSET {(page_no - 1) * PAGE:,}) vs page 1",
        samples,
        None,
        note=f"{total:,} rows, COUNT(*) on both;",
    )


def _capture_page_sql(self, handler: Any, url: str, headers: dict[str, str], marker: str) -> tuple[str, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.handlers import call

    with CaptureQueriesContext(connection) as ctx:
        status, body = call(handler, "GET", url, headers=headers)
    assert status == 200, (status, body[:300])
    data = json.loads(body)
    pages = [q["sql"] for q in ctx.captured_queries if marker in q["sql"] and "applications_application" in q["sql"]]
    if not pages:
        raise RuntimeError(f"没有找到列表查询（{marker}）：{[q['sql'][:120] for q in ctx.captured_queries]}")
    count = data.get("count") or len(data.get("results", []))
    return pages[-1], len(ctx.captured_queries), count

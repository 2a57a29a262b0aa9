"""P2: the reviewer's API list vs its SQL via psycopg + JSON (L2), and deep pages. Bound as Bench.p2."""

import json
import math
from base64 import b64encode
from typing import Any
from urllib.parse import urlencode


def p2(self) -> None:
    from applications.selectors import application_list
    from bench.handlers import bare_handler, call, portal_handler
    from bench.stats import interleave
    from bench.views import register_sql

    user = self.reviewer()
    headers = {"Authorization": f"Token {self.token_for(user.username)}"}
    portal, bare = portal_handler(), bare_handler()
    state = "district_review"
    url = f"/api/v1/applications/?state={state}"
    page_sql, n_queries, count = self._capture_page_sql(portal, url, headers, "LIMIT 50")
    register_sql("p2", page_sql)
    status, body = call(bare, "GET", "/__bare/sql/p2/")
    assert status == 200 and len(json.loads(body)["results"]) == min(50, count), body[:200]
    samples = interleave(
        lambda: call(portal, "GET", url, headers=headers),
        lambda: call(bare, "GET", "/__bare/sql/p2/"),
        reps=self.args.pairs,
        per_rep=self.args.requests_db,
        warmup=5,
    )
    scope = application_list(user=user)
    total = scope.count()
    note = f"{user.username}: {count} in queue, {total} in scope; {n_queries} queries;"
    self.ratio_row(
        "P2",
        f"API list ?state={state}, page 1 of 50 vs same SQL psycopg+JSON (L2)",
        samples,
        2.0,
        note=note,
        extra={"sql": page_sql, "queries": n_queries},
    )
    self.ratio_row("P2-p99", "the same, p99", samples, 2.5, q=99)

    # keyset (cursor) variant of the same list: its own page SQL as the floor
    curl = f"/__bench/applications-cursor/?state={state}"
    csql, cq, _ = self._capture_page_sql(portal, curl, headers, "LIMIT 51")
    register_sql("p2c", csql)
    samples = interleave(
        lambda: call(portal, "GET", curl, headers=headers),
        lambda: call(bare, "GET", "/__bare/sql/p2c/"),
        reps=self.args.pairs,
        per_rep=self.args.requests_db,
        warmup=5,
    )
    self.ratio_row(
        "P2-cursor",
        "same list with CaseCursorPagination vs its SQL (L2)",
        samples,
        2.0,
        note=f"{cq} queries;",
        extra={"sql": csql, "queries": cq},
    )

    # the proposed light path (applications/fastlist.py): values() + keyset, same JSON items
    furl = f"/__bench/applications-fast/?state={state}"
    fsql, fq, _ = self._capture_page_sql(portal, furl, headers, "LIMIT 51")
    register_sql("p2f", fsql)
    samples = interleave(
        lambda: call(portal, "GET", furl, headers=headers),
        lambda: call(bare, "GET", "/__bare/sql/p2/"),
        reps=self.args.pairs,
        per_rep=self.args.requests_db,
        warmup=5,
    )
    self.ratio_row(
        "P2-fast",
        "same list via applications/fastlist.py vs the API's SQL (L2)",
        samples,
        2.0,
        note=f"{fq} queries;",
        extra={"sql": fsql, "queries": fq},
    )
    samples = interleave(
        lambda: call(portal, "GET", furl, headers=headers),
        lambda: call(bare, "GET", "/__bare/sql/p2f/"),
        reps=self.args.pairs,
        per_rep=self.args.requests_db,
        warmup=5,
    )
    self.ratio_row("P2-fastL2", "fastlist vs its own narrow SQL (L2)", samples, None)

    # far down: the reviewer's whole list (no state filter), last page vs first page
    base = "/api/v1/applications/"
    last_page = max(1, math.ceil(total / 50))
    deep = f"{base}?page={last_page}"
    status, _ = call(portal, "GET", deep, headers=headers)
    assert status == 200, status
    samples = interleave(
        lambda: call(portal, "GET", deep, headers=headers),
        lambda: call(portal, "GET", base, headers=headers),
        reps=self.args.pairs,
        per_rep=self.args.requests_db,
        warmup=3,
    )
    self.ratio_row(
        "P2-deep",
        f"API list page {last_page} (OFFSET {(last_page - 1) * 50}) vs page 1",
        samples,
        1.2,
        note=f"{total} rows, COUNT(*) on both;",
    )
    # keyset: a cursor positioned 50 rows before the end vs the first page
    ids = list(scope.order_by("-id").values_list("id", flat=True)[max(0, total - 51) : max(0, total - 50)])
    position = ids[0] if ids else 0
    cursor = b64encode(urlencode({"p": str(position)}).encode()).decode()
    cdeep = f"/__bench/applications-cursor/?{urlencode({'cursor': cursor})}"
    cfirst = "/__bench/applications-cursor/"
    status, body = call(portal, "GET", cdeep, headers=headers)
    assert status == 200, (status, body[:300])
    samples = interleave(
        lambda: call(portal, "GET", cdeep, headers=headers),
        lambda: call(portal, "GET", cfirst, headers=headers),
        reps=self.args.pairs,
        per_rep=self.args.requests_db,
        warmup=3,
    )
    self.ratio_row("P2-deepc", f"cursor list at row {total - 50} vs first page", samples, 1.2, note="keyset, no COUNT;")


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
    count = data.get("count", len(data.get("results", [])))
    return pages[-1], len(ctx.captured_queries), count


# --- P3 -------------------------------------------------------------------------------------

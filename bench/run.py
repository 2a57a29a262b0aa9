#!/usr/bin/env python
"""Benchmarks of the portal against the floor of its stack (RELIABILITY Part B), in one command.

    DATABASE_URL=postgres://app:app@127.0.0.1:55432/h8 python bench/run.py [--scale 1.0|0.1] [--ci]

Each benchmark times the portal (A) and its baseline (B) interleaved A B A B … in the same run,
after a warm-up, over ≥ 5 repetitions (3 with --ci), and reports medians, the ratio A/B, the
target and ✓/✗. Ratios, not absolute times: the machine's cores are shared.

  P1  authenticated DRF GET of a static dict, full middleware     vs bare Django view (L1)  ≤ 3.0
  P2  reviewer's API list, 50 cases of one district               vs its SQL via psycopg + JSON (L2)  ≤ 2.0
      the same list on its last page                              vs page 1  ≤ 1.2 (offset and keyset)
  P3  forfeiture job over every generated award, all due          vs one SQL UPDATE (L3)  ≤ 1.5
  P4  report summary (reports.selectors.summary_rows)             vs plain GROUP BY (L3)  ≤ 1.3
  P5  burst of enterprises filing with 1 MB PDFs via gunicorn     vs a stub storing the body  ≤ 1.5,
      0 errors, 0 duplicates
  P6  query counts of the review queue and the case page: small vs large scope  equal

The data comes from `manage.py generate_load` at the chosen scale (1.0 = 50 000 enterprises,
200 000 applications, 1 000 000 awards), generated first when missing (seed 42). P1 and P2 run
in process, through django.core.handlers.wsgi.WSGIHandler for both sides (bench/handlers.py);
P5 through gunicorn (config/gunicorn.py, bench.wsgi) on 127.0.0.1.

--ci: 10% scale, fewer repetitions, and the exit status never depends on timing (0 unless
something crashed). Without --ci a missed target exits 1.
"""

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
import traceback
from base64 import b64encode
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")


@dataclass
class Row:
    id: str
    scenario: str
    portal: str = "—"
    baseline: str = "—"
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None  # None: information only
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def mark(self) -> str:
        return "·" if self.ok is None else ("✓" if self.ok else "✗")


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rows: list[Row] = []
        self.crashed: list[str] = []
        self.facts: dict[str, Any] = {}

    # --- plumbing -------------------------------------------------------------------------------

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else "—"
        print(
            f"  {row.mark()} {row.id:<9} {row.scenario[:60]:<60} {row.portal:>10} {row.baseline:>10} {ratio:>6}  "
            f"{row.target} {row.note}",
            flush=True,
        )
        return row

    def guard(self, name: str, fn: Callable[[], Any]) -> None:
        print(f"\n== {name}", flush=True)
        t0 = time.perf_counter()
        try:
            fn()
        except Exception as exc:  # a crash is reported, and makes the exit status non-zero
            traceback.print_exc()
            self.crashed.append(f"{name}: {exc!r}")
            self.add(Row(name, "出错（见上方 traceback）", ok=False, note=repr(exc)[:120]))
        print(f"   ({name} took {time.perf_counter() - t0:.0f} s)", flush=True)

    def ratio_row(self, id_: str, scenario: str, samples: Any, target: float | None, q: float = 50, **kw: Any) -> Row:
        from bench.stats import cv, fmt_seconds

        ratio = samples.ratio(q)
        reps = samples.rep_ratios(q)
        note = kw.pop("note", "")
        note = (note + " " if note else "") + f"p{q:g}; {len(reps)}×{len(samples.a[0])} pairs, CV {cv(reps):.0%}"
        return self.add(
            Row(
                id_,
                scenario,
                portal=fmt_seconds(samples.p("a", q)),
                baseline=fmt_seconds(samples.p("b", q)),
                ratio=ratio,
                target=f"≤ {target}" if target is not None else "",
                ok=(ratio <= target) if target is not None else None,
                note=note,
                extra={"rep_ratios": reps, **kw.pop("extra", {})},
                **kw,
            )
        )

    # --- set-up ---------------------------------------------------------------------------------

    def setup(self) -> None:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        if connection.vendor != "postgresql":
            raise SystemExit("bench/run.py 需要 PostgreSQL：请设置 DATABASE_URL=postgres://...")
        call_command("migrate", verbosity=0)
        scale = self.args.scale
        counts = {
            k: max(1, round(v * scale))
            for k, v in {"enterprises": 50_000, "applications": 200_000, "awards": 1_000_000}.items()
        }
        t0 = time.perf_counter()
        if not self.args.skip_load:
            from perf.management.commands.generate_load import Command

            have = Command.counts()
            if (have["enterprises"], have["applications"], have["awards"]) != tuple(counts.values()):
                print(f"generate_load at scale {scale}: {counts}", flush=True)
                call_command(
                    "generate_load",
                    enterprises=counts["enterprises"],
                    applications=counts["applications"],
                    awards=counts["awards"],
                    seed=self.args.seed,
                    reset=any(have.values()),
                )
        self.load_seconds = time.perf_counter() - t0
        import django as dj
        import psycopg
        import rest_framework

        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            pg = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM applications_application")
            n_app = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM awards_award")
            n_award = cur.fetchone()[0]
        from bench.views import JSON_LIB

        try:
            commit = subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
            ).stdout.strip()
        except OSError:
            commit = "?"
        self.facts = {
            "date": datetime.now().astimezone().isoformat(timespec="seconds"),
            "nproc": os.cpu_count(),
            "cpu": _cpu_model(),
            "memory_gib": _mem_gib(),
            "loadavg_start": os.getloadavg(),
            "postgresql": pg,
            "python": platform.python_version(),
            "django": dj.get_version(),
            "drf": rest_framework.VERSION,
            "psycopg": psycopg.__version__,
            "json": JSON_LIB,
            "settings": settings.SETTINGS_MODULE,
            "middleware": len(settings.MIDDLEWARE),
            "commit": commit,
            "scale": scale,
            "rows": {"applications": n_app, "awards": n_award},
            "generate_load_s": round(self.load_seconds, 1),
            "pairs": self.args.pairs,
        }
        print("machine:", json.dumps(self.facts, ensure_ascii=False), flush=True)

    # --- P1 -------------------------------------------------------------------------------------

    def token_for(self, username: str) -> str:
        from rest_framework.authtoken.models import Token

        from accounts.models import User

        return Token.objects.get_or_create(user=User.objects.get(username=username))[0].key

    def reviewer(self) -> Any:
        from accounts.models import Role, User

        user = (
            User.objects.filter(username="rev_shangcheng").first()
            or User.objects.filter(role=Role.DISTRICT_REVIEWER, is_active=True).order_by("pk").first()
        )
        if user is None:
            raise RuntimeError("没有属地审核员账号：请先运行 seed_demo 或 generate_load。")
        return user

    def p1(self) -> None:
        from bench.handlers import bare_handler, call, portal_handler, raw_app
        from bench.stats import interleave

        token = self.token_for(self.reviewer().username)
        portal, bare = portal_handler(), bare_handler()
        headers = {"Authorization": f"Token {token}"}
        status, body = call(portal, "GET", "/__bench/static/", headers=headers)
        assert status == 200, (status, body[:300])
        status, bare_body = call(bare, "GET", "/__bare/static/")
        assert status == 200 and json.loads(body) == json.loads(bare_body), (status, body, bare_body)
        samples = interleave(
            lambda: call(portal, "GET", "/__bench/static/", headers=headers),
            lambda: call(bare, "GET", "/__bare/static/"),
            reps=self.args.pairs,
            per_rep=self.args.requests,
            warmup=20,
        )
        self.ratio_row(
            "P1",
            "DRF GET static dict, token, full middleware vs bare view (L1)",
            samples,
            3.0,
            note="in-process WSGIHandler;",
        )
        anon = interleave(
            lambda: call(portal, "GET", "/__bench/static-anon/"),
            lambda: call(bare, "GET", "/__bare/static/"),
            reps=self.args.pairs,
            per_rep=self.args.requests,
            warmup=20,
        )
        self.ratio_row(
            "P1-anon", "same DRF view without authentication vs L1 (no DB)", anon, None, note="middleware + DRF only;"
        )
        floor = interleave(
            lambda: call(bare, "GET", "/__bare/static/"),
            lambda: call(raw_app, "GET", "/__raw/"),
            reps=self.args.pairs,
            per_rep=self.args.requests,
            warmup=20,
        )
        self.ratio_row("P1-L1/L0", "bare Django view (L1) vs raw WSGI callable (L0)", floor, None)

    # --- P2 -------------------------------------------------------------------------------------

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
        self.ratio_row(
            "P2-deepc", f"cursor list at row {total - 50} vs first page", samples, 1.2, note="keyset, no COUNT;"
        )

    def _capture_page_sql(self, handler: Any, url: str, headers: dict[str, str], marker: str) -> tuple[str, int, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from bench.handlers import call

        with CaptureQueriesContext(connection) as ctx:
            status, body = call(handler, "GET", url, headers=headers)
        assert status == 200, (status, body[:300])
        data = json.loads(body)
        pages = [
            q["sql"] for q in ctx.captured_queries if marker in q["sql"] and "applications_application" in q["sql"]
        ]
        if not pages:
            raise RuntimeError(f"没有找到列表查询（{marker}）：{[q['sql'][:120] for q in ctx.captured_queries]}")
        count = data.get("count", len(data.get("results", [])))
        return pages[-1], len(ctx.captured_queries), count

    # --- P3 -------------------------------------------------------------------------------------

    def p3(self) -> None:
        from django.utils import timezone

        from bench.p3_sql import forfeit_awards_set_based
        from bench.stats import Samples, fmt_seconds

        job = _poll_import("deadlines.jobs", "job_forfeit_awards", self.args.poll)
        if job is None:
            self.add(Row("P3", "deadlines.jobs.job_forfeit_awards 不存在（等待超时）", ok=None))
            return
        reset = _AwardReset(self.args.p3_limit)
        reset.backup()
        try:
            sides: dict[str, Callable[[Any], int]] = {
                "job": lambda now: job(now=now),
                "update": reset.bare_update,
                "setsql": lambda now: forfeit_awards_set_based(now=now),
                "update_notrig": reset.bare_update_without_triggers,
            }
            times: dict[str, list[float]] = {k: [] for k in sides}
            expected = None
            for rep in range(self.args.p3_pairs):
                for name, fn in sides.items():
                    if name in ("setsql", "update_notrig") and self.args.skip_p3_proposal:
                        continue
                    expected = reset.prepare()
                    now = timezone.now()
                    t0 = time.perf_counter()
                    changed = fn(now)
                    dt = time.perf_counter() - t0
                    times[name].append(dt)
                    if changed != expected:
                        raise AssertionError(f"P3 {name}: changed {changed}, expected {expected}")
                    if name in ("job", "setsql"):
                        reset.verify_history(expected)
                    print(f"   rep {rep + 1} {name}: {changed:,} awards in {dt:.1f} s", flush=True)
        finally:
            reset.restore()
        job_vs_update = Samples(a=[[t] for t in times["job"]], b=[[t] for t in times["update"]])
        n = f"{expected:,} due awards"
        self.add(
            Row(
                "P3",
                f"forfeiture job over {n} vs one SQL UPDATE (L3)",
                portal=fmt_seconds(job_vs_update.p("a", 50)),
                baseline=fmt_seconds(job_vs_update.p("b", 50)),
                ratio=job_vs_update.ratio(),
                target="≤ 1.5",
                ok=job_vs_update.ratio() <= 1.5,
                note=f"{len(times['job'])} pairs; job writes history + notices, UPDATE does not;",
                extra={"times": times, "rows_per_s": (expected or 0) / job_vs_update.p("a", 50)},
            )
        )
        if times["setsql"]:
            prop = Samples(a=[[t] for t in times["setsql"]], b=[[t] for t in times["update"]])
            self.add(
                Row(
                    "P3-prop",
                    "set-based SQL sweep (bench/p3_sql.py) vs one SQL UPDATE",
                    portal=fmt_seconds(prop.p("a", 50)),
                    baseline=fmt_seconds(prop.p("b", 50)),
                    ratio=prop.ratio(),
                    target="≤ 1.5",
                    ok=None,
                    note="proposal, same batches/history/notices as the job;",
                )
            )

    # --- P4 -------------------------------------------------------------------------------------

    def p4(self) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from bench.stats import interleave
        from bench.views import raw_connection

        selectors = _poll_import("reports.selectors", "summary_rows", self.args.poll)
        if selectors is None:
            self.add(Row("P4", "reports.selectors.summary_rows 不存在（等待超时）", ok=None))
            return
        from reports.selectors import ReportFilters, ReportScope, summary_rows

        scope, filters = ReportScope(), ReportFilters()
        with CaptureQueriesContext(connection) as ctx:
            rows = summary_rows(scope=scope, filters=filters)
        same_sql = [q["sql"] for q in ctx.captured_queries]
        plain = [
            "SELECT item_id, round_id, district_id, state, review_overdue, count(*), sum(suggested_amount), "
            "sum(amount) FROM applications_application GROUP BY 1, 2, 3, 4, 5",
            "SELECT item_id, round_id, district_id, state, source, district_pays_first, application_id IS NULL, "
            "count(*), sum(amount), sum(city_share), sum(district_share) FROM awards_award GROUP BY 1, 2, 3, 4, 5, "
            "6, 7",
        ]
        raw = raw_connection()

        def run_sql(statements: list[str]) -> int:
            n = 0
            with raw.cursor() as cur:
                for sql in statements:
                    cur.execute(sql.encode())
                    n += len(cur.fetchall())
            return n

        groups = run_sql(plain)
        samples = interleave(
            lambda: summary_rows(scope=scope, filters=filters),
            lambda: run_sql(plain),
            reps=self.args.pairs,
            per_rep=self.args.p4_per_rep,
            warmup=1,
        )
        self.ratio_row(
            "P4",
            "report summary_rows (all districts) vs plain GROUP BY (L3)",
            samples,
            1.3,
            note=f"{len(rows)} summary rows from {groups} groups; {len(same_sql)} queries;",
            extra={"portal_sql": same_sql, "plain_sql": plain},
        )
        samples = interleave(
            lambda: summary_rows(scope=scope, filters=filters),
            lambda: run_sql(same_sql),
            reps=self.args.pairs,
            per_rep=self.args.p4_per_rep,
            warmup=1,
        )
        self.ratio_row("P4-orm", "summary_rows vs its own SQL via psycopg (ORM/Python cost)", samples, None)

    # --- P5 -------------------------------------------------------------------------------------

    def p5(self) -> None:
        from bench import burst
        from bench.stats import Samples, fmt_seconds, percentile

        result = burst.run(
            enterprises=self.args.burst,
            groups=self.args.burst_groups,
            concurrency=self.args.concurrency,
            workers=2,
            pdf_size=1024 * 1024,
            pin=self.args.pin,
            http_reps=self.args.requests // 2 or 50,
        )
        lat, srv = result["latencies"], result["server"]
        samples = Samples(a=[srv.get("upload", [])], b=[srv.get("stub", [])])
        client = Samples(a=[lat.get("upload", [])], b=[lat.get("stub", [])])
        db = result["db"]
        errors = result["errors"]
        clean = not errors and db["duplicates"] == 0 and db["applications"] == db["expected"] == db["submitted"]
        ratio = samples.ratio() if srv.get("upload") and srv.get("stub") else float("nan")
        note = (
            f"worker time; {db['expected']} enterprises × {len(result['kinds'])} PDFs of 1 MB ({result['item']}), "
            f"{result['concurrency']} clients, gunicorn 2 sync workers; errors {len(errors)}, "
            f"duplicates {db['duplicates']}, submitted {db['submitted']}/{db['expected']}, "
            f"wall {result['wall_s']:.0f} s;"
        )
        self.add(
            Row(
                "P5",
                "upload 1 MB PDF via API (gunicorn) vs stub storing the body",
                portal=fmt_seconds(samples.p("a", 50)),
                baseline=fmt_seconds(samples.p("b", 50)),
                ratio=ratio,
                target="≤ 1.5, 0 err, 0 dup",
                ok=(ratio <= 1.5 and clean),
                note=note,
                extra={k: v for k, v in result.items() if k != "latencies"},
            )
        )
        self.add(
            Row(
                "P5-p99",
                "the same, p99 (worker time)",
                portal=fmt_seconds(samples.p("a", 99)),
                baseline=fmt_seconds(samples.p("b", 99)),
                ratio=samples.ratio(99),
                ok=None,
            )
        )
        self.add(
            Row(
                "P5-client",
                "the same seen by the client (incl. queueing), p50",
                portal=fmt_seconds(client.p("a", 50)),
                baseline=fmt_seconds(client.p("b", 50)),
                ratio=client.ratio(),
                ok=None,
                note=f"p99 {fmt_seconds(client.p('a', 99))} vs {fmt_seconds(client.p('b', 99))};",
            )
        )
        for kind in ("create", "submit"):
            if srv.get(kind):
                self.add(
                    Row(
                        f"P5-{kind}",
                        f"{kind} request, worker time p50 (same burst)",
                        portal=fmt_seconds(percentile(srv[kind], 50)),
                        note=f"p99 {fmt_seconds(percentile(srv[kind], 99))}; client p50 "
                        f"{fmt_seconds(percentile(lat.get(kind, []), 50))};",
                    )
                )
        if errors:
            print("   first errors:", *errors[:5], sep="\n   ")
        http = result["http_p1"]
        if http.get("portal") and http.get("L1") and http.get("L0"):
            s = Samples(a=[http["portal"]], b=[http["L1"]])
            self.ratio_row("P1-http", "P1 over HTTP (gunicorn): DRF static vs bare view", s, None)
            s = Samples(a=[http["L1"]], b=[http["L0"]])
            self.ratio_row("L1/L0-http", "bare Django view vs raw WSGI over HTTP", s, None)

    # --- P6 -------------------------------------------------------------------------------------

    def p6(self) -> None:
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from accounts.models import Role, User
        from applications.selectors import application_list

        reviewers = sorted(
            (
                u
                for u in User.objects.filter(role=Role.DISTRICT_REVIEWER, is_active=True).select_related("organisation")
            ),
            key=lambda u: application_list(user=u).count(),
        )
        reviewers = [u for u in reviewers if application_list(user=u).exists()]
        if len(reviewers) < 2:
            self.add(Row("P6", "需要至少两个有案件的属地审核员", ok=None))
            return
        small, large = reviewers[0], reviewers[-1]
        sizes = {u.username: application_list(user=u).count() for u in (small, large)}

        def count(user: Any, url: str) -> tuple[int, list[str]]:
            client = Client()
            client.force_login(user)
            client.get(url)  # warm: session, caches
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            return response.status_code, [q["sql"] for q in ctx.captured_queries]

        def judge(label: str, scenario: str, a: tuple[int, list[str]], b: tuple[int, list[str]], note: str) -> None:
            """Constant: no statement repeated per row (N+1), and the counts differ by at most one
            data-dependent lookup (e.g. the working-day calendar when a page shows a deadline)."""
            (sa, qa), (sb, qb) = a, b
            repeated = {t: n for t, n in _templates(qa + qb).items() if n > 2}
            extra = sorted(set(_templates(qb)) ^ set(_templates(qa)))
            ok = sa == sb == 200 and not repeated and abs(len(qa) - len(qb)) <= 1
            detail = f"HTTP {sa}/{sb}; {note}"
            if extra:
                detail += " differs by: " + "; ".join(_table_of(t) for t in extra) + ";"
            if repeated:
                detail += f" REPEATED: {list(repeated.values())};"
            self.add(
                Row(label, scenario, portal=str(len(qb)), baseline=str(len(qa)), target="constant", ok=ok, note=detail)
            )

        wb = self._workbench_ready()
        url = "/workbench/cases/" if wb else "/api/v1/applications/"
        judge(
            "P6-queue",
            f"{'workbench' if wb else 'API'} {url} queries: {sizes[small.username]} vs "
            f"{sizes[large.username]} cases in scope",
            count(small, url),
            count(large, url),
            f"{small.username} vs {large.username};",
        )
        # the case page: a case with a short history vs one with the longest path
        few = application_list(user=large).filter(state="submitted").order_by("-id").first()
        many = (
            application_list(user=large).filter(state="approved").order_by("-id").first()
            or application_list(user=large).filter(state="city_review").order_by("-id").first()
        )
        if few and many:
            url_of = (lambda a: f"/workbench/cases/{a.pk}/") if wb else (lambda a: f"/api/v1/applications/{a.pk}/")
            events = {a.pk: a.events.count() for a in (few, many)}
            judge(
                "P6-case",
                f"{'workbench' if wb else 'API'} case page queries: {events[few.pk]} vs {events[many.pk]} history rows",
                count(large, url_of(few)),
                count(large, url_of(many)),
                f"{few.state} vs {many.state};",
            )

    def _workbench_ready(self) -> bool:
        try:
            from django.urls import reverse

            reverse("workbench:cases")
            reverse("workbench:case", args=[1])
            return True
        except Exception:
            return False

    # --- output ---------------------------------------------------------------------------------

    def report(self) -> None:
        self.facts["loadavg_end"] = os.getloadavg()
        print("\n## Results\n")
        f = self.facts
        print(
            f"Machine: {f.get('nproc')} CPUs ({f.get('cpu')}), {f.get('memory_gib')} GiB; PostgreSQL "
            f"{f.get('postgresql')}; Python {f.get('python')}; Django {f.get('django')}; DRF {f.get('drf')}; "
            f"psycopg {f.get('psycopg')}; {f.get('json')}"
        )
        print(
            f"Run: {f.get('date')}, commit {f.get('commit')}, scale {f.get('scale')} "
            f"({f.get('rows', {}).get('applications', 0):,} applications, {f.get('rows', {}).get('awards', 0):,} "
            f"awards), {f.get('pairs')} repetitions, load average {f.get('loadavg_start')} → {f.get('loadavg_end')}"
        )
        print()
        print("| # | scenario | portal | baseline | ratio | target | | notes |")
        print("|---|---|---|---|---|---|---|---|")
        for r in self.rows:
            ratio = f"{r.ratio:.2f}" if r.ratio is not None and r.ratio == r.ratio else "—"
            print(
                f"| {r.id} | {r.scenario} | {r.portal} | {r.baseline} | {ratio} | {r.target} | {r.mark()} | {r.note} |"
            )
        if self.args.json:
            Path(self.args.json).write_text(
                json.dumps(
                    {"facts": self.facts, "rows": [asdict(r) for r in self.rows], "crashed": self.crashed},
                    ensure_ascii=False,
                    indent=1,
                    default=str,
                )
            )


class _AwardReset:
    """P3's data reset: every generated award claimable and due before each timed run, and the
    awards, their history, the job's notices and the audit rows of the timed runs put back as
    they were at the end. The resets run with the audit/append-only triggers off
    (perf/maintenance.py); the timed runs with every trigger on."""

    def __init__(self, limit: int | None = None) -> None:
        from django.db import connection

        self.connection = connection
        self.limit = limit

    def _vacuum(self) -> None:
        with self.connection.cursor() as cur:
            for table in ("awards_award", "awards_awardevent", "notifications_notification"):
                cur.execute(f"VACUUM (ANALYZE) {table}")

    def backup(self) -> None:
        from perf.maintenance import audit_mark

        with self.connection.cursor() as cur:
            cur.execute("SELECT to_regclass('bench_award_backup')")
            if cur.fetchone()[0] is not None:  # a run that crashed before restoring
                self.restore()
            cur.execute(
                "CREATE TABLE bench_award_backup AS SELECT id, state, claim_deadline, updated_at FROM awards_award"
            )
            cur.execute(
                "CREATE TABLE bench_award_started AS SELECT now() AS at, "
                "(SELECT coalesce(max(id), 0) FROM awards_awardevent) AS last_event, "
                "(SELECT coalesce(max(id), 0) FROM notifications_notification) AS last_note, "
                "%s::bigint AS last_audit",
                [audit_mark()],
            )

    def _undo_runs(self, cur: Any) -> None:
        cur.execute("DELETE FROM awards_awardevent WHERE id > (SELECT last_event FROM bench_award_started)")
        cur.execute(
            "DELETE FROM notifications_notification WHERE id > (SELECT last_note FROM bench_award_started) "
            "AND kind = 'forfeited'"
        )

    def prepare(self) -> int:
        """All generated awards claimable and due (a day ago); history/notices of earlier runs gone."""
        from perf.maintenance import triggers_off

        with triggers_off() as cur:
            self._undo_runs(cur)
            # what the previous timed run forfeited goes back to its generated state first
            cur.execute(
                "UPDATE awards_award w SET state = b.state, claim_deadline = b.claim_deadline "
                "FROM bench_award_backup b WHERE b.id = w.id AND w.state = 'forfeited' AND b.state <> 'forfeited'"
            )
            chosen = (
                "SELECT w2.id FROM awards_award w2 JOIN enterprises_enterprise e ON e.id = w2.enterprise_id "
                "WHERE substr(e.credit_code, 9, 2) = 'QY' ORDER BY w2.id"
                + (f" LIMIT {int(self.limit)}" if self.limit else "")
            )
            cur.execute(
                "UPDATE awards_award SET state = 'claimable', claim_deadline = now() - interval '1 day' "
                f"WHERE id IN ({chosen})"
            )
        self._vacuum()
        with self.connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM awards_award WHERE state = 'claimable' AND claim_deadline <= now()")
            return cur.fetchone()[0]

    def bare_update(self, now: Any) -> int:
        from bench.views import raw_connection

        with raw_connection().cursor() as cur:
            cur.execute(
                "UPDATE awards_award SET state = 'forfeited', updated_at = now() "
                "WHERE state = 'claimable' AND claim_deadline <= %s",
                [now],
            )
            return cur.rowcount

    def bare_update_without_triggers(self, now: Any) -> int:
        """L3 with the audit trigger of awards_award off: what the audit trail costs the sweep."""
        from perf.maintenance import triggers_off

        with triggers_off(("awards_award",)) as cur:
            cur.execute(
                "UPDATE awards_award SET state = 'forfeited', updated_at = now() "
                "WHERE state = 'claimable' AND claim_deadline <= %s",
                [now],
            )
            return cur.rowcount

    def verify_history(self, expected: int) -> None:
        """The side just timed wrote exactly one forfeit history row per award it changed."""
        with self.connection.cursor() as cur:
            cur.execute(
                "SELECT count(*), count(DISTINCT award_id) FROM awards_awardevent "
                "WHERE id > (SELECT last_event FROM bench_award_started) AND action = 'forfeit'"
            )
            rows, awards = cur.fetchone()
        if rows != expected or awards != expected:
            raise AssertionError(f"P3: {rows} history rows for {awards} awards, expected {expected}")

    def restore(self) -> None:
        from perf.maintenance import drop_audit_after, triggers_off

        with self.connection.cursor() as cur:
            cur.execute("SELECT to_regclass('bench_award_backup'), to_regclass('bench_award_started')")
            backup, started = cur.fetchone()
            last_audit = None
            if started is not None:
                cur.execute("SELECT last_audit FROM bench_award_started")
                last_audit = cur.fetchone()[0]
        with triggers_off() as cur:
            if started is not None:
                self._undo_runs(cur)
            if backup is not None:
                cur.execute(
                    "UPDATE awards_award w SET state = b.state, claim_deadline = b.claim_deadline, "
                    "updated_at = b.updated_at FROM bench_award_backup b WHERE b.id = w.id"
                )
            cur.execute("DROP TABLE IF EXISTS bench_award_backup, bench_award_started")
        if last_audit is not None:
            drop_audit_after(last_audit)
        self._vacuum()
        _flush_queue()


def _templates(statements: list[str]) -> dict[str, int]:
    """SQL with literals replaced by ?, counted: a template seen once per row is an N+1."""
    import re
    from collections import Counter

    return Counter(re.sub(r"'[^']*'|\b\d+\b", "?", sql) for sql in statements)


def _table_of(sql: str) -> str:
    import re

    match = re.search(r'FROM "([a-z_]+)"', sql)
    return match.group(1) if match else sql[:40]


def _flush_queue() -> None:
    """Drop the e-mail tasks the jobs queued on the bench's broker (no worker runs here)."""
    from django.conf import settings

    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        return
    try:
        import redis

        redis.Redis.from_url(url).delete("celery")
    except Exception as exc:  # the broker is optional for the measurement itself
        print(f"   (could not clear the broker queue: {exc!r})")


def _poll_import(module: str, name: str, timeout: float) -> Any:
    """The attribute `name` of `module`, waiting up to `timeout` s for another helper to add it."""
    import importlib

    deadline = time.monotonic() + timeout
    while True:
        try:
            mod = importlib.import_module(module)
            if hasattr(mod, name):
                return getattr(mod, name)
        except ImportError:
            pass
        if time.monotonic() >= deadline:
            return None
        time.sleep(10)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _mem_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=None, help="1.0 = 200 000 applications, 1 000 000 awards")
    parser.add_argument("--ci", action="store_true", help="10%% scale, fewer repetitions, never fails on timing")
    parser.add_argument("--only", default="", help="comma-separated: P1,P2,P3,P4,P5,P6")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--pairs", type=int, default=None, help="repetitions per benchmark (default 5, --ci 3)")
    parser.add_argument("--p3-pairs", type=int, default=None, help="P3 repetitions (default 3; 1 at scale > 0.5)")
    parser.add_argument("--skip-p3-proposal", action="store_true", help="P3: time only the job and the UPDATE")
    parser.add_argument("--p3-limit", type=int, default=None, help="P3: make only this many awards due (default all)")
    parser.add_argument("--burst", type=int, default=200, help="P5: simulated enterprises")
    parser.add_argument("--burst-groups", type=int, default=None, help="P5: A/B groups (default 5, --ci 4)")
    parser.add_argument("--concurrency", type=int, default=2, help="P5: client threads (default: one per worker)")
    parser.add_argument("--pin", action="store_true", help="P5: taskset the server to CPU 0, the client to the rest")
    parser.add_argument("--skip-load", action="store_true", help="use the data as it is (no generate_load)")
    parser.add_argument("--poll", type=float, default=0, help="seconds to wait for other helpers' modules")
    parser.add_argument("--json", default="", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.scale is None:
        args.scale = 0.1 if args.ci else 1.0
    args.pairs = args.pairs or (3 if args.ci else 5)
    if args.ci:
        args.skip_p3_proposal = True  # CI times the job and the UPDATE only (≲ 10 minutes in all)
    if args.p3_pairs is None:
        args.p3_pairs = 1 if args.scale > 0.5 else (2 if args.ci else 3)
    args.burst_groups = args.burst_groups or (4 if args.ci else 5)
    args.requests = 100 if args.ci else 200  # calls per repetition, in-process static paths
    # calls per repetition on paths that query the database (the deep OFFSET page is slow at full scale)
    args.requests_db = 30 if args.ci else (20 if args.scale > 0.5 else 60)
    args.p4_per_rep = 1 if args.scale > 0.5 else 3
    wanted = {p.strip().upper() for p in args.only.split(",") if p.strip()} or {"P1", "P2", "P3", "P4", "P5", "P6"}

    started = time.perf_counter()
    bench = Bench(args)
    try:
        bench.setup()
    except Exception:
        traceback.print_exc()
        return 2
    for name, fn in (
        ("P1", bench.p1),
        ("P2", bench.p2),
        ("P4", bench.p4),
        ("P6", bench.p6),
        ("P5", bench.p5),
        ("P3", bench.p3),
    ):
        if name in wanted:
            bench.guard(name, fn)
    bench.facts["total_s"] = round(time.perf_counter() - started)
    bench.report()
    print(f"\nTotal {bench.facts['total_s']} s.")
    if bench.crashed:
        print("Crashed:", *bench.crashed, sep="\n  ")
        return 2
    if not args.ci and any(r.ok is False for r in bench.rows):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

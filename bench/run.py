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
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from bench import p1_auth, p2_list, p3_forfeit, p4_report, p5_burst, p6_queries  # noqa: E402
from bench.core import Row, _cpu_model, _mem_gib  # noqa: E402


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

    # --- the benchmarks, one module each -------------------------------------------------------

    p1 = p1_auth.p1
    p2 = p2_list.p2
    _capture_page_sql = p2_list._capture_page_sql
    p3 = p3_forfeit.p3
    p4 = p4_report.p4
    p5 = p5_burst.p5
    p6 = p6_queries.p6
    _workbench_ready = p6_queries._workbench_ready

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

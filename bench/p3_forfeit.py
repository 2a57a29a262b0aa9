"""P3: the forfeiture job vs one SQL UPDATE (L3), with its data reset. Bound as Bench.p3."""

import logging
import time
from collections.abc import Callable
from typing import Any

from bench.core import Row, _flush_queue, _poll_import


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
        longest: list[float] = []  # the job's longest batch transaction per run
        counts: list[int] = []
        for rep in range(self.args.p3_pairs):
            for name, fn in sides.items():
                if name == "setsql" and self.args.skip_p3_proposal:
                    continue
                expected = reset.prepare()
                now = timezone.now()
                with _BatchTimes() as batches:
                    t0 = time.perf_counter()
                    changed = fn(now)
                    dt = time.perf_counter() - t0
                if name == "job":
                    longest.append(max(batches.seconds, default=0.0))
                    counts.append(len(batches.seconds))
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
    if longest:
        self.add(
            Row(
                "P3-batch",
                "the job's longest batch transaction (commit included)",
                portal=fmt_seconds(max(longest)),
                target="≤ 1 s",
                ok=max(longest) <= 1.0,
                note=f"{', '.join(str(n) for n in counts)} batches per run; logged by deadlines.jobs;",
            )
        )
    if times["update_notrig"]:
        audit = Samples(a=[[t] for t in times["update"]], b=[[t] for t in times["update_notrig"]])
        self.add(
            Row(
                "P3-audit",
                "the same UPDATE with vs without the audit trigger",
                portal=fmt_seconds(audit.p("a", 50)),
                baseline=fmt_seconds(audit.p("b", 50)),
                ratio=audit.ratio(),
                ok=None,
                note="what the audit trail (security_audit_update) costs the sweep;",
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


class _BatchTimes(logging.Handler):
    """Collects the batch durations deadlines.jobs logs at DEBUG (one record per batch)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seconds: list[float] = []
        self.logger = logging.getLogger("deadlines.jobs")

    def emit(self, record: logging.LogRecord) -> None:
        if hasattr(record, "batch_s"):
            self.seconds.append(record.batch_s)
        elif record.levelno >= logging.WARNING:
            logging.getLogger().handle(record)  # not propagated while collecting: pass warnings on

    def __enter__(self) -> "_BatchTimes":
        self.before = (self.logger.level, self.logger.propagate)
        self.logger.setLevel(logging.DEBUG)
        self.logger.propagate = False  # a DEBUG line per batch must not reach the console
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self.before[0])
        self.logger.propagate = self.before[1]


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
                    "updated_at = b.updated_at FROM bench_award_backup b WHERE b.id = w.id "
                    "AND (w.state, w.claim_deadline, w.updated_at) IS DISTINCT FROM "
                    "(b.state, b.claim_deadline, b.updated_at)"  # only the rows the runs changed
                )
            cur.execute("DROP TABLE IF EXISTS bench_award_backup, bench_award_started")
        if last_audit is not None:
            drop_audit_after(last_audit)
        self._vacuum()
        _flush_queue()

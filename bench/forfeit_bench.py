"""Benchmark P4 (RELIABILITY.md B3): forfeiting unclaimed awards, the job against plain SQL.

    DATABASE_URL=postgres://app:app@127.0.0.1:55432/h3 .venv/bin/python bench/forfeit_bench.py [--n 100000]

Not a test. On PostgreSQL (DATABASE_URL, migrated; a database you can spare: the bench writes
and deletes its own rows there) it inserts N claimable awards past their claim deadline and N
not yet due (one enterprise each, bulk SQL with generate_series), then times, interleaved and
repeated (`--rounds`, default 3), with the data reset and VACUUM ANALYZEd before every run:

- job:        deadlines.jobs.job_forfeit_awards (batches of at most DEADLINE_JOB_BATCH_SIZE sized
              to ~0.5 s each, SKIP LOCKED, guarded UPDATE, history as INSERT … SELECT,
              notifications of the enterprise users);
- sql+history: one statement, `WITH moved AS (UPDATE awards_award SET state='forfeited' … WHERE
              state='claimable' AND claim_deadline <= now RETURNING id) INSERT INTO
              awards_awardevent … SELECT … FROM moved` (L3: the same rows changed, the same
              history written, nothing else);
- sql:        the UPDATE alone.

Both sides run against the same indexes and triggers (e.g. the audit triggers of the security
app, if installed). Every run must change exactly N awards and write N history rows. Printed:
each run, the medians, the ratios job / sql+history and job / sql, and the longest batch
transaction of the job (P4 wants ≤ 1 s).

`--audit-triggers off` disables the user triggers of awards_award (the security app's audit
log) for the run and enables them again at the end, to show the job's own overhead; it changes
the schema for every session of that database, so use it only on a database of your own.

`--users` gives each enterprise one user, so the job also writes N notifications (the SQL
baselines write none); e-mail tasks go to an in-memory broker (nothing is sent). `--keep`
leaves the rows in place at the end.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")  # DEBUG off, no query log
os.environ["CELERY_BROKER_URL"] = "memory://"  # e-mail tasks are queued in memory, never sent

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Model  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import District, Role, User  # noqa: E402
from awards.models import Award, AwardEvent  # noqa: E402
from config.celery import app as celery_app  # noqa: E402
from deadlines.jobs import batch_seconds, batch_size, job_forfeit_awards  # noqa: E402
from enterprises.models import Enterprise  # noqa: E402
from notifications.models import Notification  # noqa: E402
from policies.models import PolicyDocument, PolicyItem  # noqa: E402

TAG = "FORFEITBENCH"
DUE = datetime(2023, 3, 1, 0, 0, tzinfo=timezone.get_default_timezone())
NOT_DUE = datetime(2099, 1, 1, 0, 0, tzinfo=timezone.get_default_timezone())
REASON = "申领期限已过，未如期申领，视为自动放弃，不再享受此项政策。"


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def insert_series(model: type[Model], n: int, exprs: dict[str, str], params: dict[str, object] | None = None) -> None:
    """INSERT n rows of `model` in one statement from generate_series(1, n) AS g(i).

    `exprs` gives the SQL expression of some columns (may use g.i and %(name)s parameters); every
    other column gets the field's Django default (or NULL), so the rows are what the ORM would
    write even if other apps add columns with defaults."""
    columns, values, args = [], [], dict(params or {})
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(q(field.column))
        if field.column in exprs:
            values.append(exprs[field.column])
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append("now()")
        else:
            key = f"default_{field.column}"
            args[key] = (
                field.get_db_prep_save(field.get_default(), connection)
                if field.has_default() or not field.null
                else None
            )
            values.append(f"%({key})s")
    sql = (
        f"INSERT INTO {q(model._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM generate_series(1, %(n)s) AS g(i)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {**args, "n": n})


def append_only_triggers(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal AND tgenabled <> 'D'",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


def delete_protected(sql: str, params: list, table: str) -> None:
    """Run a DELETE on an append-only table (security app): the table's own user triggers are
    disabled inside this one transaction only, so no other session ever sees them off."""
    triggers = append_only_triggers(table)
    with transaction.atomic(), connection.cursor() as cursor:
        for name in triggers:
            cursor.execute(f"ALTER TABLE {q(table)} DISABLE TRIGGER {q(name)}")
        cursor.execute(sql, params)
        for name in triggers:
            cursor.execute(f"ALTER TABLE {q(table)} ENABLE TRIGGER {q(name)}")


class Bench:
    def __init__(self, n: int, users: bool) -> None:
        self.n, self.users = n, users
        self.batch_counts: list[int] = []

    # --- data ---------------------------------------------------------------------------------

    def setup(self) -> None:
        self.cleanup()
        district = District.objects.create(code=TAG.lower(), name="基准测试区", sort_order=999)
        document = PolicyDocument.objects.create(code=TAG, title="基准测试政策")
        self.item = PolicyItem.objects.create(
            code=TAG, document=document, name="基准测试事项", amount_rule={"kind": "fixed", "amount_yuan": 100000}
        )
        start = time.perf_counter()
        insert_series(
            Enterprise,
            self.n,
            {
                "name": "'基准测试企业' || g.i",
                "credit_code": f"'{TAG[:5]}' || lpad(g.i::text, 13, '0')",
                "district_id": "%(district)s",
            },
            {"district": district.pk},
        )
        first = Enterprise.objects.filter(district=district).order_by("pk").values_list("pk", flat=True).first()
        if self.users:
            insert_series(
                User,
                self.n,
                {
                    "username": f"'{TAG.lower()}_' || g.i",
                    "password": "'!'",
                    "role": f"'{Role.ENTERPRISE}'",
                    "enterprise_id": "%(first)s + g.i - 1",
                },
                {"first": first},
            )
        for deadline in (DUE, NOT_DUE):
            insert_series(
                Award,
                self.n,
                {
                    "enterprise_id": "%(first)s + g.i - 1",
                    "item_id": "%(item)s",
                    "district_id": "%(district)s",
                    "source": f"'{Award.Source.AUTO}'",
                    "year": "%(year)s",
                    "state": "'claimable'",
                    "amount": "100000",
                    "city_share": "50000",
                    "district_share": "50000",
                    "claim_deadline": "%(deadline)s",
                },
                {
                    "first": first,
                    "item": self.item.pk,
                    "district": district.pk,
                    "deadline": deadline,
                    "year": 2023 if deadline == DUE else 2024,
                },
            )
        print(
            f"数据：{self.n:,} 个逾期待申领奖励 + {self.n:,} 个未到期奖励，"
            f"{'每企业 1 个用户' if self.users else '企业无用户（不发通知）'}；"
            f"插入用时 {time.perf_counter() - start:.1f} s"
        )
        foreign = Award.objects.filter(state="claimable", claim_deadline__lte=timezone.now()).exclude(item=self.item)
        if foreign.exists():
            sys.exit("数据库里还有别的到期待申领奖励：请用一个单独的库跑基准（job 会处理全部到期奖励）。")

    def reset(self) -> None:
        """Back to N claimable due awards without history or notifications; VACUUM ANALYZE."""
        ids_sql = "SELECT id FROM awards_award WHERE item_id = %s"
        delete_protected(
            f"DELETE FROM awards_awardevent WHERE award_id IN ({ids_sql})", [self.item.pk], "awards_awardevent"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE awards_award SET state = 'claimable' WHERE item_id = %s AND year = 2023"
                " AND state <> 'claimable'",
                [self.item.pk],
            )
            if self.users:
                cursor.execute("DELETE FROM notifications_notification WHERE dedupe_key LIKE 'forfeited:%%'")
            cursor.execute("VACUUM ANALYZE awards_award")
            cursor.execute("VACUUM ANALYZE awards_awardevent")
            cursor.execute("VACUUM ANALYZE notifications_notification")

    def cleanup(self) -> None:
        item = PolicyItem.objects.filter(code=TAG).first()
        if item is not None:
            delete_protected(
                "DELETE FROM awards_awardevent WHERE award_id IN (SELECT id FROM awards_award WHERE item_id = %s)",
                [item.pk],
                "awards_awardevent",
            )
            Notification.objects.filter(user__username__startswith=f"{TAG.lower()}_").delete()
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM awards_award WHERE item_id = %s", [item.pk])
            User.objects.filter(username__startswith=f"{TAG.lower()}_").delete()
            Enterprise.objects.filter(district__code=TAG.lower()).delete()
            item.delete()
        PolicyDocument.objects.filter(code=TAG).delete()
        District.objects.filter(code=TAG.lower()).delete()

    # --- contenders ------------------------------------------------------------------------------

    def run_job(self, now: datetime) -> tuple[int, float]:
        """The job, timing each batch: a batch starts with its SELECT … FOR UPDATE SKIP LOCKED."""
        starts: list[float] = []

        def watch(execute, sql, params, many, context):
            if "SKIP LOCKED" in sql:
                starts.append(time.perf_counter())
            return execute(sql, params, many, context)

        with connection.execute_wrapper(watch):
            changed = job_forfeit_awards(now=now)
        end = time.perf_counter()
        batches = [b - a for a, b in zip(starts, [*starts[1:], end], strict=True)]
        self.batch_counts.append(len(batches) - 1)  # the last query finds nothing
        return changed, max(batches, default=0.0)

    def run_sql(self, now: datetime, *, history: bool) -> int:
        with transaction.atomic(), connection.cursor() as cursor:
            if history:
                cursor.execute(
                    "WITH moved AS (UPDATE awards_award SET state = 'forfeited', updated_at = now()"
                    " WHERE state = 'claimable' AND claim_deadline <= %s RETURNING id)"
                    " INSERT INTO awards_awardevent"
                    " (award_id, actor_id, action, from_state, to_state, reason, at, extra)"
                    " SELECT id, NULL, 'forfeit', 'claimable', 'forfeited', %s, now(),"
                    " jsonb_build_object('job', 'forfeit_awards', 'as_of', %s::text) FROM moved",
                    [now, REASON, now.isoformat()],
                )
            else:
                cursor.execute(
                    "UPDATE awards_award SET state = 'forfeited', updated_at = now()"
                    " WHERE state = 'claimable' AND claim_deadline <= %s",
                    [now],
                )
            return cursor.rowcount

    def check(self, name: str, changed: int, *, history: bool) -> None:
        forfeited = Award.objects.filter(item=self.item, state="forfeited").count()
        events = AwardEvent.objects.filter(award__item=self.item, action="forfeit").count()
        expected_events = self.n if history else 0
        if changed != self.n or forfeited != self.n or events != expected_events:
            sys.exit(f"{name}: 计数不符（changed={changed}, forfeited={forfeited}, events={events}），基准作废")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="到期待申领奖励数（另有同样多未到期的），默认 100000")
    parser.add_argument("--rounds", type=int, default=3, help="交替轮数（每轮三者各跑一次），默认 3")
    parser.add_argument("--users", action="store_true", help="每个企业一个用户：job 同时写通知")
    parser.add_argument("--keep", action="store_true", help="结束后保留数据")
    parser.add_argument(
        "--audit-triggers",
        choices=["on", "off"],
        default="on",
        help="off：运行期间停用 awards_award 的触发器（仅限自用库）",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("需要 PostgreSQL：设置 DATABASE_URL=postgres://…")
    celery_app.conf.task_always_eager = False  # e-mail tasks to the memory broker, not run inline

    bench = Bench(args.n, args.users)
    bench.setup()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    triggers = append_only_triggers("awards_award")
    disabled = triggers if args.audit_triggers == "off" else []
    with connection.cursor() as cursor:
        for name in disabled:
            cursor.execute(f"ALTER TABLE awards_award DISABLE TRIGGER {q(name)}")
    if disabled:
        print(f"已停用 awards_award 的触发器：{', '.join(disabled)}（结束时恢复）")
        triggers = []
    print(
        f"PostgreSQL {version}；批大小 {batch_size()}；awards_award 触发器：{', '.join(triggers) or '无'}；"
        f"CPU {os.cpu_count()}"
    )

    times: dict[str, list[float]] = {"job": [], "sql+history": [], "sql": []}
    longest_batch: list[float] = []
    now = timezone.now()
    try:
        bench.reset()
        bench.run_job(now)  # warm-up (imports, caches, plans); not counted
        for r in range(args.rounds):
            order = ["job", "sql+history", "sql"]
            if r % 2:
                order.reverse()
            for name in order:
                bench.reset()
                start = time.perf_counter()
                if name == "job":
                    changed, batch = bench.run_job(now)
                    longest_batch.append(batch)
                else:
                    changed = bench.run_sql(now, history=name == "sql+history")
                elapsed = time.perf_counter() - start
                bench.check(name, changed, history=name != "sql")
                times[name].append(elapsed)
                print(f"  第{r + 1}轮 {name:<12} {elapsed:8.3f} s")
    finally:
        with connection.cursor() as cursor:
            for name in disabled:
                cursor.execute(f"ALTER TABLE awards_award ENABLE TRIGGER {q(name)}")
        if not args.keep:
            bench.cleanup()

    med = {name: statistics.median(values) for name, values in times.items()}
    print()
    print(f"| N = {args.n:,} | 中位数 (s) | 各轮 (s) |")
    print("|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {med[name]:.3f} | {', '.join(f'{v:.3f}' for v in values)} |")
    print()
    print(f"job / sql+history = {med['job'] / med['sql+history']:.2f}")
    print(f"job / sql         = {med['job'] / med['sql']:.2f}")
    print(
        f"job 最长批次事务  = {max(longest_batch):.3f} s（每批至多 {batch_size()} 行，目标 {batch_seconds()} s；"
        f"批次数 {', '.join(map(str, bench.batch_counts[1:]))}）"
    )


if __name__ == "__main__":
    main()

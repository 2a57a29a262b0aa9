"""`manage.py run_deadlines [--at ISO-8601] [--job NAME …] [--allow-future]`

Runs the deadline jobs (deadlines.jobs.run_all) once, as of now or of `--at`, and prints how many
records each job changed, in Chinese. Safe to run any number of times and next to the Celery
beat jobs: every job is idempotent and locks its batches with SKIP LOCKED.

The changes are recorded in the audit log (security app) with the actor `system:deadlines`;
run by the Celery tasks instead, the actor is the task's name.

`--at` without a UTC offset is read as Beijing time (Asia/Shanghai) and the command says so. An
instant in the future would enforce deadlines early (drafts expired, awards forfeited before
their time), so it needs `--allow-future`; it is meant for demos and rehearsals.
"""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from common.timeutil import SHANGHAI
from deadlines.jobs import JOB_LABELS, JOBS, run_all
from security.audit import audit_actor


class Command(BaseCommand):
    help = (
        "按截止时间执行期限任务（草稿逾期、补正逾期、审核超时、奖励逾期未申领、失信期满移出、截止提醒），可重复执行。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--at",
            help="基准时间（ISO-8601），如 2023-02-01T00:00:00+08:00；不带时区时按北京时间理解；默认当前时间。",
        )
        parser.add_argument(
            "--job", action="append", choices=list(JOBS), help="只执行指定任务（可重复）；默认执行全部任务。"
        )
        parser.add_argument("--allow-future", action="store_true", help="允许基准时间晚于当前时间（将提前执行期限）。")

    def handle(self, *args, **options) -> None:
        now = self._as_of(options["at"])
        if now > timezone.now() and not options["allow_future"]:
            raise CommandError(
                f"基准时间 {timezone.localtime(now):%Y-%m-%d %H:%M:%S} 晚于当前时间，会提前执行期限"
                "（草稿逾期、奖励作废等）。确需演练请加 --allow-future。"
            )
        self.stdout.write(f"基准时间：{timezone.localtime(now).isoformat()}（北京时间）")
        with audit_actor("system:deadlines"):  # the audit triggers record who changed the rows
            counts = run_all(now=now, jobs=options["job"], label="manual")
        for name, count in counts.items():
            self.stdout.write(f"{JOB_LABELS[name]}: {count}")
        self.stdout.write(self.style.SUCCESS(f"完成，共变更 {sum(counts.values())} 项。"))

    def _as_of(self, text: str | None) -> datetime:
        if not text:
            return timezone.now()
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise CommandError(f"--at 不是有效的 ISO-8601 时间：“{text}”。示例：2023-02-01T00:00:00+08:00") from None
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=SHANGHAI)
            self.stdout.write(
                self.style.WARNING(f"--at 未带时区，按北京时间（Asia/Shanghai）理解：{moment.isoformat()}")
            )
        return moment

"""`manage.py relay_outbox`: send the outbox rows that are due now (same code as the beat task)."""

from django.core.management.base import BaseCommand

from outbox.selectors import outbox_backlog
from outbox.services import outbox_purge, outbox_relay


class Command(BaseCommand):
    help = "补发任务发件箱中未送达或未执行完成的 Celery 任务（可重复执行，可与定时任务并行）。"

    def handle(self, *args, **options) -> None:
        result = outbox_relay()
        purged = outbox_purge()
        self.stdout.write(f"已发送 {result.sent} 条，发送失败 {result.failed} 条，清理已完成的旧记录 {purged} 条。")
        if result.broker_down:
            self.stderr.write("消息队列（Redis）不可用：其余消息保留在发件箱中，恢复后再次运行即可补发。")
        backlog = outbox_backlog()
        self.stdout.write(
            f"待发送 {backlog['pending']} 条，已发送未完成 {backlog['unfinished']} 条，"
            f"其中超过 60 秒 {backlog['overdue']} 条。"
        )

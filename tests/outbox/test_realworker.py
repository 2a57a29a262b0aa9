"""R12 with a real Celery worker: tasks queued while Redis is down are sent by the relay once it
is back, and the worker runs each exactly once (`pytest -m realworker`; scripts/ci.sh starts the
worker on production settings against DATABASE_URL's database and CELERY_BROKER_URL's Redis).

The worker works on the real database, not on a pytest test database (TOOLCHAIN §8.6): this test
requests no `db` fixture, writes its rows into DATABASE_URL's database through the ORM under
`django_db_blocker.unblock()` (autocommit, so the worker sees them) and deletes them at the end.
"Redis down" is a throwaway redis-server of our own that is stopped: the worker's Redis is never
touched. Skipped, with the reason, only when no broker is configured or no worker answers.
"""

import os
import time
import uuid

import pytest
from django.db import connection, transaction
from django.test import override_settings

from accounts.models import Role, User
from notifications.models import Notification
from notifications.services import notification_create
from outbox.models import OutboxMessage
from outbox.services import outbox_relay
from tests.deadlines import realdb

from .broker import throwaway_redis, use_broker

pytestmark = [
    pytest.mark.realworker,
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]
N = 20
EMAIL_TASK = "notifications.tasks.send_notification_emails"


@pytest.fixture
def real_orm(django_db_blocker):
    """The ORM on DATABASE_URL's database (the worker's), outside any test transaction."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.fail("realworker 测试需要 DATABASE_URL=postgres://…（worker 使用的数据库）")
    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
        assert url.rsplit("/", 1)[-1].split("?")[0] == name, (
            f"默认连接指向 {name}，不是 worker 用的库：请单独运行 pytest -m realworker"
        )
        yield


def test_tasks_queued_while_redis_is_down_run_once_on_the_real_worker(real_orm):
    realdb.celery_app_or_skip()
    broker_url = os.environ["CELERY_BROKER_URL"]
    tag = uuid.uuid4().hex[:8]
    user = User.objects.create(username=f"outbox_rw_{tag}", role=Role.ENTERPRISE, email="")
    rows: list[int] = []
    try:
        with throwaway_redis() as dead:
            dead.stop()  # a broker that refuses connections, as Redis does while it restarts
            with use_broker(dead.url):
                for i in range(N):
                    with transaction.atomic():  # one committed transition each
                        notification_create(
                            users=[user], kind="test", title=f"实测通知{i}", dedupe_key=f"outbox-rw:{tag}:{i}"
                        )
        notes = list(Notification.objects.filter(user=user).values_list("pk", flat=True))
        rows = [
            pk
            for pk, args in OutboxMessage.objects.filter(task=EMAIL_TASK).values_list("pk", "args")
            if args and set(args[0]) <= set(notes)
        ]
        assert len(notes) == N and len(rows) == N
        assert OutboxMessage.objects.filter(pk__in=rows, dispatched_at__isnull=True).count() == N

        with use_broker(broker_url), override_settings(OUTBOX_PENDING_AFTER_SECONDS=0):
            t0 = time.monotonic()
            result = outbox_relay()
            assert result.sent >= N and not result.broker_down
            give_up = time.monotonic() + 60
            while time.monotonic() < give_up:
                if not OutboxMessage.objects.filter(pk__in=rows, completed_at__isnull=True).exists():
                    break
                time.sleep(0.3)
            done_after = time.monotonic() - t0
            left = OutboxMessage.objects.filter(pk__in=rows, completed_at__isnull=True).count()
            assert left == 0, f"worker 60 秒内没有执行完 {left} 个任务（见 worker 日志）"
            outbox_relay()  # again: none of these rows is due any more
        assert set(OutboxMessage.objects.filter(pk__in=rows).values_list("attempts", flat=True)) == {1}
        assert not Notification.objects.filter(user=user, emailed_at__isnull=True).exists()
        print(
            f"R12 real worker: {N} tasks queued while Redis was down, all run once {done_after:.2f} s after the relay"
        )
    finally:
        OutboxMessage.objects.filter(pk__in=rows).delete()
        Notification.objects.filter(user=user).delete()
        user.delete()

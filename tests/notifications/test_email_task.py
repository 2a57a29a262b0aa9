"""send_notification_emails: each notification e-mailed at most once, even when the outbox
delivers the task twice at the same time; a failed send is retried later, not lost."""

import threading
import time

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection

from accounts.models import Role, User
from notifications.models import Notification
from notifications.tasks import send_notification_emails

SENT: list[str] = []


class SlowBackend(LocmemBackend):
    """The test mail server: slow enough that two task copies overlap inside the send."""

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        time.sleep(0.3)
        SENT.extend(m.to[0] for m in messages)
        return super().send_messages(messages)


class DownBackend(LocmemBackend):
    """The test mail server, unreachable."""

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("SMTP 服务器不可达")


def _notices(n: int) -> list[int]:
    user = User.objects.create(username="auditor1", email="a@example.gov.cn", role=Role.AUDITOR)
    return [
        Notification.objects.create(user=user, kind="test", title=f"通知 {i}", body="内容", link="/").pk
        for i in range(n)
    ]


@pytest.mark.django_db(transaction=True)
def test_two_copies_at_once_send_each_notice_once(settings):
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    SENT.clear()
    ids = _notices(3)
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def copy() -> None:
        try:
            barrier.wait()
            results.append(send_notification_emails(ids))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=copy) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"\n2 copies of the task at once over 3 notices → {len(SENT)} e-mails, results {sorted(results)}")
    assert not errors
    assert len(SENT) == 3
    assert sum(results) == 3
    assert Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_failed_send_is_given_back_and_sent_on_retry(settings):
    ids = _notices(1)
    settings.EMAIL_BACKEND = f"{__name__}.DownBackend"
    with pytest.raises(ConnectionRefusedError):
        send_notification_emails.run(ids)  # the task body, without Celery's autoretry
    assert Notification.objects.get(pk=ids[0]).emailed_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_notification_emails.run(ids) == 1
    assert send_notification_emails.run(ids) == 0  # a redelivered copy sends nothing more
    assert [m.to for m in mail.outbox] == [["a@example.gov.cn"]]

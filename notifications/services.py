"""Creating notifications. Called by other services inside their transaction, through
`notify_on_commit`, so nothing is sent for an action that rolls back."""

from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User

from .models import Notification


def notification_create(
    *, users: Iterable[User], kind: str, title: str, body: str = "", link: str = "", dedupe_key: str = ""
) -> list[Notification]:
    """Create one inbox message per user and queue its e-mail.

    With a `dedupe_key`, a user who already has that key gets nothing new (reminders send once).
    Side effects: rows in Notification; an e-mail task per row after commit.
    """
    created: list[Notification] = []
    for user in {u.pk: u for u in users if u is not None and u.is_active}.values():
        try:
            with transaction.atomic():
                created.append(
                    Notification.objects.create(
                        user=user, kind=kind, title=title, body=body, link=link, dedupe_key=dedupe_key
                    )
                )
        except IntegrityError:
            continue  # already notified under this key
    ids = [n.pk for n in created]
    if ids:
        from outbox.services import enqueue_on_commit

        from .tasks import send_notification_emails

        enqueue_on_commit(send_notification_emails, ids)  # outbox: survives a Redis outage (R12)
    return created


def notify_on_commit(*, users: Iterable[User], kind: str, title: str, body: str = "", link: str = "") -> None:
    """Create the notifications only once the surrounding transaction has committed."""
    frozen = list(users)

    def _send() -> None:
        notification_create(users=frozen, kind=kind, title=title, body=body, link=link)

    transaction.on_commit(_send)


def notification_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, all) of the user's notifications read. Returns how many."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def email_subject(title: str) -> str:
    return f"【{settings.SITE_NAME}】{title}"

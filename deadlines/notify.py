"""Notifications for the deadline jobs, sent in sets and at most once per dedupe key.

A job that changes 5 000 cases in a batch would spend most of its time in
`notifications.services.notification_create` (one savepoint and one INSERT per user, and one
e-mail task per call). `notify_once` writes the same rows in one INSERT per batch and queues one
e-mail task per batch, with the same guarantees:

- a user who already has a notification with the message's `dedupe_key` gets nothing new, so a
  rerun of a job sends nothing (the unique constraint `notification_dedupe` backs this up);
- the rows are written in the caller's transaction, together with the state change they report:
  a batch that rolls back leaves no message behind, and a batch that commits cannot lose its
  messages (no window between commit and notify; RELIABILITY A3 rule 4);
- e-mails are queued with `transaction.on_commit`, so nothing is mailed for a rolled-back batch.

If another worker inserts one of the same rows at the same moment, the bulk INSERT fails on the
unique constraint; the batch then falls back to `notification_create` message by message, which
skips what already exists.

Callers: deadlines/jobs.py only.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction

from accounts.models import Role, User
from notifications.models import Notification
from notifications.services import notification_create

from .sql import in_ids

TITLE_MAX = 255


@dataclass(frozen=True)
class Message:
    """One message for a set of users (by id), sent at most once per user under `dedupe_key`."""

    user_ids: Sequence[int]
    kind: str
    title: str
    body: str
    link: str
    dedupe_key: str


def enterprise_user_ids(enterprise_ids: Iterable[int]) -> dict[int, list[int]]:
    """Active enterprise users of each enterprise, in one query: {enterprise_id: [user_id, ...]}."""
    users: dict[int, list[int]] = {}
    rows = User.objects.filter(in_ids(User, enterprise_ids, field="enterprise"), role=Role.ENTERPRISE, is_active=True)
    for enterprise_id, user_id in rows.order_by("pk").values_list("enterprise_id", "pk"):
        users.setdefault(enterprise_id, []).append(user_id)
    return users


def district_reviewer_ids(district_ids: Iterable[int]) -> dict[tuple[int, str], list[int]]:
    """Active district reviewers by (district, policy line handled), in one query.

    Same people as accounts.selectors.district_officials(role=DISTRICT_REVIEWER, district_id=…,
    function=…): reviewers of the district whose organisation handles that bureau function.
    """
    found: dict[tuple[int, str], list[int]] = {}
    rows = User.objects.filter(
        role=Role.DISTRICT_REVIEWER, is_active=True, organisation__district_id__in=set(district_ids)
    ).values_list("pk", "organisation__district_id", "organisation__function", "organisation__handles")
    for user_id, district_id, function, handles in rows.order_by("pk"):
        for handled in list(handles or []) or [function]:
            found.setdefault((district_id, handled), []).append(user_id)
    return found


def notify_once(messages: Iterable[Message]) -> int:
    """Write the inbox rows of `messages` not sent before and queue their e-mails after commit.

    Call inside the transaction that makes the change being reported. Returns how many rows were
    written (0 on a rerun). Side effects: Notification rows; one `send_notification_emails` task
    per call, after commit.
    """
    wanted = [m for m in messages if m.user_ids]
    if not wanted:
        return 0
    if connection.vendor == "postgresql":
        return _insert_set_based(wanted)
    user_ids = {u for m in wanted for u in m.user_ids}
    keys = {m.dedupe_key for m in wanted}
    sent = set(
        Notification.objects.filter(
            in_ids(Notification, user_ids, field="user"), in_ids(Notification, keys, field="dedupe_key")
        ).values_list("user_id", "dedupe_key")
    )
    rows = [
        Notification(
            user_id=user_id, kind=m.kind, title=m.title[:TITLE_MAX], body=m.body, link=m.link, dedupe_key=m.dedupe_key
        )
        for m in wanted
        for user_id in dict.fromkeys(m.user_ids)
        if (user_id, m.dedupe_key) not in sent
    ]
    if not rows:
        return 0
    try:
        with transaction.atomic():
            created = Notification.objects.bulk_create(rows, batch_size=2000)
    except IntegrityError:
        return _one_by_one(wanted)  # another worker sent some of them just now
    ids = [n.pk for n in created]
    _mail_on_commit(ids)
    return len(ids)


_INSERT_SQL = """
INSERT INTO notifications_notification (user_id, kind, title, body, link, dedupe_key, created_at)
SELECT x.user_id, x.kind, x.title, x.body, x.link, x.dedupe_key, now()
FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[])
    AS x (user_id, kind, title, body, link, dedupe_key)
ON CONFLICT (user_id, dedupe_key) WHERE dedupe_key <> '' DO NOTHING
RETURNING id
"""


def _insert_set_based(messages: list[Message]) -> int:
    """PostgreSQL: one INSERT … SELECT FROM unnest(arrays) per call; the unique index
    `notification_dedupe` skips what was sent before or by another worker at the same moment
    (ON CONFLICT DO NOTHING), so no look-up first and no model instances."""
    rows = [
        (user_id, m.kind, m.title[:TITLE_MAX], m.body, m.link, m.dedupe_key)
        for m in messages
        for user_id in dict.fromkeys(m.user_ids)
    ]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, [list(column) for column in zip(*rows, strict=True)])
        ids = [row[0] for row in cursor.fetchall()]
    _mail_on_commit(ids)
    return len(ids)


def _one_by_one(messages: list[Message]) -> int:
    users = User.objects.in_bulk({u for m in messages for u in m.user_ids})
    count = 0
    for m in messages:
        created = notification_create(
            users=[users[u] for u in m.user_ids if u in users],
            kind=m.kind,
            title=m.title[:TITLE_MAX],
            body=m.body,
            link=m.link,
            dedupe_key=m.dedupe_key,
        )
        count += len(created)
    return count


def _mail_on_commit(ids: list[int]) -> None:
    from notifications.tasks import send_notification_emails
    from outbox.services import enqueue_on_commit

    if ids:
        enqueue_on_commit(send_notification_emails, ids)  # outbox: survives a Redis outage (R12)

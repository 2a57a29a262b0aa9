"""deadlines.notify: set-based notifications, once per user and dedupe key, also when another
worker writes the same message at the same moment."""

import threading
import time

import pytest
from django.db import connection, transaction

from deadlines.notify import Message, notify_once
from notifications.models import Notification


def message(user_ids, key="forfeited:1") -> Message:
    return Message(user_ids, kind="forfeited", title="标题", body="内容", link="/awards/1/", dedupe_key=key)


def test_once_per_user_and_key(world, make_enterprise):
    a, b = make_enterprise(), make_enterprise()
    with transaction.atomic():
        assert notify_once([message([a.pk, b.pk]), message([a.pk], key="forfeited:2")]) == 3
    with transaction.atomic():
        assert notify_once([message([a.pk, b.pk]), message([a.pk], key="forfeited:2")]) == 0
    assert Notification.objects.count() == 3


def test_nothing_for_no_users(db):
    assert notify_once([message([])]) == 0


def test_long_titles_are_cut_to_the_column(world, make_enterprise):
    user = make_enterprise()
    notify_once([Message([user.pk], "k", "长" * 300, "", "", "long:1")])
    assert len(Notification.objects.get().title) == 255


@pytest.mark.postgres
def test_a_concurrent_writer_of_the_same_message_wins_and_nothing_is_doubled(transactional_db, world, make_enterprise):
    """Another worker inserts the same (user, key) after our pre-check but before our INSERT:
    our bulk INSERT waits for it, fails on the unique constraint, and falls back to one by one."""
    first, second = make_enterprise(), make_enterprise()
    inserted, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                Notification.objects.create(user=first, kind="forfeited", title="另一实例", dedupe_key="forfeited:1")
                inserted.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert inserted.wait(timeout=10)
    threading.Timer(0.5, release.set).start()  # commits while our INSERT waits on its row
    start = time.monotonic()
    with transaction.atomic():
        created = notify_once([message([first.pk, second.pk])])
    thread.join(timeout=10)

    assert time.monotonic() - start >= 0.4  # we did wait for the other transaction
    assert created == 1  # only `second`: `first` already had it
    rows = Notification.objects.filter(dedupe_key="forfeited:1")
    assert sorted(rows.values_list("user_id", flat=True)) == sorted([first.pk, second.pk])
    assert rows.get(user=first).title == "另一实例"

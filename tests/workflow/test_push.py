"""政策推送: an open round reaches the enterprises that qualify by their data, once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from policies.push import round_push
from policies.services import round_create

pytestmark = pytest.mark.django_db


def test_new_open_round_is_pushed_to_qualifying_enterprises_once(demo, django_capture_on_commit_callbacks):
    item = demo.p14_round.item
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        round_ = round_create(
            actor=demo.users["policy_admin"],
            item_id=item.pk,
            opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(days=20),
        )
    pushed = Notification.objects.filter(kind="policy_push").select_related("user")
    told = {n.user.username for n in pushed}
    # 商贸头部企业: the 限上 trade enterprises with a 2022 settlement HQ, in the statistics database.
    assert {"ent_a", "ent_c"} <= told and "ent_b" not in told
    assert all(n.dedupe_key == f"policy_push:{item.pk}:{n.user.enterprise_id}" for n in pushed)
    count = pushed.count()
    assert round_push(round_id=round_.pk) == 0 and Notification.objects.filter(kind="policy_push").count() == count


def test_closed_or_future_rounds_are_not_pushed_now(demo):
    now = timezone.now()
    future = round_create(
        actor=demo.users["policy_admin"],
        item_id=demo.p14_round.item_id,
        opens_at=now + timedelta(days=5),
        closes_at=now + timedelta(days=20),
    )
    assert not Notification.objects.filter(kind="policy_push").exists()
    assert future.pk

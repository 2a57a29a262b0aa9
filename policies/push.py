"""政策推送 (003 L159, L287, L621): when a round is open, every enterprise that qualifies by its
data hears about it without searching — once per item (the notification's dedupe key)."""

from django.utils import timezone

from accounts.selectors import enterprise_users
from common.timeutil import local_date
from enterprises.models import Enterprise
from notifications.services import notification_create

from .models import Round


def round_push(*, round_id: int) -> int:
    """Notify the users of every enterprise passing the item's automatic criteria. Idempotent:
    a second run sends nothing new. Returns how many enterprises were told this time.
    Called by the Celery task after a round is created and by the hourly beat job."""
    round_ = Round.objects.select_related("item").filter(pk=round_id, published=True).first()
    if round_ is None or round_.closes_at <= timezone.now():
        return 0
    from .rules.eligibility import evaluate_profile

    item = round_.item
    today = local_date()
    closes = timezone.localtime(round_.closes_at)
    told = 0
    for enterprise in Enterprise.objects.prefetch_related("designations").order_by("pk").iterator(chunk_size=500):
        if not evaluate_profile(item.eligibility, enterprise=enterprise, on=today).eligible:
            continue
        sent = notification_create(
            users=enterprise_users(enterprise_id=enterprise.pk),
            kind="policy_push",
            title=f"政策推送：{item.name}",
            body=f"按贵企业的登记信息，您可能符合“{item.name}”的申报条件。申报截止：{closes:%Y年%m月%d日 %H:%M}。",
            link=f"/policies/{item.pk}/",
            dedupe_key=f"policy_push:{item.pk}:{enterprise.pk}",
        )
        told += bool(sent)
    return told


def open_rounds_push() -> int:
    """Push every open round (the hourly safety net; a round opened by time needs no admin)."""
    now = timezone.now()
    ids = Round.objects.filter(published=True, opens_at__lte=now, closes_at__gt=now).values_list("pk", flat=True)
    return sum(round_push(round_id=pk) for pk in ids)

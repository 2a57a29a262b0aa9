"""P5's data: the burst's round and users, the checks after it, and the clean-up (bench/burst.py
runs the burst). Every function here reads or writes the benchmark database through the ORM or
the perf maintenance helpers; nothing is timed."""

import time
from datetime import timedelta
from typing import Any

from django.utils import timezone

from perf.maintenance import triggers_off

BURST_ROUND = "压测批次·申报高峰"
BURST_ITEM = "SP-003"  # an apply-mode item with three required materials and no declared figures


def wait_scanned(application_id: int, *, timeout: float = 60) -> float:
    """Seconds until no material of the case is pending any more (the worker's scans)."""
    from django.db import connection

    from applications.models import Material, ScanStatus

    t0 = time.perf_counter()
    try:
        while time.perf_counter() - t0 < timeout:
            if not Material.objects.filter(application_id=application_id, scan_status=ScanStatus.PENDING).exists():
                break
            time.sleep(0.02)
        return time.perf_counter() - t0
    finally:
        connection.close()


def prepare_round() -> Any:
    from policies.models import PolicyItem, Round

    item = (
        PolicyItem.objects.filter(code=BURST_ITEM).first()
        or PolicyItem.objects.filter(mode=PolicyItem.Mode.APPLY, detailed=True).order_by("code").first()
    )
    if item is None:
        raise RuntimeError("没有可在线申报（已完整编码）的政策事项：请先运行 seed_demo / load_policies。")
    now = timezone.now()
    round_, _ = Round.objects.update_or_create(
        name=BURST_ROUND,
        defaults={"item": item, "opens_at": now - timedelta(days=1), "closes_at": now + timedelta(days=30)},
    )
    return round_


def cleanup(round_id: int) -> int:
    """Remove everything the burst made in its round (applications, files, history, notices)."""
    from applications.models import Application, ApplicationEvent, Material

    apps = Application.objects.filter(round_id=round_id)
    ids = list(apps.values_list("pk", flat=True))
    if not ids:
        return 0
    for material in Material.objects.filter(application_id__in=ids).only("file"):
        material.file.delete(save=False)
    with triggers_off() as cur:  # the history is append-only for the portal, not for the benchmark
        cur.execute(
            "DELETE FROM notifications_notification WHERE link = ANY(%s)",
            [[f"/applications/{pk}/" for pk in ids] + [f"/workbench/cases/{pk}/" for pk in ids]],
        )
        ApplicationEvent.objects.filter(application_id__in=ids).delete()
        Material.objects.filter(application_id__in=ids).delete()
        apps.delete()
    return len(ids)


def burst_users(n: int, round_id: int) -> list[tuple[int, str]]:
    """(enterprise id, API token) of `n` generated enterprise users, tokens made if missing."""
    from rest_framework.authtoken.models import Token

    from accounts.models import Role, User

    users = list(
        User.objects.filter(username__startswith="load_u", role=Role.ENTERPRISE, is_active=True)
        .exclude(enterprise__applications__round_id=round_id)
        .order_by("pk")[:n]
    )
    if len(users) < n:
        raise RuntimeError(f"压测企业用户不足：需要 {n} 个，只有 {len(users)} 个（增加 generate_load 的企业数）。")
    return [(u.enterprise_id, Token.objects.get_or_create(user=u)[0].key) for u in users]


def check_database(round_id: int, expected: int) -> dict[str, int]:
    from applications.models import Application, Material

    apps = Application.objects.filter(round_id=round_id)
    total = apps.count()
    distinct = apps.values("enterprise_id").distinct().count()
    return {
        "applications": total,
        "submitted": apps.filter(state="submitted").count(),
        "duplicates": total - distinct,
        "materials": Material.objects.filter(application__round_id=round_id).count(),
        "unscanned": Material.objects.filter(application__round_id=round_id).exclude(scan_status="clean").count(),
        "expected": expected,
    }


def floor_scratch(*, create: bool) -> int:
    """Make (empty) or drop the floor's scratch table and message list; returns the rows the
    floor wrote (0 on create)."""
    import redis
    from django.conf import settings
    from django.db import connection

    from bench.views import FLOOR_QUEUE, FLOOR_TABLE, floor_table_sql

    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(FLOOR_QUEUE)
    with connection.cursor() as cur:
        if create:
            cur.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
            cur.execute(floor_table_sql())
            return 0
        cur.execute(f"SELECT count(*) FROM {FLOOR_TABLE}")
        rows = cur.fetchone()[0]
        cur.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        return int(rows)

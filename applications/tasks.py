"""Celery tasks of the applications app: antivirus scanning of uploaded materials (R14).

- `scan_material(material_id)`: enqueued by every upload (`enqueue_scan`, after commit); scans
  the file with applications.scanning and records clean / infected / error. Idempotent (a
  material that is no longer pending is left alone), so `acks_late` redelivery is safe.
- `scan_pending_materials()`: the sweep for what an outage left pending (scanner down, broker
  down at enqueue time, worker lost); schedule it with Celery beat, e.g. every 5 minutes.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from security.audit import audit_actor

from .scanning import material_scan

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def scan_material(material_id: int) -> str:
    with audit_actor("task:scan_material"):
        return material_scan(material_id=material_id)


@shared_task(acks_late=True, ignore_result=True)
def scan_pending_materials(*, older_than_seconds: int = 60, limit: int = 500) -> int:
    """Scan materials still pending `older_than_seconds` after upload; returns how many became final."""
    from .models import Material, ScanStatus

    before = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        Material.objects.filter(scan_status=ScanStatus.PENDING, created_at__lte=before)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    with audit_actor("task:scan_pending_materials"):
        for material_id in ids:
            if material_scan(material_id=material_id) != ScanStatus.PENDING:
                done += 1
    if ids:
        logger.info("待扫描材料复扫：%d 个，完成 %d 个", len(ids), done)
    return done


def enqueue_scan(material_id: int) -> None:
    """Part of every upload: scan the new material once its row is committed.

    With a worker, the task is sent after commit (a worker cannot see an uncommitted row); a
    broker that is down does not fail the upload (`robust`): the material stays pending, which
    blocks submission, until `scan_pending_materials` scans it. With CELERY_TASK_ALWAYS_EAGER
    (tests, no worker) the task runs at once on this connection, where the new row is visible.
    """
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        scan_material.delay(material_id)
    else:
        transaction.on_commit(lambda: scan_material.delay(material_id), robust=True)

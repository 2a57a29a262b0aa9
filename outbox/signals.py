"""Celery signals: a worker (or the eager runner) that finishes an outbox row's task marks the row
completed; a failed run keeps its error. A failure here is logged, never raised into the task."""

import logging

from celery.signals import task_failure, task_postrun

from .services import outbox_mark_completed, outbox_mark_failed

logger = logging.getLogger(__name__)


@task_postrun.connect(dispatch_uid="outbox.completed")
def _completed(sender=None, task_id=None, state=None, **_kwargs) -> None:
    if state != "SUCCESS":
        return
    try:
        outbox_mark_completed(task_id=task_id)
    except Exception:
        logger.exception("任务发件箱：无法把任务 %s 标记为完成", task_id)


@task_failure.connect(dispatch_uid="outbox.failed")
def _failed(sender=None, task_id=None, exception=None, **_kwargs) -> None:
    if exception is None:
        return
    try:
        outbox_mark_failed(task_id=task_id, error=exception)
    except Exception:
        logger.exception("任务发件箱：无法记录任务 %s 的错误", task_id)

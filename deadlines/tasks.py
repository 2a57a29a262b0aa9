"""Celery tasks of the deadline jobs: thin wrappers, scheduled by CELERY_BEAT_SCHEDULE
(config/settings/base.py): `run_deadline_jobs` every 5 minutes, `run_reminders` daily at 08:30.

They judge deadlines as of `timezone.now()` and call deadlines.jobs.run_all. Both are idempotent
(the jobs are), so `acks_late=True` is safe: a task redelivered after a worker died simply runs
again and finishes what the first attempt left. A PostgreSQL advisory lock keeps two beat
schedulers (or a slow run and the next one) from running the same jobs at the same time; if the
lock is taken the task returns at once with `{"skipped": 1}`. The audit log (security app)
records `task:<name>:<id>` as the actor of every row the jobs change.
"""

import logging

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from security.audit import audit_actor, task_label

from .jobs import ENFORCEMENT_JOBS, REMINDER_JOBS, run_all, single_instance

logger = logging.getLogger(__name__)

# How long a task waits for the advisory lock before giving up (another scheduler's run, or the
# lock of a worker killed a moment ago that PostgreSQL has not released yet); settings may
# override it as DEADLINE_LOCK_WAIT_SECONDS.
LOCK_WAIT_SECONDS = 10.0


def _lock_wait() -> float:
    return float(getattr(settings, "DEADLINE_LOCK_WAIT_SECONDS", LOCK_WAIT_SECONDS))


def _run(task: Task, name: str, jobs: tuple[str, ...]) -> dict[str, int]:
    # security.signals already names the task (task_prerun, kept across reconnections by the
    # connection_created receiver); named here too so a direct call (no worker) is labelled.
    with audit_actor(task_label(task.name, task.request.id)), single_instance(name, wait=_lock_wait()) as mine:
        if not mine:
            logger.info("期限任务 %s 正由另一实例运行，本次跳过", name)
            return {"skipped": 1}
        return run_all(now=timezone.now(), jobs=jobs, label=name)


@shared_task(name="deadlines.tasks.run_deadline_jobs", acks_late=True)
def run_deadline_jobs() -> dict[str, int]:
    """Expire drafts and returned cases, flag overdue reviews, forfeit unclaimed awards and end
    dishonesty listings that are due now. Side effects: see deadlines.jobs; one JobRun row."""
    return _run(run_deadline_jobs, "deadlines", ENFORCEMENT_JOBS)


@shared_task(name="deadlines.tasks.run_reminders", acks_late=True)
def run_reminders() -> dict[str, int]:
    """Send the 7/3/1-day reminders for unsubmitted drafts and unclaimed awards (each once).
    Side effects: Notification rows and their e-mails; one JobRun row."""
    return _run(run_reminders, "reminders", REMINDER_JOBS)

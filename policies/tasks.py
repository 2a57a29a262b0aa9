from celery import shared_task

from .push import open_rounds_push, round_push


@shared_task(acks_late=True)
def push_round(round_id: int) -> int:
    """Thin task: 政策推送 for one round (idempotent)."""
    return round_push(round_id=round_id)


@shared_task(acks_late=True)
def push_open_rounds() -> int:
    return open_rounds_push()

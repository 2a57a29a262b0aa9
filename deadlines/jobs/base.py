"""Building blocks of the deadline jobs (deadlines.jobs): batch sizing, the batched sweep with
its row locks, the guarded UPDATE, set-based history rows, and the date texts of the messages.
Callers: the modules of this package only (and tests through deadlines.jobs)."""

import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Field, Model, QuerySet
from django.utils import timezone

from common.timeutil import local_date

from ..sql import in_ids

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5000
DEFAULT_BATCH_SECONDS = 0.5
FIRST_BATCH = 1000
MIN_BATCH = 100
LOCK_POLL = 0.2  # seconds between two tries for the advisory lock
REMINDER_DAYS = (7, 3, 1)  # SPEC §5: remind 7, 3 and 1 days before a window closes


def batch_size() -> int:
    """The most ids in one batch (settings DEADLINE_JOB_BATCH_SIZE, default 5 000)."""
    return int(getattr(settings, "DEADLINE_JOB_BATCH_SIZE", DEFAULT_BATCH_SIZE))


def batch_seconds() -> float:
    """How long one batch transaction should take (settings DEADLINE_JOB_BATCH_SECONDS, default
    0.5 s): batches shrink when rows are slow to change (audit triggers, a busy server), so
    locks are held briefly and no batch comes near the 1 s of RELIABILITY P4."""
    return float(getattr(settings, "DEADLINE_JOB_BATCH_SECONDS", DEFAULT_BATCH_SECONDS))


# --- building blocks ---------------------------------------------------------------------------


def _sweep(queryset: QuerySet, apply: Callable[[list[Any]], int], *, fields: tuple[str, ...] = ()) -> int:
    """Run `apply(ids)` on every row of `queryset`, batch by batch, each batch in its own
    transaction with its rows locked (`FOR UPDATE SKIP LOCKED`; a no-op on SQLite, which has
    a single writer). Keyset pagination on id, so the loop ends even when rows are skipped.
    With `fields`, `apply` gets the locked rows as tuples `(pk, *fields)` read by the locking
    query itself (one query fewer per batch).

    The first batch has at most FIRST_BATCH ids; each full batch then sizes the next one so it
    takes about `batch_seconds()` (growing at most twofold at a time), never more than
    `batch_size()` ids nor fewer than MIN_BATCH."""
    cap, target = batch_size(), batch_seconds()
    size, last_id, total = min(cap, FIRST_BATCH), 0, 0
    while True:
        started = time.monotonic()
        with transaction.atomic():
            ids = list(
                queryset.filter(pk__gt=last_id)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")
                .values_list("pk", *fields, flat=not fields)[:size]
            )
            if not ids:
                return total
            last_id = ids[-1][0] if fields else ids[-1]
            total += apply(ids)
        elapsed = max(time.monotonic() - started, 0.001)
        # one line per batch transaction (commit included), for benchmarks and slow-batch hunting
        logger.debug(
            "期限任务批次：%d 行，%.3f 秒", len(ids), elapsed, extra={"batch_rows": len(ids), "batch_s": elapsed}
        )
        if len(ids) == size:
            size = max(min(MIN_BATCH, cap), min(cap, int(size * min(2.0, target / elapsed))))


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    size = batch_size()
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _guarded_update(queryset: QuerySet, ids: list[int], **fields: Any) -> None:
    """UPDATE the locked rows `ids` with the guard of `queryset` in the WHERE.

    The rows are locked by this transaction, so the guard holds for every one of them; if it did
    not, the batch rolls back (raises) rather than writing history for rows that did not change.
    """
    changed = queryset.filter(in_ids(queryset.model, ids)).update(**fields)
    if changed != len(ids):
        raise RuntimeError(f"期限任务：锁定 {len(ids)} 行，实际更新 {changed} 行；本批次已回滚，下次运行重试。")


def _field(model: type[Model], name: str) -> Field:
    """A concrete field of `model` (not a reverse relation), typed as such."""
    field = model._meta.get_field(name)
    assert isinstance(field, Field), f"{model.__name__}.{name} 不是字段"
    return field


class _History:
    """The history rows of one batch, written set-based: rows that share their reason and extra
    (in practice: the same deadline) go in with one `INSERT … SELECT` over their ids, instead of
    one Python object per row. Actor empty (系统), one time stamp for the batch."""

    COLUMNS = ("actor", "action", "from_state", "to_state", "reason", "at", "extra")

    def __init__(self, event_model: type[Model], link: str, *, action: str, from_state: str, to_state: str) -> None:
        self.event_model, self.link = event_model, _field(event_model, link)
        source = self.link.related_model
        assert isinstance(source, type) and issubclass(source, Model), f"{link} 不是外键"
        self.source: type[Model] = source
        self.action, self.from_state, self.to_state = action, from_state, to_state
        self.groups: dict[tuple[str, tuple], tuple[dict[str, Any], list[int]]] = {}

    def add(self, pk: int, reason: str, extra: dict[str, Any]) -> None:
        key = (reason, tuple(sorted(extra.items())))
        self.groups.setdefault(key, (extra, []))[1].append(pk)

    def write(self, *, at: datetime) -> int:
        meta, qn = self.event_model._meta, connection.ops.quote_name
        model = self.event_model
        names = [self.link.column, *(_field(model, n).column for n in self.COLUMNS)]
        columns = ", ".join(qn(str(c)) for c in names)
        at_value = _field(model, "at").get_db_prep_save(at, connection)
        written = 0
        with connection.cursor() as cursor:
            for (reason, _), (extra, ids) in self.groups.items():
                rows = self.source._default_manager.filter(in_ids(self.source, ids)).order_by().values(row_id=F("pk"))
                select, select_params = rows.query.sql_with_params()
                cursor.execute(
                    f"INSERT INTO {qn(meta.db_table)} ({columns}) "
                    f"SELECT s.row_id, NULL, %s, %s, %s, %s, %s, %s FROM ({select}) s",
                    [
                        self.action,
                        self.from_state,
                        self.to_state,
                        reason,
                        at_value,
                        _field(model, "extra").get_db_prep_save(extra, connection),
                        *select_params,
                    ],
                )
                written += cursor.rowcount
        return written


@lru_cache(maxsize=4096)
def _iso(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat()  # with its +08:00 offset: unambiguous


def _extra(job: str, now: datetime, **more: Any) -> dict[str, Any]:
    return {"job": job, "as_of": _iso(now), **more}


@lru_cache(maxsize=4096)
def deadline_text(deadline: datetime) -> str:
    """A deadline (first instant not allowed) as officials write it: 2023年01月31日 24:00."""
    local = timezone.localtime(deadline)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return f"{local - timedelta(days=1):%Y年%m月%d日} 24:00"
    return f"{local:%Y年%m月%d日 %H:%M}"


def days_left(deadline: datetime, now: datetime) -> int:
    """Calendar days (Asia/Shanghai) left before `deadline`, counting today: on the last day it
    is 1, a week before the last day 8. For a deadline of 2023-02-01 00:00 (截至1月31日) it is 7
    on 1月25日, 3 on 1月29日 and 1 on 1月31日."""
    last_day = local_date(deadline - timedelta(microseconds=1))
    return (last_day - local_date(now)).days + 1


def reminder_tier(left: int) -> int | None:
    """The reminder threshold that `left` days fall under (1, 3 or 7), or None beyond 7."""
    for tier in sorted(REMINDER_DAYS):
        if 1 <= left <= tier:
            return tier
    return None

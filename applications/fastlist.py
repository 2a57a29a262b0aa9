"""A lighter read path for the case list (GET /api/v1/applications/): values() + keyset pages.

`application_list_page(*, user, filters, cursor, page_size)` returns the same items as
ApplicationOutput (same keys, same JSON values: decimals as strings, instants in Asia/Shanghai
ISO 8601, `state_label` in Chinese) for the same scope (`application_list`, so the same
`application_queryset_for(user)` choke-point), but

- reads only the columns a list row shows (the joined policy item's rule JSON, source text and
  catalogue, the enterprise's profile and the round's settings never leave the database:
  a row is ~1.3 kB instead of ~3.4 kB);
- builds dicts from `values()` instead of model instances and a ModelSerializer;
- pages by keyset on id (`WHERE id < <last id> ORDER BY id DESC LIMIT n+1`,
  common.pagination.keyset_rows), so the last page costs what the first costs and no COUNT(*) runs.

The API (GET /api/v1/applications/, applications.apis.ApplicationListCreateApi) reads its pages
through the same ROW_FIELDS and `render_rows`, in both its page-number and cursor modes
(common.pagination.PageOrCursorPagination). `application_list_page` is the same read for callers
outside HTTP: `{"next", "previous", "results"}` with signed cursors (common.pagination).
"""

from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from common.pagination import decode_cursor, encode_cursor, filters_digest, keyset_rows
from common.statements import values_statement

from .selectors import application_list
from .workflow import State

ROW_FIELDS = (
    "id",
    "round_id",
    "round__name",
    "enterprise_id",
    "enterprise__name",
    "item_id",
    "item__name",
    "district_id",
    "district__name",
    "declared",
    "state",
    "eligibility",
    "suggested_amount",
    "amount_working",
    "amount",
    "submitted_at",
    "accepted_at",
    "review_deadline",
    "review_overdue",
    "supplement_request",
    "supplement_deadline",
    "city_list_id",
    "created_at",
    "updated_at",
)
# values() key → ApplicationOutput key
RENAMED = {
    "round_id": "round",
    "round__name": "round_name",
    "enterprise_id": "enterprise",
    "enterprise__name": "enterprise_name",
    "item_id": "policy",
    "item__name": "policy_name",
    "district_id": "district",
    "district__name": "district_name",
    "city_list_id": "city_list",
}
STATE_LABELS = dict(State.choices)
MAX_PAGE_SIZE = 200


# The items' keys in ApplicationOutput's order, each with the values() key it comes from.
ITEM_KEYS = (
    "id", "round", "round_name", "enterprise", "enterprise_name", "policy", "policy_name", "district",
    "district_name", "declared", "state", "state_label", "eligibility", "suggested_amount", "amount_working",
    "amount", "submitted_at", "accepted_at", "review_deadline", "review_overdue", "supplement_request",
    "supplement_deadline", "city_list", "created_at", "updated_at",
)  # fmt: skip
_SOURCE = {out: src for src, out in RENAMED.items()}
_PLAN = tuple((key, _SOURCE.get(key, "state" if key == "state_label" else key)) for key in ITEM_KEYS)


def _instant(value: datetime, tz: tzinfo) -> str:
    """As DRF's DateTimeField renders it: local time (Asia/Shanghai), ISO 8601."""
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _item(row: Any, plan: Iterable[tuple[str, Any, bool]], tz: tzinfo) -> dict[str, Any]:
    """One row → one item; `plan` is (item key, the row's key or index for it, is the state label)."""
    item: dict[str, Any] = {}
    for key, source, is_label in plan:
        value = row[source]
        if is_label:
            value = STATE_LABELS.get(value, value)
        elif isinstance(value, datetime):
            value = _instant(value, tz)
        elif isinstance(value, Decimal):
            value = _money(value)
        item[key] = value
    return item


_DICT_PLAN = tuple((key, source, key == "state_label") for key, source in _PLAN)


def row_to_item(row: Mapping[str, Any], tz: tzinfo | None = None) -> dict[str, Any]:
    """One values() row of ROW_FIELDS → one list item, exactly as ApplicationOutput renders it."""
    return _item(row, _DICT_PLAN, tz or timezone.get_current_timezone())


def render_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """values() rows of ROW_FIELDS → the list's JSON items (what ApplicationOutput would give)."""
    tz = timezone.get_current_timezone()  # once per page, not per value (it is a context-local lookup)
    return [row_to_item(row, tz) for row in rows]


def read_items(queryset: QuerySet) -> list[dict[str, Any]]:
    """The list items of a (sliced, ordered) case queryset in one pass over the database rows.

    Same items as `render_rows(queryset.values(*ROW_FIELDS))`, without the ORM's per-row layers:
    the values() statement is compiled once per query structure (common.statements), run on the
    connection's cursor, and each row tuple is turned straight into its item, with the field
    converters Django itself would apply (JSON columns) and the formatting of `row_to_item`.
    Who calls: the API list (both pagination modes, through common.pagination's `page_reader`)
    and application_list_page. No side effects.
    """
    statement = values_statement(queryset, ROW_FIELDS)
    if not statement.sql:  # an empty result known in advance (e.g. qs.none())
        return []
    connection = connections[queryset.db]
    if statement.params is None:
        # One literal statement (common.pgbackend): the same page asked again (a polled queue)
        # is prepared by psycopg and no longer planned; other pages and users are other texts.
        with connection.repeatable_cursor() as cursor:  # type: ignore[attr-defined]  # common.pgbackend
            cursor.execute(statement.sql)
            rows = cursor.fetchall()
    else:
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, statement.params)
            rows = cursor.fetchall()
    converters = statement.converters
    if converters:
        plain = []
        for row in rows:
            values = list(row)
            for index, (functions, expression) in converters.items():
                value = values[index]
                for convert in functions:
                    value = convert(value, expression, connection)
                values[index] = value
            plain.append(values)
        rows = plain
    names = statement.names
    position = {name: index for index, name in enumerate(names)}
    plan = [(key, position[source], key == "state_label") for key, source in _PLAN]
    tz = timezone.get_current_timezone()
    return [_item(row, plan, tz) for row in rows]


def application_list_page(
    *, user: User, filters: Mapping[str, Any] | None = None, cursor: str | None = None, page_size: int = 50
) -> dict[str, Any]:
    """One page of the user's case list, newest first; `cursor` is the `next` of the page before.

    The same keyset and signed cursors as the API's cursor mode (common.pagination), bound to
    this user and these filters; a bad cursor raises BadInput (400). No count.
    """
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    filters = dict(filters or {})
    scope = filters_digest(user_id=user.pk, params=filters)
    after, reverse = decode_cursor(cursor, scope=scope) if cursor else (None, False)
    qs = application_list(user=user, filters=filters)
    rows, more = keyset_rows(qs, page_size=page_size, after=after, reverse=reverse, reader=read_items)
    following = rows[-1]["id"] if rows and (more or reverse) else None
    before = rows[0]["id"] if rows and (more if reverse else after is not None) else None
    return {
        "next": encode_cursor(position=following, reverse=False, scope=scope) if following else None,
        "previous": encode_cursor(position=before, reverse=True, scope=scope) if before else None,
        "results": rows,
    }

"""Pagination of the API lists: page numbers (every list) and, for long case lists, opaque keyset cursors.

`StandardPagination` is DRF's page-number form (`?page=N&page_size=M` → `count`, `next`,
`previous`, `results`), the default of every list.

`PageOrCursorPagination` keeps that form and adds a cursor mode, chosen by the client:
`?pagination=cursor` (first page) or `?cursor=<opaque>` (any later page). In cursor mode a page is
`WHERE <scope and filters> AND id < <last id> ORDER BY id DESC LIMIT n + 1` (keyset): a page far
down costs what the first costs, and rows inserted meanwhile never shift a page (new cases have
higher ids and appear on the first page only). Cursor mode does not count: `count` is null on
every page. At 200 000 cases the COUNT(*) of a reviewer's queue costs more than the page itself
(bench/README.md, P2: the count of 2 308 queued cases ≈ 8–13 ms against ≈ 5 ms for the page's
SQL; 186 ms cold for a whole district scope of 18 544), so a count, even once on the first page,
would make the first page the slow one. A client that needs the total asks the page-number form
once (`?page_size=1`, same filters) and pages with cursors.

The cursor is opaque and tamper-safe: `django.core.signing` (HMAC with SECRET_KEY) over the
position, the direction, the user and a digest of the filters. A cursor that was edited, forged,
made for another user or for other filters is refused with 400 (`bad_cursor`), never 500. The
cursor only says where a page starts: what the user may see is decided by the view's queryset
(the access selector), so a cursor can never widen it.
"""

import hashlib
from collections.abc import Callable
from typing import Any

from django.core import signing
from django.db.models import QuerySet
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from common.errors import BadInput

CURSOR_SALT = "common.pagination.cursor.v1"
BAD_CURSOR = "分页参数 cursor 无效（可能被修改过，或属于其他用户、其他筛选条件），请去掉 cursor 从第一页重新开始。"
# Query parameters that move within one list; every other parameter is a filter the cursor is bound to.
PAGING_PARAMS = ("cursor", "page", "page_size", "pagination")


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class CaseCursorPagination(CursorPagination):
    """DRF's own cursor pagination on id (kept for bench/ only; the API uses PageOrCursorPagination)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-id",)


def filters_digest(*, user_id: Any, params: Any) -> str:
    """A short digest of who asks and which filters apply (everything but the paging parameters)."""
    lists = params.lists() if hasattr(params, "lists") else ((k, [v]) for k, v in params.items())
    pairs = sorted((str(k), str(v)) for k, values in lists if k not in PAGING_PARAMS for v in values)
    raw = repr((user_id, pairs)).encode()
    return hashlib.blake2s(raw, digest_size=8).hexdigest()


def encode_cursor(*, position: int, reverse: bool, scope: str) -> str:
    """Signed, URL-safe token: `position` is the id a page starts after (before when `reverse`)."""
    return signing.dumps({"p": position, "r": int(reverse), "s": scope}, salt=CURSOR_SALT, compress=False)


def decode_cursor(token: str, *, scope: str) -> tuple[int, bool]:
    """(position, reverse) of a cursor made by encode_cursor for the same `scope`; BadInput otherwise."""
    try:
        data = signing.loads(token, salt=CURSOR_SALT)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        raise BadInput(BAD_CURSOR, code="bad_cursor") from None
    if not isinstance(data, dict) or data.get("s") != scope:
        raise BadInput(BAD_CURSOR, code="bad_cursor")
    position, reverse = data.get("p"), data.get("r")
    if type(position) is not int or reverse not in (0, 1) or not 0 <= position < 2**63:
        raise BadInput(BAD_CURSOR, code="bad_cursor")
    return position, bool(reverse)


Reader = Callable[[QuerySet], list[Any]]


def keyset_rows(
    queryset: QuerySet, *, page_size: int, after: int | None, reverse: bool, reader: Reader | None = None
) -> tuple[list[Any], bool]:
    """One keyset page of `queryset` newest-first (id DESC): the rows and whether more lie beyond.

    `after` is the id the page starts after (going down), or before (going up, `reverse`); None is
    the first page. `reader` turns the sliced queryset into the page's rows (dicts with "id": the
    view's light read); without one the rows are model instances.
    """
    qs = queryset
    if after is not None:
        qs = qs.filter(pk__gt=after) if reverse else qs.filter(pk__lt=after)
    qs = qs.order_by("id" if reverse else "-id")[: page_size + 1]
    rows = reader(qs) if reader is not None else list(qs)
    more = len(rows) > page_size
    rows = rows[:page_size]
    if reverse:
        rows.reverse()
    return rows, more


class _ReadList:
    """A queryset seen through the view's reader: slicing it reads that slice's rows."""

    def __init__(self, queryset: QuerySet, reader: Reader) -> None:
        self.queryset, self.reader = queryset, reader
        self.ordered = queryset.ordered

    def __getitem__(self, index: slice) -> list[Any]:
        return self.reader(self.queryset[index])

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:  # pragma: no cover - Paginator calls count()
        return self.count()


def _pk(row: Any) -> int:
    return row["id"] if isinstance(row, dict) else row.pk


class PageOrCursorPagination(StandardPagination):
    """Page numbers by default (`count` on every page); keyset cursors on request (see module doc).

    The view may set `page_reader` (a function of a sliced queryset giving that slice's rows as
    dicts with "id", e.g. applications.fastlist.read_items): both modes then read their page
    through it (the light path) and the view returns the rows as they are; otherwise the rows
    are model instances.
    """

    cursor_query_param = "cursor"
    mode_query_param = "pagination"

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list[Any] | None:  # type: ignore[override]  # querysets only
        self.request = request
        self.cursor_mode = self._wants_cursor(request)
        if not self.cursor_mode:
            if request.query_params.get(self.cursor_query_param) is not None:
                raise BadInput("page 与 cursor 不能同时使用：翻页请只保留 cursor。", code="bad_cursor")
            reader = getattr(view, "page_reader", None)
            if reader is None:
                return super().paginate_queryset(queryset, request, view)
            return super().paginate_queryset(_ReadList(queryset, reader), request, view)  # type: ignore[arg-type]  # Paginator only slices and counts it
        return self._paginate_cursor(queryset, request, view)

    def _wants_cursor(self, request: Request) -> bool:
        mode = request.query_params.get(self.mode_query_param)
        if mode not in (None, "", "page", "cursor"):
            raise BadInput("pagination 只能是 page（页码，默认）或 cursor（游标）。", code="invalid")
        has_cursor = request.query_params.get(self.cursor_query_param) is not None
        if mode == "cursor" or (has_cursor and mode != "page"):
            if request.query_params.get(self.page_query_param) is not None:
                raise BadInput("page 与 cursor 不能同时使用：翻页请只保留 cursor。", code="bad_cursor")
            return True
        return False

    def _paginate_cursor(self, queryset: QuerySet, request: Request, view: Any) -> list[Any]:
        page_size = self.get_page_size(request) or self.page_size
        user_id = getattr(request.user, "pk", None)
        self.scope = filters_digest(user_id=user_id, params=request.query_params)
        token = request.query_params.get(self.cursor_query_param) or ""
        after, reverse = decode_cursor(token, scope=self.scope) if token else (None, False)
        rows, more = keyset_rows(
            queryset, page_size=page_size, after=after, reverse=reverse, reader=getattr(view, "page_reader", None)
        )
        self.next_position = self.previous_position = None
        if rows:
            if reverse:
                self.next_position = _pk(rows[-1])
                self.previous_position = _pk(rows[0]) if more else None
            else:
                self.next_position = _pk(rows[-1]) if more else None
                self.previous_position = _pk(rows[0]) if after is not None else None
        elif after is not None and not reverse:
            self.previous_position = after - 1  # past the end: one step back ends at the cursor row
        return rows

    def _cursor_link(self, position: int | None, *, reverse: bool) -> str | None:
        if position is None:
            return None
        assert self.request is not None  # set by paginate_queryset before any link is built
        url = self.request.build_absolute_uri()
        url = remove_query_param(url, self.page_query_param)
        token = encode_cursor(position=position, reverse=reverse, scope=self.scope)
        return replace_query_param(url, self.cursor_query_param, token)

    def get_paginated_response(self, data: Any) -> Response:
        if not self.cursor_mode:
            return super().get_paginated_response(data)
        return Response(
            {
                "count": None,  # not counted in cursor mode (see the module docstring)
                "next": self._cursor_link(self.next_position, reverse=False),
                "previous": self._cursor_link(self.previous_position, reverse=True),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "nullable": True,
                    "example": 123,
                    "description": "符合条件的总数（页码模式）。游标模式不计数，为 null。",
                },
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "example": "http://api.example.org/api/v1/applications/?pagination=cursor&cursor=eyJwIjo0MDJ9:sig",
                    "description": "下一页的完整地址（页码模式带 page，游标模式带 cursor）；没有下一页时为 null。",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "example": "http://api.example.org/api/v1/applications/?cursor=eyJwIjo0NTF9:sig",
                    "description": "上一页的完整地址；没有上一页时为 null。",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        params = super().get_schema_operation_parameters(view)
        return [
            *params,
            {
                "name": self.mode_query_param,
                "required": False,
                "in": "query",
                "description": "分页方式：page（页码，默认）或 cursor（游标，键集分页，深页与首页一样快）。",
                "schema": {"type": "string", "enum": ["page", "cursor"]},
            },
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "游标模式的位置：取自上一页响应的 next/previous 链接，不透明、不可修改；与 page 互斥。",
                "schema": {"type": "string"},
            },
        ]

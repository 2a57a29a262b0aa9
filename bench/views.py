"""The benchmark-only views: the portal-side static API and cursor list, and the bare floors.

Portal side (served through the full middleware, bench/urls.py):
- `WhoAmIApi`: the request's user (id, role, active) for the authentication-cache tests;
- `StaticApi`: an authenticated DRF view returning a constant dict (P1's portal side: project
  authentication classes, IsAuthenticated, JSONRenderer, exception handler);
- `CursorApplicationListApi`: the real ApplicationListCreateApi with
  common.pagination.CaseCursorPagination instead of page numbers (P2's keyset proposal).

Bare side (MIDDLEWARE = [], bench/bare_urls.py):
- `bare_static`: JsonResponse of the same dict (L1);
- `bare_sql`: runs a given SQL statement on a plain psycopg connection and dumps the rows as
  JSON (L2); the statement is registered by the benchmark (`register_sql`), captured from the
  portal's own request so it is the portal's exact SQL;
- `bare_upload`: streams the request body to a file and answers 201 (P5's stub, RELIABILITY P6);
- `bare_upload_checked`: the same plus only what the P5 target says the upload must do
  (magic check, SHA-256, one database row, a scan enqueued), with the bare parts: the floor of
  that work on this machine (`P5-floor`), so the portal's distance from it is measured too;
  `StackUploadFloorApi` (portal side) does that same work behind the portal's middleware,
  authentication and DRF (`P5-stack`).
"""

import hashlib
import json
import os
import tempfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.apis import ApplicationListCreateApi
from applications.fastlist import application_list_page
from common.pagination import CaseCursorPagination

from .handlers import STATIC_PAYLOAD

try:  # orjson when installed (the published floor uses it); the standard library otherwise
    import orjson

    def dumps(value: Any) -> bytes:
        return orjson.dumps(value, default=_default)

    JSON_LIB = f"orjson {orjson.__version__}"
except ImportError:  # pragma: no cover - depends on the environment

    def dumps(value: Any) -> bytes:
        return json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":")).encode()

    JSON_LIB = "json (standard library)"


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


class StaticApi(APIView):
    def get(self, request: Request) -> Response:
        return Response(STATIC_PAYLOAD)


class WhoAmIApi(APIView):
    """The authenticated user as the request sees it (the auth-cache tests read role/state and
    the organisation's scope)."""

    def get(self, request: Request) -> Response:
        user = request.user
        org = user.organisation
        return Response(
            {
                "id": user.pk,
                "username": user.username,
                "name": user.display_name,
                "role": user.role,
                "active": user.is_active,
                "handles": org.handled_functions if org is not None else None,
            }
        )


class StaticAnonApi(APIView):
    """P1's decomposition: the same DRF view with no authentication (no database round trip)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response(STATIC_PAYLOAD)


class CursorApplicationListApi(ApplicationListCreateApi):
    pagination_class = CaseCursorPagination


class FastApplicationListApi(APIView):
    """applications.fastlist behind the project's authentication (the proposed list path)."""

    def get(self, request: Request) -> Response:
        params = request.query_params
        filters = {k: params[k] for k in ("state", "round", "district", "policy") if params.get(k)}
        return Response(
            application_list_page(
                user=request.user,
                filters=filters,
                cursor=params.get("cursor"),
                page_size=int(params.get("page_size") or 50),
            )
        )


def bare_static(request: HttpRequest) -> JsonResponse:
    return JsonResponse(STATIC_PAYLOAD)


_SQL: dict[str, str] = {}
_conn: psycopg.Connection | None = None


def register_sql(name: str, sql: str) -> None:
    _SQL[name] = sql


def raw_connection() -> psycopg.Connection:
    """One plain psycopg connection (autocommit), opened once: the data-path floor."""
    global _conn
    if _conn is None or _conn.closed:
        db = settings.DATABASES["default"]
        _conn = psycopg.connect(
            host=db["HOST"],
            port=db["PORT"] or 5432,
            dbname=db["NAME"],
            user=db["USER"],
            password=db["PASSWORD"],
            autocommit=True,
        )
    return _conn


def bare_sql(request: HttpRequest, name: str) -> HttpResponse:
    with raw_connection().cursor() as cur:
        cur.execute(_SQL[name].encode())
        columns = [c.name for c in cur.description or []]
        rows = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    return HttpResponse(dumps({"results": rows}), content_type="application/json")


def bare_upload(request: HttpRequest) -> JsonResponse:
    directory = settings.MEDIA_ROOT
    os.makedirs(directory, exist_ok=True)
    size = 0
    with tempfile.NamedTemporaryFile(dir=directory, prefix="stub-", delete=False) as out:
        while chunk := request.read(64 * 1024):
            out.write(chunk)
            size += len(chunk)
    os.unlink(out.name)  # the floor writes the bytes; keeping 200 MB of stubs helps nobody
    return JsonResponse({"size": size}, status=201)


FLOOR_TABLE = "bench_upload_floor"
FLOOR_QUEUE = "bench:upload-floor-scan"
_redis: Any = None


def floor_table_sql() -> str:
    """The scratch table of `bare_upload_checked` (made and dropped by bench/burst.py)."""
    return (
        f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id bigserial PRIMARY KEY, name text NOT NULL, "
        "size bigint NOT NULL, sha256 char(64) NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
    )


def _store_checked(read: Any) -> tuple[int, dict[str, Any]]:
    """The floor's work on a body read by `read(n)`: (status, answer). See bare_upload_checked."""
    global _redis
    directory = settings.MEDIA_ROOT
    os.makedirs(directory, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    with tempfile.NamedTemporaryFile(dir=directory, prefix="floor-", delete=False) as out:
        while chunk := read(64 * 1024):
            if not head:
                head = chunk[:4096]
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    name = out.name
    if b"%PDF-" not in head:
        os.unlink(name)
        return 400, {"detail": "not a PDF"}
    sha256 = digest.hexdigest()
    with raw_connection().cursor() as cur:
        cur.execute(
            f"INSERT INTO {FLOOR_TABLE} (name, size, sha256) VALUES (%s, %s, %s) RETURNING id".encode(),
            [name, size, sha256],
        )
        row_id = cur.fetchone()[0]  # type: ignore[index]
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    _redis.lpush(FLOOR_QUEUE, json.dumps({"id": row_id, "path": name}))
    os.unlink(name)  # as the stub: the bytes were written; the benchmark keeps none of them
    return 201, {"id": row_id, "sha256": sha256, "size": size}


def bare_upload_checked(request: HttpRequest) -> JsonResponse:
    """What RELIABILITY P6 counts in the upload ("magic check, SHA-256, DB row and scan enqueue
    included"), done with the bare parts and nothing else: no middleware, authentication, access
    check, quota or ORM. The body streams to disk through SHA-256; the first chunk must hold the
    PDF magic (a multipart body: within its first 4 KiB, after the part's headers); one INSERT
    on a plain autocommit psycopg connection; one LPUSH of a small JSON message to the broker's
    Redis. 201 with the id and digest; 400 when the magic is missing (nothing kept)."""
    status, answer = _store_checked(request.read)
    return JsonResponse(answer, status=status)


class StackUploadFloorApi(APIView):
    """The same work as bare_upload_checked behind the portal's stack: the production middleware,
    DRF's dispatch, the project's authentication (the API token from memory) and permission, a
    DRF Response. Nothing of the upload's own logic (no parsing of the form, access read, quota,
    version, ORM transaction, Celery): the portal's upload minus this is what the domain costs."""

    def post(self, request: Request) -> Response:
        status, answer = _store_checked(request._request.read)
        return Response(answer, status=status)

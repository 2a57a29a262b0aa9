"""`@idempotent` for APIView handlers, and what it adds to the OpenAPI schema.

Sending `Idempotency-Key` is optional: without it the endpoint behaves as before (the services'
own state checks still refuse a second payment with 409). With it, a retry of the same request
replays the first answer byte for byte (header `Idempotent-Replayed: true`) and never repeats the
effect. See idempotency/services.py for the rules.
"""

import functools
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.views import APIView

from common.apis import request_user
from common.exception_handler import error_response

from .services import HEADER, clean_key, idempotent_call, request_fingerprint

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "可选。客户端生成的唯一键（建议 UUID，1–255 个可见 ASCII 字符）。网络重试时用同一键、同一请求体，"
        "服务器只执行一次并原样返回首次结果；同一键配不同请求体返回 422；首次请求仍在处理时返回 409。有效期 24 小时。"
    ),
)
IDEMPOTENCY_RESPONSES = {
    400: error_response("请求有误（含幂等键格式不正确）"),
    409: error_response("当前状态不允许该操作，或相同幂等键的请求仍在处理中"),
    422: error_response("该幂等键已用于内容不同的请求"),
}


def idempotent(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate an APIView handler (post): honour `Idempotency-Key` (idempotency/services.py)."""

    @functools.wraps(handler)
    def wrapper(self: APIView, request: Request, *args: Any, **kwargs: Any) -> Any:
        raw = request.headers.get(HEADER)
        if raw is None:
            return handler(self, request, *args, **kwargs)
        key = clean_key(raw)
        user = request_user(request)
        fingerprint = request_fingerprint(request.data)

        def call() -> HttpResponse:
            try:
                with transaction.atomic():  # the effect, undone on its own if it fails
                    response = handler(self, request, *args, **kwargs)
            except Exception as exc:
                response = self.handle_exception(exc)  # re-raises what it cannot answer (→ rollback, 500)
                transaction.set_rollback(False)  # the effect's savepoint is undone; keep the key and its answer
            response = self.finalize_response(request, response, *args, **kwargs)
            response.render()
            return response

        return idempotent_call(
            user_id=user.pk, key=key, route=f"{request.method} {request.path}"[:255], fingerprint=fingerprint, call=call
        )

    return wrapper

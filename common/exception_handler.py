"""One place that turns errors into the SPEC's `{"detail", "code"}` bodies."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from common.errors import DomainError


def _flatten(detail: Any) -> str:
    if isinstance(detail, dict):
        parts = []
        for key, value in detail.items():
            text = _flatten(value)
            parts.append(text if key in ("non_field_errors", "__all__", "detail") else f"{key}: {text}")
        return "；".join(parts)
    if isinstance(detail, list):
        return "；".join(_flatten(item) for item in detail)
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        response = Response({"detail": exc.message, "code": exc.code}, status=exc.status_code)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:  # 429 / 503: when to try again (RFC 9110 §10.2.3)
            response["Retry-After"] = str(retry_after)
        return response
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return Response({"detail": _flatten(detail), "code": "invalid", "errors": detail}, status=400)
    if isinstance(exc, Http404):
        return Response({"detail": "未找到该记录，或您无权查看。", "code": "not_found"}, status=404)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    handled = exception_handler(exc, context)
    if handled is None:
        return None
    response = handled
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": _flatten(exc.detail), "code": "invalid", "errors": exc.detail}
    elif isinstance(exc, exceptions.APIException):
        messages = {
            status.HTTP_401_UNAUTHORIZED: "请先登录（未提供或无效的身份凭证）。",
            status.HTTP_403_FORBIDDEN: "您没有执行该操作的权限。",
            status.HTTP_405_METHOD_NOT_ALLOWED: "不支持该请求方法。",
            status.HTTP_429_TOO_MANY_REQUESTS: "请求过于频繁，请稍后再试。",
        }
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        response.data = {"detail": messages.get(response.status_code, _flatten(exc.detail)), "code": code}
    return response


@extend_schema_serializer(component_name="Error")
class ErrorOutput(serializers.Serializer):
    """The body of every error answer (for the OpenAPI schema)."""

    detail = serializers.CharField(help_text="说明（中文），告诉调用方如何改正")
    code = serializers.CharField(help_text="机器可读的错误码")


def error_response(description: str) -> OpenApiResponse:
    """An OpenAPI response documenting an `{"detail", "code"}` error answer."""
    return OpenApiResponse(ErrorOutput, description=description)

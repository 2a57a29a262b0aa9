"""The answer to a locked-out sign-in (AXES_LOCKOUT_CALLABLE): HTTP 429 in Chinese, JSON for
the API (`{"detail", "code": "locked_out"}`), a page otherwise."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

MESSAGE = "登录失败次数过多，该账号在本设备上已暂时锁定，请{minutes}分钟后再试；如忘记密码，请使用“忘记密码”重新设置。"


def cool_off_minutes() -> int:
    from axes.helpers import get_cool_off

    delta = get_cool_off()
    return int(delta.total_seconds() // 60) if delta else 15


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    message = MESSAGE.format(minutes=cool_off_minutes())
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/") or request.headers.get("x-requested-with") == "XMLHttpRequest":
        return JsonResponse(
            {"detail": message, "code": "locked_out"}, status=status, json_dumps_params={"ensure_ascii": False}
        )
    return render(request, "security/lockout.html", {"message": message}, status=status)

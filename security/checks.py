"""System checks run by `manage.py check --deploy` (tag `security`, deploy only): the settings
this app relies on are present and strict enough. Each message says what to fix."""

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

REQUIRED_CSP = ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "default-src 'self'")
MIDDLEWARE = (
    "security.middleware.SecurityHeadersMiddleware",
    "security.middleware.SessionGuardMiddleware",
    "security.middleware.AuditActorMiddleware",
    "axes.middleware.AxesMiddleware",
)


@register(Tags.security, deploy=True)
def security_settings_check(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    found: list[Warning] = []
    for name in MIDDLEWARE:
        if name not in settings.MIDDLEWARE:
            found.append(Warning(f"MIDDLEWARE 缺少 {name}。", id="security.W001"))
    csp = getattr(settings, "SECURITY_CSP", "")
    missing = [d for d in REQUIRED_CSP if d not in csp]
    if missing or "unsafe-inline" in csp or "unsafe-eval" in csp:
        found.append(
            Warning(
                f"SECURITY_CSP 需包含 {', '.join(REQUIRED_CSP)}，且不得含 unsafe-inline/unsafe-eval。",
                id="security.W002",
            )
        )
    for setting in ("SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME"):
        if not str(getattr(settings, setting, "")).startswith("__Host-"):
            found.append(Warning(f"{setting} 应以 __Host- 开头（仅 HTTPS、不可被子域覆盖）。", id="security.W003"))
    if getattr(settings, "SECURE_HSTS_SECONDS", 0) < 31536000:
        found.append(Warning("SECURE_HSTS_SECONDS 应不少于 31536000（一年）。", id="security.W004"))
    if getattr(settings, "AXES_LOCKOUT_PARAMETERS", None) != [["username", "ip_address"]] or not getattr(
        settings, "AXES_COOLOFF_TIME", None
    ):
        found.append(
            Warning(
                "登录锁定应按“用户名+IP”组合锁定并设置自动解锁时间（AXES_LOCKOUT_PARAMETERS、AXES_COOLOFF_TIME），"
                "否则攻击者可以长期锁定他人账号。",
                id="security.W005",
            )
        )
    idle = getattr(settings, "SESSION_IDLE_TIMEOUT", 0)
    absolute = getattr(settings, "SESSION_ABSOLUTE_TIMEOUT", 0)
    if not (0 < idle <= 3600 and 0 < absolute <= 12 * 3600 and settings.SESSION_COOKIE_AGE <= 12 * 3600):
        found.append(
            Warning(
                "会话超时过长：SESSION_IDLE_TIMEOUT 不超过 1 小时，"
                "SESSION_ABSOLUTE_TIMEOUT 和 SESSION_COOKIE_AGE 不超过 12 小时。",
                id="security.W006",
            )
        )
    strict_cookies = settings.SESSION_COOKIE_SAMESITE in ("Lax", "Strict")
    if not getattr(settings, "CSRF_COOKIE_HTTPONLY", False) or not strict_cookies:
        found.append(
            Warning("CSRF_COOKIE_HTTPONLY 应为 True，SESSION_COOKIE_SAMESITE 应为 Lax 或 Strict。", id="security.W007")
        )
    if not (settings.CLAMD_SOCKET or settings.CLAMD_HOST or settings.ANTIVIRUS_BUILTIN_ONLY):
        found.append(
            Warning(
                "未配置病毒扫描服务：请设置 CLAMD_SOCKET 或 CLAMD_HOST（ClamAV clamd）。"
                "内置扫描器只识别测试特征码（EICAR），只有确知如此时才设置 ANTIVIRUS_BUILTIN_ONLY=true。",
                id="security.W008",
            )
        )
    if not getattr(settings, "RATE_LIMIT_REDIS_URL", ""):
        found.append(
            Warning("RATE_LIMIT_REDIS_URL 为空：登录、注册、上传不限流（security/ratelimit.py）。", id="security.W009")
        )
    return found

"""Security middleware (SECURITY.md lists what each proves).

- SecurityHeadersMiddleware: Content-Security-Policy, Permissions-Policy, `Cache-Control:
  no-store` on every API answer and every page of a signed-in user, TRACE/CONNECT → 405, and a
  log line for each refused request (401/403, and 404 for signed-in users: ASVS 16.3.2).
- SessionGuardMiddleware: ends the session of a user who was deactivated, has been idle longer
  than SESSION_IDLE_TIMEOUT, or signed in longer ago than SESSION_ABSOLUTE_TIMEOUT.
- AuditActorMiddleware: tells PostgreSQL who acts (security/audit.py) for requests that may write.
- SingleLanguageLocaleMiddleware, PageMessageMiddleware, PageHtmxMiddleware: Django's locale,
  messages and django-htmx middleware without their work where it can change nothing (issue #9,
  P1): one configured language needs no negotiation (the same headers are set), and /api/
  answers neither show flash messages nor serve htmx.
"""

import logging
import time
from collections.abc import Awaitable, Callable

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.messages.middleware import MessageMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django_htmx.middleware import HtmxMiddleware

from .audit import actor_label, reset_actor, set_actor

logger = logging.getLogger("security")

ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
AUTH_AT = "_security_auth_at"
SEEN_AT = "_security_seen_at"
SEEN_RESOLUTION = 60  # seconds: the last-seen stamp is rewritten at most once a minute


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _user_is_authenticated(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ALLOWED_METHODS:
            response: HttpResponse = HttpResponseNotAllowed(ALLOWED_METHODS, content="不支持该请求方法。")
            response["Content-Type"] = "text/plain; charset=utf-8"
        else:
            response = self.get_response(request)
        self._headers(request, response)
        self._log_denial(request, response)
        return response

    def _headers(self, request: HttpRequest, response: HttpResponse) -> None:
        if "Content-Security-Policy" not in response:
            policy = settings.SECURITY_CSP
            for prefix, override in getattr(settings, "SECURITY_CSP_OVERRIDES", {}).items():
                if request.path.startswith(prefix):
                    policy = override
                    break
            response["Content-Security-Policy"] = policy
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.setdefault("X-Content-Type-Options", "nosniff")
        if _is_api(request) or _user_is_authenticated(request) or "Authorization" in request.headers:
            if "Cache-Control" in response:
                patch_cache_control(response, no_store=True, private=True)
            else:  # what patch_cache_control writes on a response without the header
                response["Cache-Control"] = "no-store, private"
            patch_vary_headers(response, ("Cookie", "Authorization"))

    def _log_denial(self, request: HttpRequest, response: HttpResponse) -> None:
        status = response.status_code
        if status in (401, 403, 405, 429) or (status == 404 and _user_is_authenticated(request)):
            logger.warning(
                "请求被拒绝 status=%s method=%s path=%s actor=%s ip=%s",
                status,
                request.method,
                request.path,
                actor_label(getattr(request, "user", None)),
                request.META.get("REMOTE_ADDR", ""),
            )


class SessionGuardMiddleware:
    """Placed after AuthenticationMiddleware. Signs out (server-side: the session row is deleted
    and the key rotated) a user whose account is inactive or whose session is too old."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get("_auth_user_id"):
            reason = self._expired(request)
            if reason:
                logout(request)
                logger.info("会话结束 reason=%s path=%s", reason, request.path)
                if reason in ("idle", "absolute") and not _is_api(request):
                    messages.info(request, "您已较长时间未操作或登录时间过长，为保护账号安全已自动退出，请重新登录。")
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> str:
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return "inactive"
        session = request.session
        now = int(time.time())
        auth_at = session.get(AUTH_AT)
        seen_at = session.get(SEEN_AT)
        if auth_at is None:  # a session from before this middleware: start counting now
            session[AUTH_AT] = auth_at = now
        if seen_at is not None and now - seen_at > settings.SESSION_IDLE_TIMEOUT:
            return "idle"
        if now - auth_at > settings.SESSION_ABSOLUTE_TIMEOUT:
            return "absolute"
        if seen_at is None or now - seen_at >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
        return ""


class AuditActorMiddleware:
    """Names the signed-in user as the actor of what a request that may write (not
    GET/HEAD/OPTIONS) changes, and forgets it after (security.audit tells the database, before
    the request's first write, only if needed).

    API calls authenticated by token are named by security.authentication, which runs later
    inside the view, before anything is written: for them nothing is set here, so they are never
    named "anonymous" first (a refused token writes nothing)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in SAFE_METHODS:
            return self.get_response(request)
        if not request.META.get("HTTP_AUTHORIZATION", "").startswith("Token "):
            set_actor(actor_label(getattr(request, "user", None)))
        try:
            return self.get_response(request)
        finally:
            reset_actor()


# --- the same middleware, minus work that changes nothing (issue #9, RELIABILITY P1) ----------


class SingleLanguageLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware. With one language in LANGUAGES and no i18n_patterns every
    request gets that language whatever it asks for, so the negotiation (cookie,
    Accept-Language, path) is skipped; the answer carries the same `Content-Language` and
    `Vary: Accept-Language` as before. Several languages: Django's code, unchanged."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)
        self.single = settings.LANGUAGE_CODE if len(settings.LANGUAGES) == 1 else None

    def _fast(self, request: HttpRequest) -> bool:
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        return self.single is not None and not is_language_prefix_patterns_used(urlconf)[0]

    def process_request(self, request: HttpRequest) -> None:
        if not self._fast(request):
            return super().process_request(request)
        translation.activate(self.single or settings.LANGUAGE_CODE)  # _fast(): self.single is set
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if not self._fast(request):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class PageMessageMiddleware(MessageMiddleware):
    """Django's MessageMiddleware for pages; /api/ answers never show flash messages (no API
    view adds one, and SessionGuardMiddleware adds its sign-out notice to pages only)."""

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if _is_api(request):
            return self.get_response(request)
        return super().__call__(request)


class PageHtmxMiddleware(HtmxMiddleware):
    """django-htmx's `request.htmx` for pages; the JSON API does not serve htmx."""

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if _is_api(request):
            return self.get_response(request)
        return super().__call__(request)

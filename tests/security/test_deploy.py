"""R1 deployment hardening (ASVS 3.3–3.5, 13.4, 14.3.2, 16.5.1): the production settings pass
`check --deploy` at WARNING level, and every answer carries the headers of SECURITY.md."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parents[2]
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HSTS_MIN = 31536000


def production_env() -> dict[str, str]:
    db = os.environ.get("DATABASE_URL", "")
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set by tests only
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "portal.example.gov.cn",
        "DATABASE_URL": db if db.startswith("postgres") else "postgres://app:app@127.0.0.1:5432/app",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "CLAMD_HOST": "clamav.internal",  # a deployment scans uploads with ClamAV (R14)
    }


def run_production(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=180
    )


@pytest.fixture(scope="module")
def production_settings() -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({k: "
        "getattr(s, k, None) for k in ['DEBUG', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
        "'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', "
        "'SESSION_COOKIE_NAME', 'CSRF_COOKIE_SECURE', 'CSRF_COOKIE_HTTPONLY', 'CSRF_COOKIE_SAMESITE', "
        "'CSRF_COOKIE_NAME', 'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY', 'X_FRAME_OPTIONS', "
        "'PASSWORD_HASHERS', 'SECURITY_CSP', 'SESSION_IDLE_TIMEOUT', 'SESSION_ABSOLUTE_TIMEOUT', "
        "'SESSION_COOKIE_AGE', 'AXES_LOCKOUT_PARAMETERS', 'AXES_FAILURE_LIMIT', 'TRUSTED_PROXY_COUNT']}))"
    )
    done = run_production("-c", code)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_check_deploy_at_warning_level_reports_0_issues():
    done = run_production("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    issues = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith("?:") or ": (" in line]
    assert done.returncode == 0, f"check --deploy found {len(issues)} issue(s):\n" + "\n".join(issues)
    assert "System check identified no issues" in done.stdout


def test_production_refuses_a_weak_secret_key():
    env = production_env() | {"SECRET_KEY": "insecure-" + secrets.token_urlsafe(60)}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0 and "SECRET_KEY" in done.stderr


def test_production_settings_hsts_31536000_cookies_host_prefixed(production_settings):
    s = production_settings
    assert s["DEBUG"] is False
    assert s["SECURE_HSTS_SECONDS"] >= HSTS_MIN and s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and s["SECURE_SSL_REDIRECT"]
    assert s["SESSION_COOKIE_NAME"] == "__Host-sessionid" and s["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert s["SESSION_COOKIE_SECURE"] and s["SESSION_COOKIE_HTTPONLY"] and s["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert s["CSRF_COOKIE_SECURE"] and s["CSRF_COOKIE_HTTPONLY"] and s["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert s["SECURE_CONTENT_TYPE_NOSNIFF"] and s["X_FRAME_OPTIONS"] == "DENY"
    assert s["SECURE_REFERRER_POLICY"] == "same-origin"
    assert s["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert s["SECURITY_CSP"] == CSP
    assert s["SESSION_IDLE_TIMEOUT"] == 1800 and s["SESSION_ABSOLUTE_TIMEOUT"] == 8 * 3600
    assert s["SESSION_COOKIE_AGE"] <= 8 * 3600
    assert s["AXES_LOCKOUT_PARAMETERS"] == [["username", "ip_address"]] and s["AXES_FAILURE_LIMIT"] == 5
    assert s["TRUSTED_PROXY_COUNT"] == 1


PRODUCTION_LIKE = {
    "SECURE_HSTS_SECONDS": HSTS_MIN,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_NAME": "__Host-sessionid",
    "CSRF_COOKIE_SECURE": True,
    "CSRF_COOKIE_HTTPONLY": True,
    "CSRF_COOKIE_NAME": "__Host-csrftoken",
}


@pytest.mark.django_db
@override_settings(**PRODUCTION_LIKE)
def test_headers_over_https_hsts_csp_nosniff_referrer_frame(demo):
    client = Client()
    response = client.get("/accounts/login/", secure=True)
    assert response.status_code == 200
    assert int(re.search(r"max-age=(\d+)", response["Strict-Transport-Security"]).group(1)) >= HSTS_MIN
    assert "includeSubDomains" in response["Strict-Transport-Security"]
    assert response["Content-Security-Policy"] == CSP
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]
    csrf = response.cookies["__Host-csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax" and csrf["path"] == "/"
    assert not csrf["domain"]
    login = client.post(
        "/accounts/login/",
        {"username": "ent_a", "password": "Hz-demo-2026", "csrfmiddlewaretoken": csrf.value},
        secure=True,
    )
    assert login.status_code == 302, login.content[:500]
    session = login.cookies["__Host-sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax" and session["path"] == "/"
    assert not session["domain"]
    assert int(session["max-age"]) <= 8 * 3600


@pytest.mark.django_db
def test_no_store_on_authenticated_pages_and_every_api_answer(demo):
    anonymous = Client()
    api = anonymous.get("/api/v1/policies/")
    assert api.status_code in (401, 403) and "no-store" in api["Cache-Control"]
    signed_in = Client()
    signed_in.force_login(demo.users["ent_a"])
    for path in ("/", "/my/applications/", "/api/v1/applications/", "/api/v1/policies/"):
        response = signed_in.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], path
    token = demo.client("ent_a").post("/api/v1/auth/token/", {}, format="json")
    assert "no-store" in token["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND"])
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/v1/policies/", "/admin/", "/my/applications/"])
def test_trace_and_unknown_methods_are_405(method, path):
    response = Client().generic(method, path)
    assert response.status_code == 405, (method, path, response.status_code)
    assert "TRACE" not in response["Allow"] and "GET" in response["Allow"]
    assert response["Content-Security-Policy"] == CSP


def test_debug_is_off_in_tests_and_production(production_settings):
    assert settings.DEBUG is False and production_settings["DEBUG"] is False


@pytest.mark.django_db
@pytest.mark.urls("tests.security.urls_faults")
def test_a_500_shows_a_generic_chinese_page_without_traceback(demo):
    client = Client(raise_request_exception=False)
    client.force_login(demo.users["ent_a"])
    for path in ("/boom/", "/boom-db/", "/api/v1/boom/"):
        response = client.get(path)
        body = response.content.decode()
        assert response.status_code == 500, path
        for leak in ("Traceback", "RuntimeError", "秘密内部信息", "security_no_such_table", 'File "', "line "):
            assert leak not in body, (path, leak)
        assert "系统暂时无法处理您的请求" in body or "服务器" in body, (path, body[:300])
        assert response["Content-Security-Policy"] == CSP


@pytest.mark.django_db
def test_unknown_page_is_a_chinese_404_without_internals(demo):
    client = Client()
    client.force_login(demo.users["ent_a"])
    response = client.get("/no-such-page-xyz/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "urlpatterns" not in body and "Traceback" not in body and "Page not found" not in body
    assert 'lang="zh-hans"' in body


# --- templates that a strict CSP would break ------------------------------------------------------

TEMPLATES = ROOT / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE_ATTR = re.compile(r"\sstyle\s*=\s*[\"']", re.I)
INLINE_STYLE_TAG = re.compile(r"<style\b", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)
HX_EVAL = re.compile(r"\shx-on[:\-]|hx-vals\s*=\s*[\"']\s*js:|\[[^\]]*\]\s*[\"']", re.I)


def inline_code_in_templates() -> list[str]:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for label, pattern in (
                ("inline <script>", INLINE_SCRIPT),
                ("style= attribute", INLINE_STYLE_ATTR),
                ("<style> element", INLINE_STYLE_TAG),
                ("on*= handler", INLINE_HANDLER),
            ):
                if pattern.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {label}: {line.strip()[:120]}")
            if re.search(r"\shx-on[:\-]", line) or re.search(r"hx-vals\s*=\s*[\"']\s*js:", line):
                found.append(f"{path.relative_to(ROOT)}:{number}: htmx eval: {line.strip()[:120]}")
    return found


def test_templates_need_no_unsafe_inline_or_unsafe_eval():
    found = inline_code_in_templates()
    assert not found, f"{len(found)} place(s) that CSP without 'unsafe-inline' blocks:\n" + "\n".join(found)


@pytest.mark.django_db
def test_htmx_runs_without_eval_and_only_to_its_own_origin(demo):
    client = Client()
    client.force_login(demo.users["ent_a"])
    html = client.get("/").content.decode()
    match = re.search(r"<meta\s+name=[\"']htmx-config[\"']\s+content='([^']*)'", html)
    assert match, "base.html lacks <meta name=\"htmx-config\" content='{...}'> (SECURITY.md, HTMX)"
    config = json.loads(match.group(1))
    assert config.get("allowEval") is False and config.get("selfRequestsOnly") is True
    assert config.get("allowScriptTags") is False and config.get("includeIndicatorStyles") is False
    assert html.index("htmx-config") < html.index("htmx-2.min.js")


def test_check_deploy_asks_for_a_virus_scanner():
    """Without clamd (and without saying ANTIVIRUS_BUILTIN_ONLY=true) the deploy check names it."""
    env = production_env()
    env.pop("CLAMD_HOST")
    env.pop("ANTIVIRUS_BUILTIN_ONLY", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode != 0
    assert "security.W008" in done.stderr + done.stdout

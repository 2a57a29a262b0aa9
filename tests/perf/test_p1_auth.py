"""P1 (issue #9): the authenticated API request reads no database row on a cache hit, and a
revocation made in one process is refused by another process's very next request.

The other process is a real one (a `python` subprocess with its own WSGIHandler, its own
memory and its own Redis connections, on the same test database), so nothing is shared but
PostgreSQL and Redis, as between two gunicorn workers."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Hz-p1-cache-2026"

WORKER = r"""
import json, sys
import django
django.setup()
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
override_settings(ROOT_URLCONF="bench.urls", SESSION_ENGINE="accounts.session_store").enable()
from django.core.handlers.wsgi import WSGIHandler
from bench.handlers import call
handler = WSGIHandler()
for line in sys.stdin:
    kind, _, value = line.strip().partition(" ")
    headers = {"Authorization": f"Token {value}"} if kind == "token" else {"Cookie": value}
    with CaptureQueriesContext(connection) as queries:
        status, body = call(handler, "GET", "/__bench/whoami/", headers=headers)
    user = json.loads(body) if status == 200 else {}
    print(json.dumps({"status": status, "queries": len(queries), "role": user.get("role"),
                      "handles": user.get("handles")}), flush=True)
"""


def redis_url() -> str:
    url = os.environ.get("AUTH_CACHE_TEST_URL", "")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not url and broker.startswith("redis://"):
        url = broker.rsplit("/", 1)[0] + "/3"
    if not url:
        pytest.skip("需要 Redis：设置 AUTH_CACHE_TEST_URL 或 CELERY_BROKER_URL=redis://…")
    import redis

    redis.Redis.from_url(url, socket_timeout=2).ping()  # configured but down: fail, do not skip
    return url


class Worker:
    """Another process serving /__bench/whoami/ with the test settings and the cache on."""

    def __init__(self, url: str) -> None:
        db = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "AUTH_CACHE_URL": url,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def get(self, token: str = "", *, cookie: str = "") -> dict:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(f"cookie {cookie}\n" if cookie else f"token {token}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "worker process ended"
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture
def worker(transactional_db):
    from accounts import auth_cache

    url = redis_url()
    auth_cache.clear_process_cache()
    other = Worker(url)
    with override_settings(AUTH_CACHE_URL=url, SESSION_ENGINE="accounts.session_store"):
        yield other
    other.close()
    auth_cache.clear_process_cache()


def make_user(username: str, role: str = "auditor"):
    from rest_framework.authtoken.models import Token

    from accounts.models import User

    user = User.objects.create_user(username=username, password=PASSWORD, role=role)
    return user, Token.objects.create(user=user).key


def warmed(worker: Worker, token: str) -> dict:
    answers = [worker.get(token) for _ in range(3)]
    assert [a["status"] for a in answers] == [200, 200, 200], answers
    return answers[-1]


def test_a_hit_reads_no_row_and_deactivation_in_another_process_is_refused_next(worker):
    user, token = make_user("p1_deactivated")
    assert warmed(worker, token)["queries"] == 0  # token and user from memory: no round trip
    user.is_active = False
    user.save()
    assert worker.get(token)["status"] == 401


def test_a_new_key_is_kept_from_its_first_request(worker):
    """The first request with a key reads the token twice (once to learn its user, once after
    reading the user's epoch); the second is a hit, and a revocation is still seen next."""
    user, token = make_user("p1_first_request")
    first = worker.get(token)
    assert first["status"] == 200 and first["queries"] == 2
    assert worker.get(token)["queries"] == 0
    user.is_active = False
    user.save()
    assert worker.get(token)["status"] == 401
    assert worker.get(token)["status"] == 401  # and never kept while refused


def test_a_token_deleted_in_another_process_is_refused_next(worker):
    from rest_framework.authtoken.models import Token

    user, token = make_user("p1_token_deleted")
    assert warmed(worker, token)["queries"] == 0
    Token.objects.filter(key=token).delete()
    assert worker.get(token)["status"] == 401
    fresh = Token.objects.create(user=user).key  # rotated: the new key works at once
    assert worker.get(fresh)["status"] == 200


def test_a_role_change_in_another_process_is_seen_next(worker):
    user, token = make_user("p1_role")
    assert warmed(worker, token)["role"] == "auditor"
    user.role = "policy_admin"
    user.save(update_fields=["role"])
    answer = worker.get(token)
    assert answer["status"] == 200 and answer["role"] == "policy_admin"


def test_a_sign_in_stamp_keeps_the_cache(worker):
    from django.utils import timezone

    user, token = make_user("p1_last_login")
    warmed(worker, token)
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])  # what every sign-in writes: no revocation needed
    assert worker.get(token) == {"status": 200, "queries": 0, "role": "auditor", "handles": None}


def test_an_organisation_change_in_another_process_is_seen_next(worker):
    """An official's organisation (the scope of every list) comes from memory with the user, and
    a change of it made elsewhere is seen by the very next request."""
    from accounts.models import District, Organisation

    district = District.objects.create(code="p1x", name="测试区", kind="district")
    org = Organisation.objects.create(
        name="测试区商务局", level="district", district=district, function="commerce", handles=["commerce"]
    )
    user, token = make_user("p1_org", role="district_reviewer")
    user.organisation = org
    user.save()
    answer = warmed(worker, token)
    assert answer["queries"] == 0 and answer["handles"] == ["commerce"]  # user and organisation from memory
    org.handles = ["commerce", "economy"]
    org.save()
    answer = worker.get(token)
    assert answer["status"] == 200 and answer["handles"] == ["commerce", "economy"]
    assert warmed(worker, token)["queries"] == 0  # and kept again


def test_a_session_ended_in_another_process_is_refused_next(worker):
    from django.conf import settings
    from django.test import Client

    make_user("p1_session")
    browser = Client()
    assert browser.post("/accounts/login/", {"username": "p1_session", "password": PASSWORD}).status_code == 302
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    answers = [worker.get(cookie=cookie) for _ in range(3)]
    assert [a["status"] for a in answers] == [200, 200, 200], answers
    assert answers[-1]["queries"] == 0  # session and user from memory
    assert browser.post("/accounts/logout/").status_code == 302  # this process deletes the session
    assert worker.get(cookie=cookie)["status"] in (401, 403)

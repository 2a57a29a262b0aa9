"""Authentication and sessions (ASVS 6.x, 7.x; RELIABILITY R15, R16): Argon2, password rules,
login lockout by username+IP with a 15-minute cool-off on the page and the token API, session
rotation, logout, deactivation, idle (30 min) and absolute (8 h) timeouts."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, get_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.utils import timezone, translation
from rest_framework.test import APIClient

from config.settings.base import PASSWORD_HASHERS as BASE_HASHERS
from security.ip import client_ip

from .conftest import PASSWORD, token_for

pytestmark = pytest.mark.django_db
LIMIT = 5
LOCKED = 429


def login(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def signed_in(client: Client) -> bool:
    response = client.get("/api/v1/applications/")
    return response.status_code == 200


def travel(delta: timedelta):
    return time_machine.travel(timezone.now() + delta, tick=False)


# --- passwords -----------------------------------------------------------------------------------


@override_settings(PASSWORD_HASHERS=BASE_HASHERS)
def test_argon2_is_the_hasher_of_new_passwords():
    encoded = make_password("Hz-plan-2026")
    assert encoded.startswith("argon2$argon2id$")
    assert check_password("Hz-plan-2026", encoded) and not check_password("Hz-plan-2027", encoded)
    assert get_hasher().algorithm == "argon2"


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("abcdefghijkl", "必须同时包含字母和数字"),
        ("Hangzhou-Portal", "必须同时包含字母和数字"),
        ("9876543210123", "必须同时包含字母和数字"),
        ("Ab1", "密码太短"),
        ("password123", None),  # common password
    ],
)
def test_password_rules_refuse_weak_passwords_in_chinese(password, fragment):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        validate_password(password)
    text = "；".join(caught.value.messages)
    if fragment:
        assert fragment in text
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for m in caught.value.messages), text


def test_a_good_password_passes_every_rule():
    validate_password("Hz-plan-2026")


def test_registration_refuses_a_password_without_digits(demo):
    from enterprises.credit_code import check_character

    first17 = "91330102MA2H7X0Q0"
    response = Client().post(
        "/accounts/register/",
        {
            "name": "杭州测试安全有限公司",
            "credit_code": first17 + check_character(first17),
            "district": demo.enterprises["ent_a"].district_id,
            "username": "sec_new_admin",
            "display_name": "王五",
            "phone": "13800000000",
            "email": "wang@example.com",
            "password": "Hangzhou-Portal-Safe",
            "password_again": "Hangzhou-Portal-Safe",
        },
    )
    assert response.status_code == 200
    assert "必须同时包含字母和数字" in response.content.decode()
    assert not get_user_model().objects.filter(username="sec_new_admin").exists()


# --- lockout: 5 failures of one username from one IP, 15 minutes ---------------------------------


def test_5th_failure_locks_the_username_ip_pair_for_15_minutes(demo):
    attacker = Client(REMOTE_ADDR="198.51.100.7")
    statuses = [login(attacker, "ent_a", f"wrong-{i}").status_code for i in range(1, LIMIT + 1)]
    assert statuses == [200] * (LIMIT - 1) + [LOCKED], statuses
    locked = login(attacker, "ent_a", PASSWORD)  # even the right password is refused now
    assert locked.status_code == LOCKED and "暂时锁定" in locked.content.decode()
    assert not signed_in(attacker)
    with travel(timedelta(minutes=14)):
        assert login(attacker, "ent_a", PASSWORD).status_code == LOCKED
    with travel(timedelta(minutes=15, seconds=30)):
        assert login(attacker, "ent_a", PASSWORD).status_code == 302
        assert signed_in(attacker)


def test_lockout_cannot_deny_the_victim_elsewhere_nor_other_users(demo):
    attacker = Client(REMOTE_ADDR="198.51.100.7")
    for i in range(LIMIT * 3):
        login(attacker, "ent_a", f"guess-{i}")
    victim = Client(REMOTE_ADDR="203.0.113.20")
    assert login(victim, "ent_a", PASSWORD).status_code == 302 and signed_in(victim)
    colleague = Client(REMOTE_ADDR="198.51.100.7")  # same address, another account
    assert login(colleague, "ent_c", PASSWORD).status_code == 302 and signed_in(colleague)


def test_token_api_failures_count_and_lock_with_json_429(demo):
    client = APIClient(REMOTE_ADDR="198.51.100.8")
    codes = [
        client.post("/api/v1/auth/token/", {"username": "rev_xihu", "password": f"x-{i}"}, format="json").status_code
        for i in range(LIMIT)
    ]
    assert codes == [400] * (LIMIT - 1) + [LOCKED], codes
    right = client.post("/api/v1/auth/token/", {"username": "rev_xihu", "password": PASSWORD}, format="json")
    assert right.status_code == LOCKED
    assert right.json()["code"] == "locked_out" and "锁定" in right.json()["detail"]
    assert "token" not in right.json()


def test_page_and_api_failures_share_one_counter(demo):
    ip = "198.51.100.9"
    page, api = Client(REMOTE_ADDR=ip), APIClient(REMOTE_ADDR=ip)
    for i in range(3):
        login(page, "fund_shangcheng", f"p-{i}")
    api.post("/api/v1/auth/token/", {"username": "fund_shangcheng", "password": "p-3"}, format="json")
    fifth = api.post("/api/v1/auth/token/", {"username": "fund_shangcheng", "password": "p-4"}, format="json")
    assert fifth.status_code == LOCKED
    assert login(page, "fund_shangcheng", PASSWORD).status_code == LOCKED


def test_spoofed_forwarded_for_does_not_change_the_client_address(demo):
    from django.test import RequestFactory

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.10")
    assert client_ip(request) == "10.0.0.5"  # no trusted proxy configured: XFF ignored
    with override_settings(TRUSTED_PROXY_COUNT=1):
        assert client_ip(request) == "198.51.100.10"  # the address our proxy saw, not the client's claim
    attacker = Client(REMOTE_ADDR="198.51.100.11")
    for i in range(LIMIT):
        attacker.post("/accounts/login/", {"username": "ent_b", "password": f"z{i}"}, HTTP_X_FORWARDED_FOR=f"9.9.9.{i}")
    assert login(attacker, "ent_b", PASSWORD).status_code == LOCKED


def test_failed_logins_are_logged_without_the_password(demo, caplog):
    secret = "S3cret-Pass-987"
    with caplog.at_level("INFO"):
        for _ in range(LIMIT):
            login(Client(REMOTE_ADDR="198.51.100.12"), "auditor", secret)
    assert "auditor" in caplog.text and "status=429" in caplog.text
    assert secret not in caplog.text


# --- sessions -----------------------------------------------------------------------------------


def test_session_key_rotates_at_login(demo, auth_cache):
    client = Client()
    session = client.session
    session["before_login"] = 1
    session.save()
    client.cookies["sessionid"] = session.session_key
    before = session.session_key
    assert login(client, "ent_a", PASSWORD).status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_logout_deletes_the_session_and_the_old_cookie_is_worthless(demo, auth_cache):
    client = Client()
    login(client, "ent_a", PASSWORD)
    key = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=key).exists()
    assert client.post("/accounts/logout/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies["sessionid"] = key
    assert replay.get("/api/v1/applications/").status_code in (401, 403)
    assert replay.get("/my/applications/").status_code == 302


def test_deactivated_user_loses_session_and_token_at_once(demo, auth_cache):
    user = demo.users["rev_shangcheng"]
    browser = Client()
    login(browser, "rev_shangcheng", PASSWORD)
    key = browser.cookies["sessionid"].value
    token = token_for(user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert signed_in(browser) and api.get("/api/v1/applications/").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert not signed_in(browser)
    assert not Session.objects.filter(session_key=key).exists()
    assert api.get("/api/v1/applications/").status_code == 401


def test_token_of_an_inactive_user_is_refused_by_drf(demo):
    user = demo.users["ent_b"]
    token = token_for(user)
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)  # no signal: the token row stays
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api.get("/api/v1/applications/")
    assert response.status_code == 401
    refused = APIClient().post("/api/v1/auth/token/", {"username": "ent_b", "password": PASSWORD}, format="json")
    assert refused.status_code == 400 and "token" not in refused.json()


def test_idle_30_minutes_signs_out_activity_keeps_the_session(demo, auth_cache):
    client = Client()
    login(client, "ent_c", PASSWORD)
    for minutes in (20, 40, 60):  # a request every 20 minutes keeps it alive
        with travel(timedelta(minutes=minutes)):
            assert signed_in(client), minutes
    with travel(timedelta(minutes=60 + 31)):
        assert not signed_in(client)


def test_a_page_after_the_idle_timeout_says_why_the_user_was_signed_out(demo):
    client = Client()
    login(client, "ent_c", PASSWORD)
    with travel(timedelta(minutes=31)):
        response = client.get("/my/applications/", follow=True)
    assert response.status_code == 200
    assert "为保护账号安全已自动退出" in response.content.decode()
    assert not signed_in(client)


def test_absolute_8_hours_signs_out_even_an_active_session(demo, auth_cache):
    client = Client()
    login(client, "ent_c", PASSWORD)
    for minutes in range(25, 8 * 60, 25):
        with travel(timedelta(minutes=minutes)):
            assert signed_in(client), minutes
    with travel(timedelta(hours=8, minutes=1)):
        assert not signed_in(client)


def test_password_change_ends_the_other_sessions(demo, auth_cache):
    first, second = Client(), Client()
    login(first, "ent_a", PASSWORD)
    login(second, "ent_a", PASSWORD)
    changed = first.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": "Hz-new-pass-2027", "new_password2": "Hz-new-pass-2027"},
    )
    assert changed.status_code == 302
    assert signed_in(first)
    assert not signed_in(second)


def test_login_without_csrf_token_is_403(demo):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/accounts/login/", {"username": "ent_a", "password": PASSWORD}).status_code == 403
    assert client.post("/accounts/logout/").status_code == 403


def test_a_post_from_a_foreign_origin_is_403_even_with_a_valid_token(demo):
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    foreign = client.post(
        "/accounts/login/",
        {"username": "ent_a", "password": PASSWORD, "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://evil.example.com",
    )
    assert foreign.status_code == 403
    own = client.post(
        "/accounts/login/",
        {"username": "ent_a", "password": PASSWORD, "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="http://testserver",
    )
    assert own.status_code == 302


# --- authentication cache (accounts/auth_cache.py): revocation stays immediate -----------------


def auth_cache_test_url() -> str:
    """AUTH_CACHE_TEST_URL, else the Celery broker's Redis (make test starts one) on db 3."""
    import os

    url = os.environ.get("AUTH_CACHE_TEST_URL", "")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not url and broker.startswith("redis://"):
        url = broker.rsplit("/", 1)[0] + "/3"
    return url


def _auth_cache(mode: str):
    from accounts import auth_cache as cache

    url = ""
    if mode == "redis":
        url = auth_cache_test_url()
        if not url:
            pytest.skip("认证缓存测试需要 Redis：设置 AUTH_CACHE_TEST_URL 或 CELERY_BROKER_URL=redis://…")
        import redis

        redis.Redis.from_url(url, socket_timeout=2).ping()  # configured but down: fail, do not skip
    cache.clear_process_cache()
    engine = "accounts.session_store"  # production's; with AUTH_CACHE_URL "" it is Django's db engine
    with override_settings(AUTH_CACHE_URL=url, ROOT_URLCONF="bench.urls", SESSION_ENGINE=engine):
        yield mode
    cache.clear_process_cache()


@pytest.fixture(params=["database", "redis"])
def auth_cache(request):
    """The test runs twice: cache off (every request reads the database) and on (Redis)."""
    yield from _auth_cache(request.param)


@pytest.fixture
def auth_cache_redis():
    yield from _auth_cache("redis")


def whoami(client: APIClient):
    return client.get("/__bench/whoami/")


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def warm(client: APIClient, n: int = 3) -> None:
    for _ in range(n):  # the first requests fill the cache (token → user id, then the rows)
        assert whoami(client).status_code == 200


def test_cached_token_is_served_without_a_query_and_refused_after_deactivation(demo, auth_cache):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = demo.users["rev_shangcheng"]
    api = token_client(user)
    warm(api)
    with CaptureQueriesContext(connection) as queries:
        assert whoami(api).json()["username"] == "rev_shangcheng"
    # without the cache: the token with its user, then the organisation whoami shows
    assert len(queries) == (0 if auth_cache == "redis" else 2), [q["sql"] for q in queries]
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = whoami(api)
    assert response.status_code == 401, response.content


def test_deleted_and_rotated_tokens_are_refused_on_the_next_request(demo, auth_cache):
    from rest_framework.authtoken.models import Token

    user = demo.users["ent_a"]
    old = token_client(user)
    warm(old)
    Token.objects.filter(user=user).delete()  # rotation: the old key goes, a new one is made
    assert whoami(old).status_code == 401
    new = token_client(user)
    assert whoami(new).status_code == 200
    warm(new)
    Token.objects.get(user=user).delete()
    assert whoami(new).status_code == 401


def test_a_role_change_is_seen_on_the_next_request(demo, auth_cache):
    user = demo.users["auditor"]
    api = token_client(user)
    warm(api)
    assert whoami(api).json()["role"] == "auditor"
    user.role = "policy_admin"
    user.save()
    assert whoami(api).json()["role"] == "policy_admin"


def test_password_change_and_deactivation_end_cached_sessions(demo, auth_cache):
    first, second = Client(), Client()
    login(first, "ent_a", PASSWORD)
    login(second, "ent_a", PASSWORD)
    for _ in range(3):
        assert signed_in(first) and signed_in(second)
    changed = first.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": "Hz-new-pass-2027", "new_password2": "Hz-new-pass-2027"},
    )
    assert changed.status_code == 302
    assert signed_in(first)
    assert not signed_in(second)
    user = get_user_model().objects.get(username="ent_a")
    user.is_active = False
    user.save()
    assert not signed_in(first)


def test_a_change_without_signals_is_seen_after_revoke_user_or_the_ttl(demo, auth_cache):
    from accounts.auth_cache import revoke_user

    user = demo.users["ent_c"]
    api = token_client(user)
    warm(api)
    before = whoami(api).json()["name"]
    get_user_model().objects.filter(pk=user.pk).update(display_name="改名之后")  # no signal
    if auth_cache == "redis":
        assert whoami(api).json()["name"] == before  # cached: QuerySet.update is not seen…
        revoke_user(user.pk)  # …until the code that bypassed the ORM says so
    assert whoami(api).json()["name"] == "改名之后"
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    with override_settings(AUTH_CACHE_TTL=0):  # or until AUTH_CACHE_TTL has passed
        assert whoami(api).status_code == 401


def test_redis_down_reads_fall_back_to_the_database_and_revocations_are_refused(demo, auth_cache_redis):
    from accounts.auth_cache import AuthCacheUnavailable, clear_process_cache

    user = demo.users["ent_b"]
    api = token_client(user)
    warm(api)
    clear_process_cache()
    with override_settings(AUTH_CACHE_URL="redis://127.0.0.1:9/0", AUTH_CACHE_TIMEOUT=0.05):  # nothing listens
        assert whoami(api).status_code == 200  # from the database
        user.is_active = False
        with pytest.raises(AuthCacheUnavailable) as refused:
            user.save()
        assert "Redis" in refused.value.message
    assert get_user_model().objects.get(pk=user.pk).is_active  # nothing was written


def test_a_lost_push_connection_empties_the_cache(demo, auth_cache_redis):
    import redis
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.auth_cache import _tracker

    api = token_client(demo.users["ent_b"])
    warm(api)
    killer = redis.Redis.from_url(auth_cache_test_url())
    assert killer.client_kill_filter(_id=_tracker.push_id) == 1  # this process's push connection only
    with CaptureQueriesContext(connection) as queries:
        assert whoami(api).status_code == 200
    assert len(queries) == 1  # the memory was dropped with the connection: the database answered

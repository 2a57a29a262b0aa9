"""R16 rate limits on Redis INCR+EXPIRE (security/ratelimit.py), against a real Redis.

- 50 parallel requests at limit L → exactly L accepted (R16_TRIALS trials, default 20);
- the 6th failed login of a username+IP in 15 minutes → 429 (page and token API), Retry-After;
- 50 parallel wrong passwords cost at most 5 password checks;
- the limit cannot be used to deny the user elsewhere nor colleagues behind the same address;
- registrations per IP, uploads per enterprise (API and portal), 429 in Chinese + Retry-After;
- Redis down: login and uploads fail open (axes stays the backstop), registration fails closed (503).

Redis: RATE_LIMIT_TEST_REDIS_URL, else RATE_LIMIT_REDIS_URL, else CELERY_BROKER_URL when it is
redis:// (make test). Every test uses a key prefix of its own. Without Redis the tests are
skipped with the reason, and under CI=true they fail instead.
"""

import os
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest
import redis
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from applications import services
from applications.models import Material
from enterprises.credit_code import check_character
from security import ratelimit

from .conftest import CI, PASSWORD, pdf, race

TRIALS = int(os.environ.get("R16_TRIALS", "20"))
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def redis_url() -> str:
    for name in ("RATE_LIMIT_TEST_REDIS_URL", "RATE_LIMIT_REDIS_URL", "CELERY_BROKER_URL"):
        url = os.environ.get(name, "")
        if url.startswith("redis://"):
            return url
    return ""


@pytest.fixture
def limiter(settings):
    url = redis_url()
    why = "需要 Redis：设置 RATE_LIMIT_TEST_REDIS_URL=redis://127.0.0.1:6379/7（make test 用 CELERY_BROKER_URL）"
    if not url:
        pytest.fail(why) if CI else pytest.skip(why)
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"{why}：{exc}") if CI else pytest.skip(f"{why}：{exc}")
    prefix = f"rltest-{uuid.uuid4().hex[:12]}"
    settings.RATE_LIMIT_REDIS_URL = url
    settings.RATE_LIMIT_KEY_PREFIX = prefix
    yield client
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def window_start(seconds: int) -> datetime:
    """The beginning (+1 s) of the next fixed window: a test's requests all fall in one window."""
    return datetime.fromtimestamp((int(time.time() // seconds) + 1) * seconds + 1, tz=UTC)


def login(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def token(client: APIClient, username: str, password: str):
    return client.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")


# --- the counter itself ------------------------------------------------------------------------


def test_50_parallel_requests_at_limit_l_accept_exactly_l(limiter, settings):
    settings.RATE_LIMIT_UPLOAD = 7
    accepted_per_trial = Counter()
    with time_machine.travel(window_start(3600), tick=True):
        for trial in range(TRIALS):
            ident = f"enterprise:trial-{trial}"
            result = race(50, lambda ident=ident: ratelimit.hit("upload", ident).allowed)
            accepted_per_trial[result[True]] += 1
    print(f"\nR16 50 个并发请求、限额 L=7：{TRIALS} 次试验，每次放行数 → 次数 {dict(accepted_per_trial)}")
    assert accepted_per_trial == Counter({7: TRIALS})


def test_the_window_expires_with_its_key(limiter, settings):
    settings.RATE_LIMIT_UPLOAD, settings.RATE_LIMIT_UPLOAD_WINDOW = 2, 60
    with time_machine.travel(window_start(60), tick=False):
        assert [ratelimit.hit("upload", "e:1").allowed for _ in range(3)] == [True, True, False]
        decision = ratelimit.hit("upload", "e:1")
        assert not decision.allowed and 1 <= decision.retry_after <= 60 and "每1分钟最多上传2个" in decision.message
        keys = list(limiter.scan_iter(f"{settings.RATE_LIMIT_KEY_PREFIX}:upload:*"))
        assert len(keys) == 1 and 0 < limiter.ttl(keys[0]) <= 61
        assert b"e:1" not in keys[0]  # identities are hashed, never stored in clear
    later = datetime.fromtimestamp(window_start(60).timestamp() + 60, tz=UTC)
    with time_machine.travel(later, tick=False):
        assert ratelimit.hit("upload", "e:1").allowed


# --- login ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_6th_failed_login_in_15_minutes_is_429_page_and_api(limiter, demo):
    with time_machine.travel(window_start(900), tick=True):
        page = Client(REMOTE_ADDR="198.51.100.61")
        statuses = [login(page, "ent_a", f"wrong-{i}").status_code for i in range(6)]
        sixth = login(page, "ent_a", PASSWORD)
        api = APIClient(REMOTE_ADDR="198.51.100.62")
        codes = [token(api, "rev_xihu", f"x-{i}").json().get("code") for i in range(5)]
        api_sixth = token(api, "rev_xihu", "x-5")
    print(
        f"\nR16 登录页：第1–6次 {statuses}，之后 {sixth.status_code}；"
        f"令牌接口：第1–5次 {codes}，第6次 {api_sixth.status_code}"
    )
    # 1–4 wrong → 200 (form again), the 5th → 429 by django-axes, the 6th → 429 by the limiter
    assert statuses == [200, 200, 200, 200, 429, 429], statuses
    assert sixth.status_code == 429 and "暂时锁定" in sixth.content.decode()
    assert 1 <= int(sixth["Retry-After"]) <= 900
    assert codes == ["invalid_credentials"] * 4 + ["locked_out"], codes
    # the limiter answers with axes' code (one lock to the client) but, unlike axes, with Retry-After
    assert api_sixth.status_code == 429 and api_sixth.json()["code"] == "locked_out"
    assert "15分钟最多尝试5次" in api_sixth.json()["detail"] and 1 <= int(api_sixth["Retry-After"]) <= 900


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_50_parallel_wrong_passwords_cost_at_most_5_password_checks(limiter, demo_tx):
    from axes.models import AccessAttempt

    def guess() -> str:
        response = token(APIClient(REMOTE_ADDR="198.51.100.63"), "ent_b", f"guess-{uuid.uuid4().hex[:6]}")
        by = "limiter" if response.has_header("Retry-After") else "checked"  # axes' 429 has no Retry-After
        return f"{response.status_code} {response.json().get('code')} {by}"

    with time_machine.travel(window_start(900), tick=True):
        result = race(50, guess)
    checked = sum(n for outcome, n in result.items() if outcome.endswith("checked"))
    failures = sum(a.failures_since_start for a in AccessAttempt.objects.filter(username="ent_b"))
    print(f"\nR16 50 个并发错误密码：{dict(result)}；核对密码 {checked} 次（axes 记录失败 {failures} 次）")
    assert checked == 5 and result["429 locked_out limiter"] == 45, result
    assert failures <= 5


@pytest.mark.django_db
def test_the_limit_cannot_deny_the_victim_elsewhere_nor_colleagues(limiter, demo):
    with time_machine.travel(window_start(900), tick=True):
        attacker = Client(REMOTE_ADDR="198.51.100.64")
        refused = [login(attacker, "ent_a", f"guess-{i}").status_code for i in range(20)]
        assert refused[-1] == 429
        victim = Client(REMOTE_ADDR="203.0.113.64")
        assert login(victim, "ent_a", PASSWORD).status_code == 302
        colleague = Client(REMOTE_ADDR="198.51.100.64")  # same address, another account
        assert login(colleague, "ent_c", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_successful_sign_in_clears_the_count(limiter, demo):
    with time_machine.travel(window_start(900), tick=True):
        ip = "198.51.100.65"
        assert [login(Client(REMOTE_ADDR=ip), "ent_c", f"w-{i}").status_code for i in range(4)] == [200] * 4
        assert login(Client(REMOTE_ADDR=ip), "ent_c", PASSWORD).status_code == 302
        # the limiter's count and axes' both start again: 4 more failures are failures, not 429
        assert [login(Client(REMOTE_ADDR=ip), "ent_c", f"v-{i}").status_code for i in range(4)] == [200] * 4


# --- registration and uploads -------------------------------------------------------------------


def registration(n: int, district_id: int) -> dict:
    first17 = f"91330102MA2H{n:04d}Q"
    return {
        "name": f"杭州限流测试{n}有限公司",
        "credit_code": first17 + check_character(first17),
        "district": district_id,
        "username": f"rl_new_{n}",
        "display_name": "王五",
        "phone": "13800000000",
        "email": f"rl{n}@example.com",
        "password": "Hz-plan-2026x",
        "password_again": "Hz-plan-2026x",
    }


@pytest.mark.django_db
def test_registrations_per_address_are_limited(limiter, settings, demo):
    settings.RATE_LIMIT_REGISTER = 3
    district = demo.enterprises["ent_a"].district_id
    with time_machine.travel(window_start(3600), tick=True):
        statuses = [
            Client(REMOTE_ADDR="198.51.100.66").post("/accounts/register/", registration(n, district)).status_code
            for n in range(4)
        ]
        refused = Client(REMOTE_ADDR="198.51.100.66").post("/accounts/register/", registration(9, district))
        elsewhere = Client(REMOTE_ADDR="203.0.113.66").post("/accounts/register/", registration(8, district))
    print(f"\nR16 注册（限额 3/小时/地址）：{statuses}，另一地址 {elsewhere.status_code}")
    assert statuses == [302, 302, 302, 429], statuses
    assert refused.status_code == 429 and "注册请求过于频繁" in refused.content.decode()
    assert int(refused["Retry-After"]) >= 1
    assert elsewhere.status_code == 302


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_50_parallel_uploads_of_one_enterprise_at_limit_5_store_5(limiter, settings, demo_tx):
    settings.RATE_LIMIT_UPLOAD = 5
    user = demo_tx.users["ent_a"]
    app = services.application_create(actor=user, round_id=demo_tx.p14_round.pk, declared={})
    kind = demo_tx.p14_round.item.materials[0]["kind"]
    retry_after: list[int] = []
    lock = threading.Lock()

    def upload() -> str:
        client = APIClient()
        client.force_authenticate(user)
        response = client.post(
            f"/api/v1/applications/{app.pk}/materials/", {"kind": kind, "file": pdf()}, format="multipart"
        )
        if response.status_code == 429:
            with lock:
                retry_after.append(int(response["Retry-After"]))
        return f"{response.status_code} {response.json().get('code', '')}".strip()

    with time_machine.travel(window_start(3600), tick=True):
        result = race(50, upload)
    stored = Material.objects.filter(application=app).count()
    print(f"\nR16 同一企业 50 个并发上传、限额 5：{dict(result)}，保存 {stored} 份")
    assert result == Counter({"201": 5, "429 rate_limited": 45}), result
    assert stored == 5 and all(1 <= s <= 3600 for s in retry_after)


@pytest.mark.django_db
def test_portal_upload_over_the_limit_is_429_json_in_chinese(limiter, settings, demo):
    settings.RATE_LIMIT_UPLOAD = 1
    user = demo.users["ent_a"]
    app = services.application_create(actor=user, round_id=demo.p14_round.pk, declared={})
    kind = demo.p14_round.item.materials[0]["kind"]
    client = Client()
    url = f"/my/applications/{app.pk}/materials/"
    with time_machine.travel(window_start(3600), tick=True):
        client.force_login(user)
        first = client.post(url, {"kind": kind, "file": pdf()}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        second = client.post(url, {"kind": kind, "file": pdf()}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert first.status_code == 200 and first.json()["ok"] is True
    assert second.status_code == 429 and second.json()["ok"] is False
    assert "每家企业每60分钟最多上传1个文件" in second.json()["message"] and int(second["Retry-After"]) >= 1


# --- Redis down -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_redis_down_login_and_upload_fail_open_registration_fails_closed(settings, demo):
    settings.RATE_LIMIT_REDIS_URL = DEAD_REDIS
    assert login(Client(REMOTE_ADDR="198.51.100.67"), "ent_a", PASSWORD).status_code == 302
    attacker = Client(REMOTE_ADDR="198.51.100.68")
    statuses = [login(attacker, "ent_c", f"w-{i}").status_code for i in range(5)]
    assert statuses[-1] == 429, statuses  # django-axes still locks the pair
    user = demo.users["ent_a"]
    app = services.application_create(actor=user, round_id=demo.p14_round.pk, declared={})
    api = APIClient()
    api.force_authenticate(user)
    kind = demo.p14_round.item.materials[0]["kind"]
    uploaded = api.post(f"/api/v1/applications/{app.pk}/materials/", {"kind": kind, "file": pdf()}, format="multipart")
    assert uploaded.status_code == 201
    district = demo.enterprises["ent_a"].district_id
    refused = Client(REMOTE_ADDR="198.51.100.69").post("/accounts/register/", registration(7, district))
    assert refused.status_code == 503 and "请稍后再试" in refused.content.decode() and refused["Retry-After"]
    print(f"\nR16 Redis 不可用：登录 302（放行，axes 仍在第5次锁定 {statuses}），上传 201（放行），注册 503（拒绝）")

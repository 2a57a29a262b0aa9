"""A real Celery worker, started by `make test` (scripts/ci.sh) against Redis, runs our tasks.

Run on their own: `pytest -m realworker` with DATABASE_URL, CELERY_BROKER_URL and
CELERY_RESULT_BACKEND pointing at the servers the worker uses.

Pitfall (TOOLCHAIN §8.6): the worker works on the real database of DATABASE_URL (`app`), not on
pytest's `test_app`. So these tests never request pytest-django's `db` fixture: no test database
is created in this run, the default connection still points at `app`, and
`django_db_blocker.unblock()` lets the test read what the worker wrote there.
"""

import os
import time

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.realworker,
    # pytest runs with config.settings.test (eager tasks); send_task still goes to the broker and
    # the real worker stores the result, so Celery's warnings about eager mode do not apply here.
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
    pytest.mark.filterwarnings("ignore:Results are not stored in backend:RuntimeWarning"),
]

DEADLINE_TASK = "deadlines.tasks.run_deadline_jobs"


@pytest.fixture(scope="module")
def celery_app():
    from config.celery import app

    assert app.conf.broker_url.startswith("redis://"), (
        f"需要 Redis broker（CELERY_BROKER_URL），现在是 {app.conf.broker_url}"
    )
    return app


@pytest.fixture(scope="module")
def worker_name(celery_app) -> str:
    """Wait (up to 60 s) until a worker answers a broadcast ping; its node name."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replies = celery_app.control.ping(timeout=1.0)
        if replies:
            return next(iter(replies[0]))
    pytest.fail("60 秒内没有 Celery worker 应答 ping：worker 是否已启动（见 worker 日志）？")


@pytest.fixture
def real_db(django_db_blocker):
    """The database the worker writes to (DATABASE_URL's), outside any test transaction."""
    url = os.environ.get("DATABASE_URL", "")
    assert url.startswith(("postgres://", "postgresql://")), "realworker 测试需要 DATABASE_URL=postgres://..."
    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
        assert url.rsplit("/", 1)[-1].split("?")[0] == name, (
            f"默认连接指向 {name}，不是 worker 用的库：请单独运行 pytest -m realworker"
        )
        yield connection
        connection.close()


def test_worker_answers_ping_through_redis(celery_app, worker_name):
    replies = celery_app.control.ping(destination=[worker_name], timeout=5.0)

    assert replies == [{worker_name: {"ok": "pong"}}]


def test_deadline_jobs_run_on_the_worker_and_change_postgresql(celery_app, worker_name, real_db):
    registered = celery_app.control.inspect(destination=[worker_name], timeout=5.0).registered() or {}
    if DEADLINE_TASK not in registered.get(worker_name, []):
        pytest.skip(f"worker 上还没有注册 {DEADLINE_TASK}（deadlines/tasks.py 尚未实现）")
    from deadlines.models import JobRun

    before = JobRun.objects.count()

    result = celery_app.send_task(DEADLINE_TASK)

    if celery_app.conf.result_backend:
        result.get(timeout=120)  # re-raises the worker's exception, if any
    deadline = time.monotonic() + 120
    while JobRun.objects.count() <= before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert JobRun.objects.count() > before, "worker 执行了任务，但 PostgreSQL 里没有新的 JobRun 记录"

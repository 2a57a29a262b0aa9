"""Fixtures and collection rules for the whole suite; tests/<area>/conftest.py files add their own.

- Playwright drives Debian's /usr/bin/chromium (TOOLCHAIN §5; never `playwright install`).
- Tests under tests/browser/ are marked `browser` automatically.
- Nothing is skipped silently: a test that cannot run here is skipped with its reason (shown by
  `-rs`, which the make targets pass), and under CI=true a missing Chromium or a non-PostgreSQL
  database for `postgres` tests stops the run instead of skipping.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM would refuse to run there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

TESTS_DIR = Path(__file__).resolve().parent
BROWSER_DIR = TESTS_DIR / "browser"
SCREENSHOT_DIR = TESTS_DIR.parent / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STRICT = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(autouse=True)
def _celery_join_flag_reset():
    """Eager `apply_async` wraps the call in celery.result.denied_join_result(), which saves and
    restores a process-global flag without a lock: tests that run tasks from several threads at
    once (the deadline jobs' concurrency tests) can leave it set, and every later `.get()` then
    raises "Never call result.get() within a task!". Only eager mode in threads does this; a
    worker process never shares the flag. Reset it after each test."""
    yield
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Overrides pytest-playwright's fixture: Debian's Chromium with flags that work as root."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """artifacts/screenshots/ (git-ignored): where browser tests save what a person would see."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


def pytest_configure(config):
    # WhiteNoise warns when collectstatic has not run; tests do not need the collected files.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


def _database() -> dict:
    from django.conf import settings

    return settings.DATABASES["default"]


def pytest_report_header(config):
    db = _database()
    if db.get("HOST"):
        where = f"{db['HOST']}:{db.get('PORT') or ''}/{db['NAME']}（测试库 test_{db['NAME']}）"
    else:
        where = "（测试库在内存中）"
    return f"数据库：{db['ENGINE'].rsplit('.', 1)[-1]} {where}"


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects, so `-m "not browser"` sees the marker
def pytest_collection_modifyitems(config, items):
    markexpr = config.getoption("markexpr") or ""
    is_postgres = _database()["ENGINE"] in ("django.db.backends.postgresql", "common.pgbackend")
    has_chromium = os.access(CHROMIUM, os.X_OK)
    blocked: list[str] = []
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)
        if "realworker" in item.keywords and "realworker" not in markexpr:
            reason = "需要运行中的 Celery worker 和 Redis：由 make test 运行（pytest -m realworker）"
            item.add_marker(pytest.mark.skip(reason=reason))
        if "postgres" in item.keywords and not is_postgres:
            blocked.append(f"{item.nodeid}：需要 PostgreSQL（设置 DATABASE_URL=postgres://...）")
            item.add_marker(pytest.mark.skip(reason="需要 PostgreSQL：设置 DATABASE_URL=postgres://..."))
        if "browser" in item.keywords and not has_chromium:
            blocked.append(f"{item.nodeid}：需要 {CHROMIUM}（apt-get install chromium）")
            item.add_marker(pytest.mark.skip(reason=f"需要 {CHROMIUM}（apt-get install chromium）"))
    if STRICT and blocked:
        shown = "\n  ".join(blocked[:20])
        raise pytest.UsageError(f"CI 中有 {len(blocked)} 个测试无法运行（不允许跳过）：\n  {shown}")

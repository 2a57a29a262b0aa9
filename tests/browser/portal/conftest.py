"""Browser tests of the enterprise portal: the world of tests/portal/portal_world.py, committed
(live_server needs transaction=True), a sign-in helper, and full-page screenshots."""

import pytest

from tests.portal.portal_world import PASSWORD, build_world, make_enterprise_user


@pytest.fixture
def world(transactional_db):
    return build_world()


@pytest.fixture
def ent_user(world):
    return make_enterprise_user(world)


@pytest.fixture
def sign_in(page, live_server):
    def _sign_in(username: str, password: str = PASSWORD) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()

    return _sign_in


@pytest.fixture
def shot(page, screenshot_dir):
    """Save a full-page screenshot as artifacts/screenshots/portal-<name>.png."""

    def _shot(name: str) -> None:
        page.screenshot(path=screenshot_dir / f"portal-{name}.png", full_page=True)

    return _shot


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A browser set to Chinese, as our users' are (the file picker then says 选择文件)."""
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}

"""Browser tests (auto-marked `browser` by tests/conftest.py): Playwright on Debian's Chromium."""

import pytest


@pytest.fixture
def page(page):
    """pytest-playwright's page, speaking Chinese like our users' browsers, failing fast."""
    page.set_default_timeout(10_000)
    page.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9"})
    return page

"""Browser tests (auto-marked `browser` by tests/conftest.py): Playwright on Debian's Chromium."""

import pytest


@pytest.fixture
def page(page):
    """pytest-playwright's page, asking for Chinese like our users' browsers do."""
    page.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9"})
    return page

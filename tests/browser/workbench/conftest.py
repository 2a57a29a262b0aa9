"""Browser tests of the workbench. Chromium comes from tests/conftest.py (browser_type_launch_args)."""

import pytest


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Pages as an official in Hangzhou sees them: Chinese locale (date inputs) and Beijing time."""
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1280, "height": 800},
    }

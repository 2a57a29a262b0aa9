"""Fault-injection tests (`pytest -m faults`): they kill processes and restart PostgreSQL, so they
run in their own step of `make test`, never inside the ordinary run (skipped there, with why)."""

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    markexpr = config.getoption("markexpr") or ""
    for item in items:
        if HERE in Path(str(item.path)).parents and "faults" not in markexpr:
            item.add_marker(
                pytest.mark.skip(
                    reason="故障注入测试单独运行：pytest -m faults tests/security/faults（make test 有此步骤）"
                )
            )

"""Shared setup of the security tests (SECURITY.md lists what each file proves).

The reference data and case builders are the workflow tests' own (tests/workflow/conftest.py):
every role of the demo (`seed_reference_data`) against cases moved through the real services.
`demo_tx` is the same for tests that need committed data (threads, subprocesses).
"""

import os
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from tests.workflow.conftest import (  # noqa: F401  (fixtures and helpers re-exported)
    Demo,
    demo,
    give_opinions,
    make_approved,
    make_award,
    make_submitted,
    make_under_review,
    pdf,
)

PASSWORD = "Hz-demo-2026"


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def require_postgres(why: str = "需要 PostgreSQL（行锁、触发器）：设置 DATABASE_URL=postgres://...") -> None:
    if not is_postgres():
        pytest.skip(why)


@pytest.fixture
def demo_tx(transactional_db) -> Demo:
    """The demo world, committed (for threads with their own connections and subprocesses)."""
    from common.demo import seed_reference_data, seed_rounds
    from policies.loader import load_all

    load_all()
    ref = seed_reference_data()
    return Demo(users=ref["users"], enterprises=ref["enterprises"], rounds=seed_rounds())


def race(n: int, request: Callable[[], int], *, timeout: float = 120) -> Counter:
    """Run `request` in `n` threads released together by a barrier, one DB connection each;
    the Counter of what they returned (status codes). An exception counts as its class name."""
    barrier = threading.Barrier(n)
    results: list[object] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            try:
                outcome: object = request()
            except Exception as exc:  # reported in the Counter
                outcome = type(exc).__name__
            with lock:
                results.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, timeout - (time.monotonic() - started)))
    assert not any(t.is_alive() for t in threads), "race threads did not finish in time"
    return Counter(results)


def token_for(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key


CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

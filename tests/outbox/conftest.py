"""Fixtures of the outbox tests: a throwaway Redis of our own (never the shared one), the Celery
app pointed at it without eager mode, and the demo world committed (requests run for real)."""

import pytest

from tests.workflow.conftest import Demo

from .broker import throwaway_redis, use_broker


@pytest.fixture
def redis_server():
    with throwaway_redis() as server:
        yield server


@pytest.fixture
def broker(redis_server):
    """Celery sends to the throwaway Redis (not eagerly) during the test."""
    with use_broker(redis_server.url):
        yield redis_server


@pytest.fixture
def demo_tx(transactional_db) -> Demo:
    from common.demo import seed_reference_data, seed_rounds
    from policies.loader import load_all

    load_all()
    ref = seed_reference_data()
    return Demo(users=ref["users"], enterprises=ref["enterprises"], rounds=seed_rounds())

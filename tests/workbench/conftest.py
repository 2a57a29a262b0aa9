"""Fixtures for the workbench's Django-test-client tests (data: wb_world.py)."""

import pytest

from tests.workbench.wb_world import build_world


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def login(client):
    """login(user) → the test client signed in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login

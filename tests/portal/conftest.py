"""Fixtures for the portal's Django-test-client tests (data: portal_world.py)."""

import pytest

from tests.portal.portal_world import build_world, make_enterprise_user


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def ent_user(world):
    return make_enterprise_user(world)


@pytest.fixture
def ent_client(client, ent_user):
    client.force_login(ent_user)
    return client

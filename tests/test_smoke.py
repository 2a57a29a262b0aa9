"""The platform's foundations: the database answers, pages speak zh-hans, times are Asia/Shanghai."""

import os
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone


@pytest.mark.django_db
def test_database_is_reachable():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    version = connection.pg_version if connection.vendor == "postgresql" else connection.Database.sqlite_version
    print(f"数据库：{connection.vendor} {version} {connection.settings_dict['NAME']}")
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        assert connection.vendor == "postgresql"
        assert connection.pg_version >= 150000


def test_admin_login_renders_in_simplified_chinese(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-hans"' in body
    assert "登录" in body
    assert response["Content-Language"] == "zh-hans"


def test_now_is_timezone_aware_in_asia_shanghai():
    now = timezone.now()

    local = timezone.localtime(now)

    assert settings.USE_TZ and settings.TIME_ZONE == "Asia/Shanghai"
    assert timezone.is_aware(now)
    assert str(local.tzinfo) == "Asia/Shanghai"
    assert local.utcoffset() == timedelta(hours=8)


@pytest.mark.django_db
def test_datetimes_round_trip_through_the_database_as_the_same_instant():
    shanghai_midnight = timezone.make_aware(datetime(2023, 2, 1, 0, 0))  # 2023-01-31 24:00 北京时间
    Session.objects.create(session_key="smoke", session_data="", expire_date=shanghai_midnight)

    stored = Session.objects.get(session_key="smoke").expire_date

    assert timezone.is_aware(stored)
    assert stored == shanghai_midnight
    assert timezone.localtime(stored).isoformat() == "2023-02-01T00:00:00+08:00"

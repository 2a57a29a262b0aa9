"""The admin pages officials use to keep the holiday calendar and read the job runs."""

from datetime import date, datetime

import pytest
from django.test import Client

from accounts.models import User
from deadlines.jobs import run_all
from deadlines.models import CalendarDay, JobRun

from .conftest import SH


@pytest.fixture
def admin_client_zh(db) -> Client:
    admin = User.objects.create_superuser(username="root", password="Hz-admin-2026!", email="root@example.com")
    client = Client()
    client.force_login(admin)
    return client


def test_calendar_days_can_be_added_in_chinese(admin_client_zh):
    page = admin_client_zh.get("/admin/deadlines/calendarday/add/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "节假日与调休" in text and "国务院办公厅" in text

    saved = admin_client_zh.post(
        "/admin/deadlines/calendarday/add/", {"day": "2030-01-01", "is_workday": "", "name": "元旦"}
    )
    assert saved.status_code == 302
    assert CalendarDay.objects.get(day=date(2030, 1, 1)).is_workday is False
    listing = admin_client_zh.get("/admin/deadlines/calendarday/").content.decode()
    assert "元旦" in listing and "内置日历已收录该年" in listing


def test_job_runs_are_read_only_with_counts_in_chinese(admin_client_zh):
    run_all(now=datetime(2023, 2, 1, tzinfo=SH))
    run = JobRun.objects.get()

    listing = admin_client_zh.get("/admin/deadlines/jobrun/").content.decode()
    assert "定时任务记录" in listing and "无变更" in listing
    detail = admin_client_zh.get(f"/admin/deadlines/jobrun/{run.pk}/change/")
    assert detail.status_code == 200
    assert "草稿逾期" in detail.content.decode()
    assert admin_client_zh.get("/admin/deadlines/jobrun/add/").status_code == 403
    assert admin_client_zh.post(f"/admin/deadlines/jobrun/{run.pk}/delete/", {"post": "yes"}).status_code == 403
    assert JobRun.objects.filter(pk=run.pk).exists()

"""common.pgbackend (issue #9): the health check costs no statement while the connection is
alive and still notices a connection the server ended; the case list's page statement is
prepared once repeated and is never served to another user or page; common.statements keeps
one compiled statement per query structure. PostgreSQL only (the backend is PostgreSQL's)."""

import time

import pytest
from django.db import connection

from applications import fastlist
from common import statements

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL 专用：common.pgbackend")


def _other_connection():
    import psycopg

    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"], port=db["PORT"], dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], autocommit=True
    )


def test_health_check_runs_no_statement_on_a_live_connection():
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'marker-before-check'")
        pid = connection.connection.info.backend_pid
    assert connection.is_usable()
    with _other_connection() as other:
        row = other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert row is not None and "marker-before-check" in row[0]  # the check sent nothing after it


def test_health_check_sees_a_connection_the_server_ended():
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    with _other_connection() as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0] is True
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not connection.is_usable()
    connection.close()
    with connection.cursor() as cursor:  # Django reconnects
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_repeated_page_statement_is_prepared_and_other_pages_are_not(settings):
    """psycopg prepares the page's literal statement after DB_PREPARE_THRESHOLD runs on one
    connection; Django's own statements (client-side binding) are never prepared."""
    from accounts.models import User
    from applications.selectors import application_list

    assert settings.DB_PREPARE_THRESHOLD == 5
    auditor = User.objects.create_user(username="prep_auditor", password="x" * 12, role="auditor")
    qs = application_list(user=auditor).order_by("-id")[:51]
    connection.close()
    for _ in range(6):
        fastlist.read_items(qs)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("applications_application" in text and "LIMIT 51" in text for text in prepared), prepared
    # another page is another statement, run (not prepared) on its own text
    fastlist.read_items(application_list(user=auditor).filter(pk__lt=10).order_by("-id")[:51])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%< 10%"])
        assert cursor.fetchone() == (0,)


def test_statements_are_kept_per_structure_and_values():
    from accounts.models import User
    from applications.selectors import application_list

    statements._cache.clear()
    auditor = User.objects.create_user(username="stmt_auditor", password="x" * 12, role="auditor")
    base = application_list(user=auditor)
    first = statements.values_statement(base.filter(state="submitted")[:51], fastlist.ROW_FIELDS)
    again = statements.values_statement(base.filter(state="submitted")[:51], fastlist.ROW_FIELDS)
    other = statements.values_statement(base.filter(state="approved")[:51], fastlist.ROW_FIELDS)
    deeper = statements.values_statement(base.filter(state="submitted", pk__lt=40)[:51], fastlist.ROW_FIELDS)
    assert again is first  # the same structure and values: compiled once
    assert "'submitted'" in first.sql and "'approved'" in other.sql and "< 40" in deeper.sql
    assert len({first.sql, other.sql, deeper.sql}) == 3
    # a sub-query as a value is not plainly knowable: compiled every time, never kept
    sub = base.filter(enterprise_id__in=User.objects.filter(pk=auditor.pk).values("pk"))[:51]
    kept = len(statements._cache)
    statements.values_statement(sub, fastlist.ROW_FIELDS)
    assert len(statements._cache) == kept
    assert statements.values_statement(base.none(), fastlist.ROW_FIELDS).sql == ""

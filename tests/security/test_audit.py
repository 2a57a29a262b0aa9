"""R17 audit trail (ASVS 16.2.1, 16.2.2, 16.3.2, 16.4.2): every change of a case, award, policy
item, round or dishonesty entry is recorded by PostgreSQL triggers with who, when and what,
set-based updates included; history and audit rows cannot be changed or deleted."""

import json
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from applications.models import ApplicationEvent
from awards.models import Award, AwardEvent
from enterprises.models import DishonestyEntry, EnterpriseChange
from security.audit import audit_actor, current_actor
from security.models import AuditLog

from .conftest import make_award, make_under_review, require_postgres, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgres_only():
    require_postgres("审计触发器只在 PostgreSQL 上：设置 DATABASE_URL=postgres://...")


def audit(table: str, row_id: int, **filters):
    return AuditLog.objects.filter(table_name=table, row_id=row_id, **filters).order_by("id")


def _refused(run) -> None:
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        run()
    assert "append-only" in str(caught.value) or "只能追加" in str(caught.value)


def test_update_or_delete_of_history_and_audit_rows_raises_in_the_database(demo):
    from enterprises.services import enterprise_update_profile

    award = make_award(demo, "ent_c", retail="3100000000")
    enterprise_update_profile(
        actor=demo.users["ent_c"], enterprise_id=award.enterprise_id, data={"contact_name": "李四"}
    )
    tables = {
        "ApplicationEvent": (ApplicationEvent.objects.filter(application=award.application), {"reason": "改写"}),
        "AwardEvent": (AwardEvent.objects.filter(award=award), {"reason": "改写"}),
        "EnterpriseChange": (EnterpriseChange.objects.filter(enterprise_id=award.enterprise_id), {"changes": {}}),
        "AuditLog": (AuditLog.objects.filter(table_name="awards_award", row_id=award.pk), {"actor": "x"}),
    }
    for name, (qs, change) in tables.items():
        assert qs.exists(), name
        before = qs.count()
        _refused(lambda qs=qs, change=change: qs.update(**change))
        _refused(lambda qs=qs: qs.delete())
        _refused(lambda qs=qs: qs.model.objects.filter(pk=qs.first().pk).delete())
        assert qs.count() == before, name
    with connection.cursor() as cursor:
        for table in ("applications_applicationevent", "awards_awardevent", "security_auditlog"):
            _refused(lambda t=table: cursor.execute(f"DELETE FROM {t}"))


def test_bulk_queryset_update_of_2_awards_writes_2_audit_rows_with_old_and_new(demo):
    awards = [make_award(demo, ent, retail="3100000000") for ent in ("ent_a", "ent_c")]
    ids = [a.pk for a in awards]
    before = AuditLog.objects.filter(table_name="awards_award", op="UPDATE").count()
    with audit_actor("system:test-bulk"):
        changed = Award.objects.filter(pk__in=ids).update(last_reminded_days=3)
    rows = list(AuditLog.objects.filter(table_name="awards_award", op="UPDATE").order_by("id")[before:])
    assert changed == len(ids) == len(rows)
    assert {r.row_id for r in rows} == set(ids)
    for row in rows:
        assert row.new["last_reminded_days"] == 3 and row.old["last_reminded_days"] is None
        assert row.actor == "system:test-bulk" and row.txid
        assert "amount" not in row.new  # only the changed columns are kept


def test_each_state_change_has_exactly_one_audit_row_matching_the_history(demo):
    from awards.services import award_claim, award_pay, award_recover

    award = make_award(demo, "ent_c", retail="3100000000")
    award_claim(actor=demo.users["ent_c"], award_id=award.pk, commitment_signed=True)
    award_pay(actor=demo.users["fund_shangcheng"], award_id=award.pk, reference="SEC-PAY-1")
    award_recover(actor=demo.users["fund_shangcheng"], award_id=award.pk, reason="统计违法")

    def pairs(events, table, row_id):
        history = [(e.from_state, e.to_state) for e in events if e.from_state and e.from_state != e.to_state]
        audited = [
            (r.old["state"], r.new["state"]) for r in audit(table, row_id, op="UPDATE") if "state" in (r.new or {})
        ]
        return history, audited

    history, audited = pairs(
        ApplicationEvent.objects.filter(application_id=award.application_id).order_by("id"),
        "applications_application",
        award.application_id,
    )
    assert history == audited and len(history) == 5  # submit accept approve submit_to_city city_approve
    history, audited = pairs(AwardEvent.objects.filter(award=award).order_by("id"), "awards_award", award.pk)
    assert history == audited == [("claimable", "claimed"), ("claimed", "paid"), ("paid", "recovering")]
    assert audit("applications_application", award.application_id, op="INSERT").count() == 1
    entry = DishonestyEntry.objects.get(award=award)
    assert audit("enterprises_dishonestyentry", entry.pk, op="INSERT").count() == 1


def test_actor_is_the_token_user_the_session_user_and_the_task(demo):
    award = make_award(demo, "ent_c", retail="3100000000")
    session = Client()
    session.force_login(demo.users["ent_c"])
    claimed = session.post(
        f"/api/v1/awards/{award.pk}/claim/", {"commitment_signed": True}, content_type="application/json"
    )
    assert claimed.status_code == 200
    fund = demo.users["fund_shangcheng"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(fund)}")
    assert api.post(f"/api/v1/awards/{award.pk}/pay/", {"reference": "SEC-PAY-2"}, format="json").status_code == 200
    rows = list(audit("awards_award", award.pk, op="UPDATE"))
    actors = [(r.new.get("state"), r.actor) for r in rows if "state" in r.new]
    ent = demo.users["ent_c"]
    assert actors == [("claimed", f"user:{ent.pk}:ent_c"), ("paid", f"user:{fund.pk}:fund_shangcheng")]
    assert current_actor() == ""  # reset after each request: nothing leaks into the next one


def test_deadline_task_and_jobs_name_themselves(demo):
    from deadlines.tasks import run_deadline_jobs

    award = make_award(demo, "ent_c", retail="3100000000")
    Award.objects.filter(pk=award.pk).update(claim_deadline=timezone.now() - timedelta(seconds=1))
    result = run_deadline_jobs.apply()
    row = audit("awards_award", award.pk, op="UPDATE").last()
    assert row.new["state"] == "forfeited"
    assert row.actor == f"task:deadlines.tasks.run_deadline_jobs:{result.id}"  # which run, not only which task
    assert current_actor() == ""


def test_run_deadlines_command_records_system_deadlines_as_actor(demo):
    """deadlines.jobs.run_all should run inside `audit_actor("system:deadlines")` (SECURITY.md)."""
    from django.core.management import call_command

    award = make_award(demo, "ent_c", retail="3100000000")
    Award.objects.filter(pk=award.pk).update(claim_deadline=timezone.now() - timedelta(seconds=1))
    call_command("run_deadlines", "--job", "forfeit_awards", stdout=open("/dev/null", "w"))  # noqa: SIM115
    row = audit("awards_award", award.pk, op="UPDATE").last()
    assert row.new["state"] == "forfeited"
    assert row.actor == "system:deadlines", row.actor


def test_audit_time_is_timestamptz_and_aware(demo):
    app = make_under_review(demo)
    row = audit("applications_application", app.pk).last()
    assert timezone.is_aware(row.at)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'security_auditlog' AND column_name = 'at'"
        )
        assert cursor.fetchone()[0] == "timestamp with time zone"


def test_admin_shows_the_audit_log_read_only(demo):
    make_under_review(demo)
    admin = get_user_model().objects.create_superuser("sec_admin", "sec@example.com", "Hz-admin-2026x")
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/security/auditlog/").status_code == 200
    row = AuditLog.objects.first()
    assert client.get(f"/admin/security/auditlog/{row.pk}/change/").status_code == 200
    assert client.get("/admin/security/auditlog/add/").status_code == 403
    assert client.post(f"/admin/security/auditlog/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditLog.objects.filter(pk=row.pk).exists()


def test_refused_requests_are_logged_with_who_and_where(demo, caplog):
    app = make_under_review(demo)
    with caplog.at_level("WARNING", logger="security"):
        demo.client(None).get(f"/api/v1/applications/{app.pk}/")
        foreign = Client()
        foreign.force_login(demo.users["ent_b"])
        foreign.get(f"/api/v1/applications/{app.pk}/")
    lines = [r.getMessage() for r in caplog.records if r.name == "security"]
    assert any("status=401" in m or "status=403" in m for m in lines), lines
    assert any("status=404" in m and "ent_b" in m and f"/api/v1/applications/{app.pk}/" in m for m in lines), lines


# --- the UPDATE trigger of security/0002 (issue #9): same rows as 0001's, cheaper ---------------


def _audit_rows(table: str, after_id: int) -> list[tuple]:
    rows = AuditLog.objects.filter(table_name=table, op="UPDATE", id__gt=after_id).order_by("row_id", "id")
    return [(r.row_id, r.old, r.new, r.actor, r.txid) for r in rows]


def _hashable(row: tuple) -> tuple:
    return tuple(json.dumps(v, sort_keys=True) if isinstance(v, dict) else v for v in row)


def test_update_audit_keeps_only_changed_columns_including_a_change_to_null(demo):
    award = make_award(demo, "ent_c", retail="3100000000")
    Award.objects.filter(pk=award.pk).update(last_reminded_days=7)
    mark = AuditLog.objects.order_by("-id").values_list("id", flat=True).first()
    with audit_actor("system:test-null"):
        Award.objects.filter(pk=award.pk).update(last_reminded_days=None, state="forfeited")
        Award.objects.filter(pk=award.pk).update(state="forfeited")  # nothing changes: nothing logged
    (row,) = _audit_rows("awards_award", mark)
    assert row[0] == award.pk
    assert row[1] == {"last_reminded_days": 7, "state": "claimable"}
    assert row[2] == {"last_reminded_days": None, "state": "forfeited"}
    assert row[3] == "system:test-null"


def test_a_column_added_later_is_audited_without_touching_the_trigger(demo):
    award = make_award(demo, "ent_c", retail="3100000000")
    mark = AuditLog.objects.order_by("-id").values_list("id", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred FK check pending before the DDL
        cursor.execute("ALTER TABLE awards_award ADD COLUMN audit_probe json")  # json: no = operator
        cursor.execute("UPDATE awards_award SET audit_probe = '{\"a\": 1}' WHERE id = %s", [award.pk])
        cursor.execute("UPDATE awards_award SET audit_probe = '{\"a\": 1}' WHERE id = %s", [award.pk])
    (row,) = _audit_rows("awards_award", mark)
    assert row[1] == {"audit_probe": None} and row[2] == {"audit_probe": {"a": 1}}


def test_update_audit_rows_equal_those_of_the_0001_trigger(demo):
    """Both trigger functions side by side on the same statements: identical audit rows."""
    import importlib

    initial = importlib.import_module("security.migrations.0001_initial")
    old_function = initial.FUNCTIONS.split("CREATE OR REPLACE FUNCTION security_audit_update()")[1].split(
        "CREATE OR REPLACE FUNCTION"
    )[0]
    awards = [make_award(demo, ent, retail="3100000000") for ent in ("ent_a", "ent_c")]
    ids = [a.pk for a in awards]
    with connection.cursor() as cursor:
        cursor.execute("CREATE FUNCTION security_audit_update_0001()" + old_function)
        cursor.execute(
            "CREATE TRIGGER audit_0001 AFTER UPDATE ON awards_award REFERENCING OLD TABLE AS audit_old "
            "NEW TABLE AS audit_new FOR EACH STATEMENT EXECUTE FUNCTION security_audit_update_0001()"
        )
        mark = AuditLog.objects.order_by("-id").values_list("id", flat=True).first()
        with audit_actor("system:test-same"):
            Award.objects.filter(pk__in=ids).update(last_reminded_days=3, updated_at=timezone.now())
            Award.objects.filter(pk=ids[0]).update(state="forfeited", bank_snapshot={"bank": "新账户"})
            Award.objects.filter(pk__in=ids).update(last_reminded_days=None, claim_commitment_text="承诺")
            Award.objects.filter(pk__in=ids).update(amount=F("amount"))  # no change at all
        cursor.execute("DROP TRIGGER audit_0001 ON awards_award")
    rows = _audit_rows("awards_award", mark)
    assert len(rows) == 2 * 5  # 5 changed rows, each logged by both triggers
    counted = Counter(_hashable(r) for r in rows)
    assert all(n == 2 for n in counted.values()), counted

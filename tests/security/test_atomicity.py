"""R19 / ASVS 2.3.3 a business operation is one transaction: an error injected inside a
transition (the history insert fails, the audit cannot be written, storage fails) leaves the
state, the history and the files exactly as they were; the client gets a generic 500."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from applications import services as app_services
from applications.models import Application, ApplicationEvent, Material
from applications.workflow import State
from awards import services as award_services
from awards.models import Award, AwardEvent
from security.models import AuditLog

from .conftest import give_opinions, make_award, make_under_review, pdf

pytestmark = pytest.mark.django_db


class Injected(RuntimeError):
    pass


def boom(*args, **kwargs):
    raise Injected("injected fault")


def snapshot_app(app_id: int) -> tuple:
    app = Application.objects.get(pk=app_id)
    audits = AuditLog.objects.filter(table_name="applications_application", row_id=app_id).count()
    return (
        app.state,
        app.district_decided_at,
        app.district_reviewer_id,
        app.updated_at,
        ApplicationEvent.objects.filter(application_id=app_id).count(),
        audits,
    )


def test_history_insert_failing_inside_approve_leaves_state_and_history_unchanged(demo, monkeypatch):
    app = make_under_review(demo)
    give_opinions(demo, app)
    before = snapshot_app(app.pk)
    monkeypatch.setattr(app_services, "_record", boom)
    client = Client(raise_request_exception=False)
    client.force_login(demo.users["rev_shangcheng"])
    response = client.post(f"/api/v1/applications/{app.pk}/approve/", {}, content_type="application/json")
    assert response.status_code == 500
    assert "injected" not in response.content.decode() and "Traceback" not in response.content.decode()
    assert snapshot_app(app.pk) == before
    assert Application.objects.get(pk=app.pk).state == State.DISTRICT_REVIEW
    monkeypatch.undo()
    ok = client.post(f"/api/v1/applications/{app.pk}/approve/", {}, content_type="application/json")
    assert ok.status_code == 200  # nothing was left locked or half done


def test_history_insert_failing_inside_claim_leaves_the_award_claimable(demo, monkeypatch):
    award = make_award(demo, "ent_c", retail="3100000000")
    monkeypatch.setattr(award_services, "_record", boom)
    with pytest.raises(Injected):
        award_services.award_claim(actor=demo.users["ent_c"], award_id=award.pk, commitment_signed=True)
    award.refresh_from_db()
    assert award.state == "claimable" and award.claimed_at is None and award.claimed_by_id is None
    assert award.bank_snapshot == {} and not AwardEvent.objects.filter(award=award, action="claim").exists()


def test_failure_after_the_state_update_in_a_workbench_page_rolls_back(demo, monkeypatch):
    app = make_under_review(demo)
    before = snapshot_app(app.pk)
    monkeypatch.setattr(app_services, "notify_transition", boom)  # after save() and the history row
    client = Client(raise_request_exception=False)
    client.force_login(demo.users["rev_shangcheng"])
    response = client.post(
        f"/workbench/cases/{app.pk}/return/", {"return-reason": "请补正材料", "reason": "请补正材料"}
    )
    assert response.status_code == 500
    assert snapshot_app(app.pk) == before


def test_deadline_batch_failing_midway_rolls_the_whole_batch_back(demo, monkeypatch):
    try:
        from deadlines import jobs
    except ImportError:  # pragma: no cover
        pytest.skip("deadlines.jobs 尚不存在")
    awards = [make_award(demo, ent, retail="3100000000") for ent in ("ent_a", "ent_c")]
    ids = [a.pk for a in awards]
    Award.objects.filter(pk__in=ids).update(claim_deadline=timezone.now() - timedelta(seconds=1))
    monkeypatch.setattr(jobs, "notify_once", boom)  # the last step of each batch
    with pytest.raises(Injected):
        jobs.job_forfeit_awards(now=timezone.now())
    assert set(Award.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"claimable"}
    assert not AwardEvent.objects.filter(award_id__in=ids, action="forfeit").exists()
    monkeypatch.undo()
    assert jobs.job_forfeit_awards(now=timezone.now()) == 2


def test_storage_failure_during_upload_leaves_no_row_and_no_file(demo, monkeypatch, settings):
    from pathlib import Path

    draft = app_services.application_create(
        actor=demo.users["ent_a"], round_id=demo.p14_round.pk, declared={"retail_sales_2022h2": "3250000000"}
    )
    media = Path(settings.MEDIA_ROOT) / "materials" / str(draft.pk)
    before = set(media.glob("*")) if media.exists() else set()  # ids repeat on SQLite, the media dir stays
    monkeypatch.setattr("applications.materials.insert_instance", boom)  # the row's INSERT fails
    client = Client(raise_request_exception=False)
    client.force_login(demo.users["ent_a"])
    response = client.post(
        f"/api/v1/applications/{draft.pk}/materials/", {"kind": draft.item.materials[0]["kind"], "file": pdf()}
    )
    assert response.status_code == 500
    assert not Material.objects.filter(application=draft).exists()
    after = set(media.glob("*")) if media.exists() else set()
    assert after == before, f"the stored file was not removed: {after - before}"


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_audit_write_failing_aborts_the_transition(demo):
    """The audit trigger is part of the transaction: if the audit row cannot be written, the
    state change is refused too (fail closed, ASVS 16.5.3)."""
    from django.db import DatabaseError, transaction

    app = make_under_review(demo)
    give_opinions(demo, app)
    before = snapshot_app(app.pk)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE security_auditlog ADD CONSTRAINT sec_test_block CHECK (op <> 'UPDATE') NOT VALID")
    try:
        with pytest.raises(DatabaseError), transaction.atomic():
            app_services.application_approve(actor=demo.users["rev_shangcheng"], application_id=app.pk)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE security_auditlog DROP CONSTRAINT sec_test_block")
    assert snapshot_app(app.pk) == before

"""The upload's hot path (issue #9, P5) answers exactly as the general code it stands in for.

- `access_application_for_upload` (one fixed statement for an enterprise user) vs
  `access_application_by_id(for_update=True, …)`: the same case or the same NotFound, for the
  owner, another enterprise, officials, an inactive user, a missing or malformed id; and the case
  row stays locked until the transaction ends.
- `material_output` vs MaterialOutput: the same JSON.
- `common.sql.insert_instance` vs `save(force_insert=True)`: the same row, the same errors,
  nothing written when it fails.
- the audit actor (security.audit): a read sends no label, a token upload one, transaction-local,
  right before its INSERT; every write is recorded under the label of the code that runs it,
  through rollbacks, savepoint rollbacks and pooled connections.
"""

import threading

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from applications import services
from applications.models import Application, Material
from applications.selectors import access_application_by_id, access_application_for_upload
from applications.serializers import MaterialOutput, material_output
from common.errors import NotFound
from common.sql import insert_instance
from security.audit import audit_actor, current_actor, reset_actor, set_actor
from tests.security.conftest import require_postgres, token_for
from tests.workflow.conftest import make_submitted, pdf

UPLOAD_ONLY = ("id", "state", "enterprise_id", "district_id", "item_id", "item__id", "item__materials")
READ = ("id", "state", "enterprise_id", "district_id", "item_id")


def _draft(demo, ent: str = "ent_a") -> Application:
    return services.application_create(
        actor=demo.users[ent], round_id=demo.p14_round.pk, declared={"retail_sales_2022h2": "3250000000"}
    )


def _both(user, application_id):
    """(answer of the general access function, answer of the upload's), each a tuple of the
    values read or the exception's class."""
    answers = []
    for read in (
        lambda: access_application_by_id(
            user=user, application_id=application_id, for_update=True, related=("item",), only=UPLOAD_ONLY
        ),
        lambda: access_application_for_upload(user=user, application_id=application_id),
    ):
        try:
            with transaction.atomic():
                app = read()
            answers.append((tuple(getattr(app, f) for f in READ), app.item.pk, app.item.materials))
        except NotFound as exc:
            answers.append(type(exc))
    return answers


@pytest.mark.django_db
def test_the_upload_access_answers_as_the_general_one_for_every_kind_of_user(demo):
    draft, submitted = _draft(demo), make_submitted(demo, "ent_b")
    users = [demo.users[name] for name in ("ent_a", "ent_b", "ent_c")] + [
        u for name, u in demo.users.items() if not name.startswith("ent_")
    ]
    for app in (draft, submitted):
        for user in users:
            general, fast = _both(user, app.pk)
            assert fast == general, (user.username, app.state)
    owner = demo.users["ent_a"]
    assert _both(owner, draft.pk)[1][0] == (draft.pk, "draft", draft.enterprise_id, draft.district_id, draft.item_id)
    for bad in (999_999_999, "x", None, "1; DROP TABLE x"):
        assert _both(owner, bad) == [NotFound, NotFound]
    owner.is_active = False
    assert _both(owner, draft.pk) == [NotFound, NotFound]


@pytest.mark.django_db
def test_the_upload_access_reads_no_other_column(demo):
    draft = _draft(demo)
    with transaction.atomic():
        app = access_application_for_upload(user=demo.users["ent_a"], application_id=draft.pk)
    assert app.get_deferred_fields() == {f.attname for f in Application._meta.concrete_fields} - set(READ)
    assert app.item.get_deferred_fields() and "materials" not in app.item.get_deferred_fields()
    with CaptureQueriesContext(connection) as reads:
        assert app.round.pk == draft.round_id  # anything else is still reachable, with a query of its own
    assert len(reads) == 2  # round_id was deferred, then the round itself


@pytest.mark.django_db(transaction=True)
def test_the_upload_access_locks_the_case_until_the_transaction_ends(demo_tx):
    require_postgres()
    draft = _draft(demo_tx)
    db = connection.settings_dict
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                access_application_for_upload(user=demo_tx.users["ent_a"], application_id=draft.pk)
                held.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(30)
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"]
    ) as other:
        with pytest.raises(psycopg.errors.LockNotAvailable):
            other.execute("SELECT 1 FROM applications_application WHERE id = %s FOR UPDATE NOWAIT", [draft.pk])
        other.rollback()
        release.set()
        thread.join(30)
        other.execute("SELECT 1 FROM applications_application WHERE id = %s FOR UPDATE NOWAIT", [draft.pk])


@pytest.mark.django_db
def test_the_upload_answer_is_the_serializers(demo):
    draft = _draft(demo)
    kind = draft.item.materials[0]["kind"]
    first = services.material_upload(actor=demo.users["ent_a"], application_id=draft.pk, kind=kind, upload=pdf())
    second = services.material_upload(actor=demo.users["ent_a"], application_id=draft.pk, kind=kind, upload=pdf())
    for material in (first, second, Material.objects.get(pk=first.pk)):
        assert list(material_output(material).items()) == list(MaterialOutput(material).data.items())
    answer = demo.client("ent_a").post(
        f"/api/v1/applications/{draft.pk}/materials/", {"kind": kind, "file": pdf()}, format="multipart"
    )
    assert answer.status_code == 201
    assert answer.json() == dict(MaterialOutput(Material.objects.get(pk=answer.json()["id"])).data)
    assert answer.json()["version"] == 3 and answer.json()["created_at"].endswith("+08:00")


@pytest.mark.django_db
def test_insert_instance_writes_what_save_writes(demo):
    draft = _draft(demo)
    kind = draft.item.materials[0]["kind"]

    def material(version: int) -> Material:
        return Material(
            application=draft,
            kind=kind,
            version=version,
            is_current=False,
            storage_key=f"k{version}.pdf",
            file=f"materials/{draft.pk}/k{version}.pdf",
            original_name="申请表.pdf",
            content_type="application/pdf",
            size=123,
            sha256="a" * 64,
            uploaded_by=demo.users["ent_a"],
        )

    fast, orm = insert_instance(material(1)), material(2)
    orm.save(force_insert=True)
    assert fast.pk and not fast._state.adding and fast._state.db == "default"
    rows = {m.version: m for m in Material.objects.filter(pk__in=[fast.pk, orm.pk])}
    skip = {"id", "version", "storage_key", "file", "created_at", "updated_at"}
    for field in Material._meta.concrete_fields:
        if field.attname not in skip:
            assert getattr(rows[1], field.attname) == getattr(rows[2], field.attname), field.name
    assert rows[1].created_at == fast.created_at and rows[1].created_at.tzinfo is not None
    assert rows[1].scan_status == "pending" and rows[1].file.name == f"materials/{draft.pk}/k1.pdf"
    before = Material.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_instance(material(1))  # (application, kind, version) is unique
    assert Material.objects.count() == before


def _touch_round(round_id: int) -> str:
    """An audited write in this thread (autocommit unless inside atomic): the actor recorded."""
    from django.db.models import Value
    from django.db.models.functions import Concat

    from policies.models import Round
    from security.models import AuditLog

    Round.objects.filter(pk=round_id).update(name=Concat("name", Value("·")))
    return AuditLog.objects.filter(table_name="policies_round", row_id=round_id, op="UPDATE").latest("id").actor


@pytest.mark.django_db(transaction=True)
def test_a_token_upload_tells_its_actor_once_inside_its_transaction_and_leaves_nothing(demo_tx):
    require_postgres()
    draft = _draft(demo_tx)
    kind = draft.item.materials[0]["kind"]
    user = demo_tx.users["ent_a"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    with CaptureQueriesContext(connection) as queries:
        listed = api.get("/api/v1/applications/")
    assert listed.status_code == 200
    assert not [q for q in queries.captured_queries if "set_config" in q["sql"]]  # reads: no label at all
    with CaptureQueriesContext(connection) as queries:
        answer = api.post(
            f"/api/v1/applications/{draft.pk}/materials/", {"kind": kind, "file": pdf()}, format="multipart"
        )
    assert answer.status_code == 201, answer.json()
    sent = [q["sql"] for q in queries.captured_queries]
    labels = [q for q in sent if "set_config" in q]
    # named by its token, never "anonymous"; once, transaction-local, right before the INSERT
    # (the test settings then run the scan task eagerly at commit: it names itself "task:…")
    assert labels[0] == f"SELECT set_config('app.actor', 'user:{user.pk}:{user.username}', true)"
    assert sent[sent.index(labels[0]) + 1].startswith('INSERT INTO "applications_material"')
    assert not [q for q in labels if "anonymous" in q]
    # the request is over: a write of this thread now is nobody's, whatever the connection held
    assert _touch_round(draft.round_id).startswith("db:")


@pytest.mark.django_db(transaction=True)
def test_every_write_runs_under_the_label_of_the_code_that_runs_it(demo_tx):
    """Rollbacks take back transaction-local labels, savepoint rollbacks make them unknown; the
    audit rows name who was acting each time."""
    require_postgres()
    round_id = demo_tx.p14_round.pk
    set_actor("system:a")
    assert _touch_round(round_id) == "system:a"  # autocommit: the session keeps it
    with pytest.raises(RuntimeError), transaction.atomic():
        set_actor("system:b")
        assert _touch_round(round_id) == "system:b"  # local to the transaction
        raise RuntimeError
    set_actor("system:a")
    assert _touch_round(round_id) == "system:a"  # the session's, once more: nothing sent
    set_actor("system:b")
    assert _touch_round(round_id) == "system:b"
    with transaction.atomic():
        set_actor("system:c")
        assert _touch_round(round_id) == "system:c"
        sid = transaction.savepoint()
        set_actor("system:d")
        assert _touch_round(round_id) == "system:d"
        transaction.savepoint_rollback(sid)  # "d" undone: "c" is in effect again
        set_actor("system:b")  # the session's label, but not what is in effect here
        assert _touch_round(round_id) == "system:b"
        sid = transaction.savepoint()
        transaction.savepoint_rollback(sid)
        set_actor("system:c")
        assert _touch_round(round_id) == "system:c"
    with audit_actor("system:e"):
        assert _touch_round(round_id) == "system:e"
    assert current_actor() == "system:c"
    reset_actor()
    assert _touch_round(round_id).startswith("db:")
    assert current_actor() == ""

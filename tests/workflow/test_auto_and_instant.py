"""免申即享 lists, 即申即享 auto-approval, 容缺受理 and the materials library (R18, R49–R51)."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications.models import Application, Material
from applications.workflow import State
from awards.auto import auto_batch_approve, auto_batch_from_match, auto_batch_from_upload, missed_entitlements
from awards.models import Award
from awards.services import award_claim, award_pay
from common.demo_refdata import ENTERPRISES
from enterprises.credit_code import make_code
from enterprises.services import dishonesty_entry_create
from policies.models import PolicyItem

from .conftest import make_submitted, pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def auto_item(demo):
    """首次上规纳统奖励 (000 L29-31) run as 免申即享: 统计 data already says who first entered 规上."""
    item = PolicyItem.objects.get(code="SP-001")
    item.mode = PolicyItem.Mode.AUTO
    item.save(update_fields=["mode"])
    return item


def _extra_enterprises(demo):
    """The demo's further enterprises (no SPEC login) are part of the reference data too."""
    from enterprises.models import Enterprise

    return {e.name: e for e in Enterprise.objects.all()}


def test_match_over_the_demo_enterprises_finds_the_newly_above_scale_ones(demo, auto_item):
    batch = auto_batch_from_match(actor=demo.users["policy_admin"], item_id=auto_item.pk, year=2026)
    names = sorted(e.name for e in batch.entries.all())
    expected = sorted(name for _, name, _, _, _, tags in ENTERPRISES if any(t == "newly_above_scale" for t, _ in tags))
    assert names == expected == ["杭州云栖精密制造有限公司", "杭州新叶智能装备有限公司", "杭州样例制造有限公司"]
    assert all(e.ok and e.amount == 200000 for e in batch.entries.all())  # ≤20万元 (000 L29-31)


def test_approved_list_becomes_awards_that_are_claimed_and_paid_like_any_other(
    demo, auto_item, django_capture_on_commit_callbacks
):
    batch = auto_batch_from_match(actor=demo.users["policy_admin"], item_id=auto_item.pk, year=2026)
    awards = auto_batch_approve(
        actor=demo.users["policy_admin"], batch_id=batch.pk, claim_deadline=timezone.now() + timedelta(days=30)
    )
    assert len(awards) == 3 and all(a.source == "auto" and a.application_id is None for a in awards)
    ent_b_award = Award.objects.get(enterprise=demo.enterprises["ent_b"], item=auto_item)
    assert ent_b_award.district.name == "西湖区"
    award_claim(actor=demo.users["ent_b"], award_id=ent_b_award.pk, commitment_signed=True)
    paid = award_pay(actor=demo.users["fund_xihu"], award_id=ent_b_award.pk, reference="AUTO-2026-1")
    assert paid.state == "paid"
    # A second list for the same item and year grants nobody twice.
    again = auto_batch_from_match(actor=demo.users["policy_admin"], item_id=auto_item.pk, year=2026)
    assert not any(e.ok for e in again.entries.all())
    assert all("已获得本事项2026年度的奖励" in " ".join(e.problems) for e in again.entries.all())


def test_uploaded_list_is_checked_row_by_row(demo, auto_item):
    dishonesty_entry_create(
        enterprise_id=demo.enterprises["ent_a"].pk, reason="统计违法", source="市统计局", actor=None
    )
    b_code = demo.enterprises["ent_b"].credit_code
    unknown = make_code("91330102MA2YYYYY9")
    csv_text = (
        "统一社会信用代码,企业名称,金额（元）\n"
        f"{b_code},杭州样例制造有限公司,150000\n"
        f"{b_code},杭州样例制造有限公司,150000\n"
        f"{b_code[:-1]}{'0' if b_code[-1] != '0' else '1'},错误代码企业,1000\n"
        f"{unknown},未注册企业,1000\n"
        f"{demo.enterprises['ent_a'].credit_code},杭州示例商贸有限公司,1000\n"
        f"{demo.enterprises['ent_c'].credit_code},杭州示范零售有限公司,900000\n"
    )
    upload = SimpleUploadedFile("统计局名单.csv", ("\ufeff" + csv_text).encode("utf-8"), content_type="text/csv")
    batch = auto_batch_from_upload(actor=demo.users["policy_admin"], item_id=auto_item.pk, year=2026, upload=upload)
    rows = {e.row_number: e for e in batch.entries.all()}
    assert rows[2].ok and rows[2].amount == 150000
    assert "重复" in rows[3].problems[0]
    assert "校验位错误" in rows[4].problems[0]
    assert "没有该统一社会信用代码" in rows[5].problems[0]
    assert any("失信名录" in p for p in rows[6].problems)
    assert any("超过政策标准上限" in p for p in rows[7].problems)
    assert any("不符合条件" in p for p in rows[7].problems)  # ent_c is not an industrial enterprise


def test_uploaded_excel_list(demo, auto_item):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称"])
    ws.append([demo.enterprises["ent_b"].credit_code, "杭州样例制造有限公司"])
    buffer = io.BytesIO()
    wb.save(buffer)
    upload = SimpleUploadedFile("名单.xlsx", buffer.getvalue())
    batch = auto_batch_from_upload(actor=demo.users["policy_admin"], item_id=auto_item.pk, year=2026, upload=upload)
    assert [(e.ok, e.amount) for e in batch.entries.all()] == [(True, 200000)]


def test_only_auto_items_and_only_admins(demo):
    from common.errors import BadInput, PermissionDenied

    p14 = PolicyItem.objects.get(code="SP-029")
    with pytest.raises(BadInput):
        auto_batch_from_match(actor=demo.users["policy_admin"], item_id=p14.pk, year=2026)
    with pytest.raises(PermissionDenied):
        auto_batch_from_match(actor=demo.users["rev_shangcheng"], item_id=p14.pk, year=2026)


def test_missed_entitlements_lists_who_qualifies_but_has_nothing(demo, auto_item):
    names = {e.name for e in missed_entitlements(item=auto_item)}
    assert names == {"杭州云栖精密制造有限公司", "杭州新叶智能装备有限公司", "杭州样例制造有限公司"}


def test_instant_item_is_approved_on_submission_when_every_criterion_is_automatic(demo):
    item = demo.p14_round.item
    item.mode = PolicyItem.Mode.INSTANT
    item.eligibility = [c for c in item.eligibility if c["type"] != "text"]
    item.save(update_fields=["mode", "eligibility"])
    app = make_submitted(demo, "ent_a")
    assert app.state == State.APPROVED and app.amount == app.suggested_amount
    award = Award.objects.get(application=app)
    assert award.source == "instant" and award.state == "claimable"
    assert [e.action for e in app.events.order_by("id")][-2:] == ["submit", "instant_approve"]


def test_instant_item_with_a_manual_criterion_goes_the_ordinary_way(demo):
    item = demo.p14_round.item
    item.mode = PolicyItem.Mode.INSTANT
    item.save(update_fields=["mode"])
    app = make_submitted(demo, "ent_a")
    assert app.state == State.SUBMITTED and not Award.objects.filter(application=app).exists()


def test_deferrable_material_lets_submission_through_but_blocks_approval(demo):
    from applications import services

    from .conftest import give_opinions

    item = demo.p14_round.item
    item.materials = [{**m, "deferrable": m["kind"] == "board_minutes"} for m in item.materials]
    item.save(update_fields=["materials"])
    user = demo.users["ent_a"]
    app = services.application_create(
        actor=user, round_id=demo.p14_round.pk, declared={"retail_sales_2022h2": "3250000000"}
    )
    for m in item.materials:
        if m["kind"] != "board_minutes":
            services.material_upload(actor=user, application_id=app.pk, kind=m["kind"], upload=pdf())
    app = services.application_submit(actor=user, application_id=app.pk, commitment_signed=True)
    assert app.events.get(action="submit").extra["deferred_materials"] == [
        next(m["label"] for m in item.materials if m["kind"] == "board_minutes")
    ]
    reviewer = demo.users["rev_shangcheng"]
    services.application_accept(actor=reviewer, application_id=app.pk)
    give_opinions(demo, app)
    from common.errors import Conflict

    with pytest.raises(Conflict) as exc:
        services.application_approve(actor=reviewer, application_id=app.pk)
    assert exc.value.code == "deferred_missing"
    services.material_upload(actor=user, application_id=app.pk, kind="board_minutes", upload=pdf())
    assert services.application_approve(actor=reviewer, application_id=app.pk).state == State.DISTRICT_APPROVED


def test_materials_library_reuses_a_file_already_given(demo):
    from applications import services

    first = make_submitted(demo, "ent_b", retail="100")
    licence = Material.objects.get(application=first, kind="business_licence")
    sp001_round = demo.rounds["open:SP-001"]
    user = demo.users["ent_b"]
    app = services.application_create(actor=user, round_id=sp001_round.pk)
    offered = services.reusable_materials(app)
    assert [m.pk for m in offered["business_licence"]] == [licence.pk]
    reused = services.material_reuse(
        actor=user, application_id=app.pk, kind="business_licence", source_material_id=licence.pk
    )
    assert reused.sha256 == licence.sha256 and reused.file.name == licence.file.name
    assert "营业执照复印件" not in services.missing_materials(app)
    from common.errors import NotFound

    other = make_submitted(demo, "ent_a")
    foreign = Material.objects.filter(application=other).first()
    with pytest.raises(NotFound):
        services.material_reuse(
            actor=user, application_id=app.pk, kind="business_licence", source_material_id=foreign.pk
        )
    assert Application.objects.filter(enterprise=demo.enterprises["ent_b"]).count() == 2

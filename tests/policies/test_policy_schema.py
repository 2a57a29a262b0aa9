"""Broken data is refused with a message naming the item and the field, and nothing is written."""

import shutil

import pytest
import yaml

from policies.loader import load_all
from policies.models import PolicyDocument, PolicyItem
from policies.schema import PolicySchemaError, validate_item
from tests.policies import seedtext

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(seedtext.DATA, target)
    return target


def edit_item(folder, document: str, code: str, change) -> None:
    path = folder / "items" / f"{document}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    item = next(i for i in data["items"] if i["code"] == code)
    change(item)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_a_copy_of_the_data_loads(data_copy):
    assert load_all(data_dir=data_copy)["total_items"] == 204


def test_bad_percent_names_item_and_field(data_copy):
    edit_item(data_copy, "P14", "SP-029", lambda item: item["amount_rule"].update(percent="百分之一"))
    with pytest.raises(PolicySchemaError, match=r"SP-029 amount_rule\.percent：应为数字"):
        load_all(data_dir=data_copy)
    assert PolicyItem.objects.count() == 0 and PolicyDocument.objects.count() == 0


def test_criterion_on_an_undeclared_field(data_copy):
    def change(item):
        item["eligibility"][-1]["field"] = "retail_sales_2023"

    edit_item(data_copy, "P14", "SP-029", change)
    with pytest.raises(PolicySchemaError) as error:
        load_all(data_dir=data_copy)
    assert "SP-029 eligibility[5].field：“retail_sales_2023”不在本事项的申报数据项中" in error.value.message


def test_funding_must_add_up_and_every_problem_is_listed(data_copy):
    def change(item):
        item["funding"]["city_percent"] = 60
        item["materials"][0]["required"] = "yes"
        item["review_departments"].append("police")

    edit_item(data_copy, "P01", "SP-004", change)
    with pytest.raises(PolicySchemaError) as error:
        load_all(data_dir=data_copy)
    message = error.value.message
    assert "SP-004 funding：市、区比例之和应为100，实际为 110" in message
    assert "SP-004 materials[0].required：应为 true 或 false" in message
    assert "SP-004 review_departments[1]：“police”不是职能代码" in message


def test_group_stated_on_an_item_must_match_the_groups_file(data_copy):
    edit_item(data_copy, "P03", "SP-011", lambda item: item.update(exclusivity_group="specialised-tier-award"))
    with pytest.raises(PolicySchemaError, match="SP-011 exclusivity_group"):
        load_all(data_dir=data_copy)


def test_detailed_items_must_cite_their_lines(data_copy):
    edit_item(data_copy, "P14", "SP-029", lambda item: item["amount_rule"].pop("cite"))
    with pytest.raises(PolicySchemaError, match=r"SP-029 amount_rule\.cite：完整编码的奖补标准必须注明原文行号"):
        load_all(data_dir=data_copy)


def test_tier_choice_must_match_the_declared_options(data_copy):
    edit_item(data_copy, "P03", "SP-009", lambda item: item["amount_rule"]["tiers"].pop())
    with pytest.raises(
        PolicySchemaError, match=r"SP-009 amount_rule\.choose_by：申报数据项的选项应与各档的 key 一一对应"
    ):
        load_all(data_dir=data_copy)


def test_bad_document_date(data_copy):
    path = data_copy / "documents.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("effective_to: 2026-12-31", "effective_to: 2023-12-31"))
    with pytest.raises(PolicySchemaError, match="P01 effective_to：有效期截止日早于施行日期"):
        load_all(data_dir=data_copy)


def test_validate_item_accepts_every_loaded_item(loaded):
    fields = ["code", "name", "bureau_function", "review_departments", "mode", "materials", "declared_fields",
              "eligibility", "amount_rule", "funding", "schedule", "detailed"]  # fmt: skip
    for item in PolicyItem.objects.all():
        validate_item({name: getattr(item, name) for name in fields})


def test_unknown_criterion_type_in_an_edit(loaded):
    item = PolicyItem.objects.get(code="SP-029")
    data = {"code": item.code, "name": item.name, "bureau_function": "commerce", "mode": "apply", "materials": [],
            "declared_fields": [], "eligibility": [{"type": "vibes", "label": "感觉"}], "amount_rule": {"kind": "cap"},
            "funding": {}}  # fmt: skip
    with pytest.raises(PolicySchemaError, match=r"SP-029 eligibility\[0\]\.type"):
        validate_item(data)

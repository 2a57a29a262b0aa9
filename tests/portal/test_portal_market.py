"""The 政策超市: ordering, verdicts, filters, and a query count that does not grow with items."""

from datetime import date

import pytest

from enterprises.models import Designation, SizeClass
from tests.portal.portal_world import add_items

pytestmark = pytest.mark.django_db


def _names(response) -> list[str]:
    return [e.item.name for e in response.context["page"].object_list]


def test_anonymous_visitors_see_the_public_list_with_a_login_prompt(client, world):
    page = client.get("/").content.decode()

    assert world.item.name in page
    assert "登录</a>后可查看贵企业符合哪些政策" in page


def test_items_this_enterprise_qualifies_for_come_first_with_reasons(ent_client, ent_user, world):
    add_items(world, 4)  # items 1 and 3 need 限上批发零售 + 中小微
    response = ent_client.get("/?open=on")

    names = _names(response)
    unfit = [n for n in names if n in ("测试政策事项1", "测试政策事项3")]
    assert names[-2:] == unfit  # failing items sink to the end of the open ones
    assert "企业信息中没有限上批发零售企业的认定记录" in response.content.decode()

    Designation.objects.create(enterprise=ent_user.enterprise, tag="above_quota_trade", granted_on=date(2021, 3, 1))
    response = ent_client.get("/?open=on&eligible=on")
    assert "测试政策事项1" in _names(response)


def test_search_and_filters(ent_client, world):
    add_items(world, 3)

    assert _names(ent_client.get("/?q=零售额奖励")) == [world.item.name]
    assert world.item.name not in _names(ent_client.get("/?mode=auto"))
    assert len(_names(ent_client.get(f"/?document={world.document.pk}&in_force=on"))) == 4


@pytest.mark.parametrize("extra_items", [5, 20])
def test_market_query_count_does_not_grow_with_items(
    ent_client, ent_user, world, extra_items, django_assert_num_queries
):
    add_items(world, extra_items)
    Designation.objects.create(enterprise=ent_user.enterprise, tag="above_quota_trade", granted_on=date(2021, 3, 1))
    ent_user.enterprise.size_class = SizeClass.SMALL
    ent_user.enterprise.save()

    # session, user, documents (filter form), items, rounds prefetch, enterprise, designations,
    # live applications, unread badge
    with django_assert_num_queries(9):
        response = ent_client.get("/")
    assert response.context["total"] == extra_items + 1


def test_policy_page_shows_document_rule_materials_fields_and_countdown(ent_client, world):
    page = ent_client.get(f"/policies/{world.item.pk}/").content.decode()

    for text in (
        "杭商务〔2023〕12号",
        "2023年1月1日",
        "营业执照复印件",
        "2022年下半年零售额",
        "1%",
        "还剩 11 天",
        f"/my/applications/new/{world.round.pk}/",
    ):
        assert text in page, text
    assert 'data-deadline="' in page


def test_unknown_policy_is_a_chinese_404(client, world):
    response = client.get("/policies/999999/")
    assert response.status_code == 404
    assert "未找到您要访问的页面" in response.content.decode()

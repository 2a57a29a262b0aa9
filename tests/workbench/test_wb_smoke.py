"""Every workbench page answers for the roles it serves (and refuses the others)."""

import pytest

from tests.workbench.wb_world import make_award, make_case


@pytest.fixture
def filled(world):
    cases = {s: make_case(world, s) for s in ("submitted", "district_review", "district_approved", "approved")}
    award = make_award(world, make_case(world, "approved"), state="claimed")
    return cases, award


PAGES = [
    ("rev_sc", "/workbench/"),
    ("rev_sc", "/workbench/cases/?state=district_review&overdue=on&sort=enterprise"),
    ("rev_sc", "/workbench/city-lists/"),
    ("co_tax", "/workbench/"),
    ("auditor", "/workbench/"),
    ("city", "/workbench/"),
    ("fund_sc", "/workbench/"),
    ("fund_sc", "/workbench/publish/"),
    ("fund_sc", "/workbench/awards/"),
    ("fund_sc", "/workbench/awards/import/"),
    ("fund_sc", "/workbench/dishonesty/"),
    ("admin", "/workbench/"),
    ("admin", "/workbench/policies/rounds/new/"),
    ("admin", "/workbench/dishonesty/"),
]


@pytest.mark.parametrize(("who", "url"), PAGES)
def test_pages_render(world, filled, login, who, url):
    response = login(world.users[who]).get(url)
    assert response.status_code == 200, response.content.decode()[:2000]
    assert "工作台" in response.content.decode() or "<h1>" in response.content.decode()


def test_case_page_renders_for_reviewer(world, filled, login):
    cases, _ = filled
    response = login(world.users["rev_sc"]).get(f"/workbench/cases/{cases['district_review'].pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "申报数据" in body and "2022年下半年零售额" in body


def test_enterprise_user_is_refused(world, login):
    assert login(world.users["ent_a"]).get("/workbench/").status_code == 403

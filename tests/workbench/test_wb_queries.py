"""Every workbench page does a fixed number of queries, whatever the number of cases.

The same pinned count must hold with 3 and with 15 cases in each state (21 vs 105 cases, 3 vs 15
awards, list entries and dishonesty listings): a page with an N+1 fails one of the two.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.workbench.wb_world import DEPARTMENTS, make_award, make_case


def build_cases(world, n: int) -> dict:
    from enterprises.models import DishonestyEntry
    from reviews.models import CityList, Opinion

    now = timezone.now()
    made: dict = {}
    for state in ("submitted", "district_approved", "approved"):
        made[state] = [make_case(world, state) for _ in range(n)]
    # the newest submissions, so the default sort shows cases with a review clock at any n
    made["district_review"] = [
        make_case(world, "district_review", submitted_at=now - timedelta(hours=1)) for _ in range(n)
    ]
    for i, case in enumerate(made["district_review"]):
        if i % 3 == 0:  # some past the time limit
            case.review_deadline = now - timedelta(days=2)
            case.review_overdue = True
            case.save(update_fields=["review_deadline", "review_overdue"])
    target = made["district_review"][-1]
    for function in DEPARTMENTS[:2]:
        Opinion.objects.create(
            application=target,
            review_cycle=1,
            department=world.users[f"co_{function}"].organisation,
            function=function,
            officer=world.users[f"co_{function}"],
            decision="agree",
            remarks="同意",
        )
    city_list = CityList.objects.create(
        district=world.districts["sc"],
        round=world.round,
        created_by=world.users["rev_sc"],
        status="submitted",
        submitted_at=now,
        submitted_by=world.users["rev_sc"],
    )
    made["city_review"] = [make_case(world, "city_review", city_list=city_list) for _ in range(n)]
    made["awarded"] = [make_case(world, "approved") for _ in range(n)]
    made["awards"] = [make_award(world, case, state="claimed") for case in made["awarded"]]
    for award in made["awards"]:
        DishonestyEntry.objects.create(
            enterprise=award.enterprise,
            reason="统计违法，奖励追回",
            source=f"奖励 #{award.pk} 追回",
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=1000),
        )
    made["city_list"] = city_list
    return made


def pages(world, made) -> dict[str, tuple[str, str]]:
    review = made["district_review"][-1]
    return {
        "reviewer queue": ("rev_sc", "/workbench/"),
        "reviewer queue filtered": ("rev_sc", "/workbench/cases/?state=district_review&overdue=on&sort=enterprise"),
        "reviewer queue htmx": ("rev_sc", "/workbench/cases/?sort=-id"),
        "co-reviewer queue": ("co_tax", "/workbench/"),
        "auditor queue": ("auditor", "/workbench/"),
        "reviewer case": ("rev_sc", f"/workbench/cases/{review.pk}/"),
        "co-reviewer case": ("co_drc", f"/workbench/cases/{review.pk}/"),
        "city case": ("city", f"/workbench/cases/{made['city_review'][0].pk}/"),
        "reviewer city lists": ("rev_sc", f"/workbench/city-lists/?round={world.round.pk}"),
        "city home": ("city", "/workbench/"),
        "city list decide": ("city", f"/workbench/city-lists/{made['city_list'].pk}/"),
        "fund home": ("fund_sc", "/workbench/"),
        "publish": ("fund_sc", f"/workbench/publish/?round={world.round.pk}"),
        "awards": ("fund_sc", "/workbench/awards/"),
        "award": ("fund_sc", f"/workbench/awards/{made['awards'][0].pk}/"),
        "awards import": ("fund_sc", "/workbench/awards/import/"),
        "dishonesty": ("admin", "/workbench/dishonesty/"),
        "policies": ("admin", "/workbench/"),
        "policy item": ("admin", f"/workbench/policies/items/{world.item.pk}/"),
        "round new": ("admin", "/workbench/policies/rounds/new/"),
        "round edit": ("admin", f"/workbench/policies/rounds/{world.round.pk}/edit/"),
    }


# Queries per page (session + user + the page's own reads). Same for 3 and 15 cases per state.
PINNED = {
    "reviewer queue": 9,
    "reviewer queue filtered": 9,
    "reviewer queue htmx": 8,
    "co-reviewer queue": 11,
    "auditor queue": 9,
    "reviewer case": 12,
    "co-reviewer case": 12,
    "city case": 14,
    "reviewer city lists": 9,
    "city home": 5,
    "city list decide": 11,
    "fund home": 8,
    "publish": 7,
    "awards": 7,
    "award": 6,
    "awards import": 4,
    "dishonesty": 5,
    "policies": 7,
    "policy item": 6,
    "round new": 5,
    "round edit": 5,
}


@pytest.mark.parametrize("n", [3, 15])
def test_page_queries_do_not_grow_with_cases(world, client, django_assert_num_queries, n):
    made = build_cases(world, n)
    failures = []
    for name, (who, url) in pages(world, made).items():
        client.force_login(world.users[who])
        headers = {"HTTP_HX_REQUEST": "true"} if name.endswith("htmx") else {}
        try:
            with django_assert_num_queries(PINNED[name]):
                response = client.get(url, **headers)
        except pytest.fail.Exception as exc:
            failures.append(f"{name}（{url}）：{str(exc).splitlines()[0]}")
            continue
        assert response.status_code == 200, name
    assert not failures, "\n".join(failures)

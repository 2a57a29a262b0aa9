"""Every API route × every role × own and foreign objects (SPEC §1, §9; RELIABILITY R2).

- anonymous callers get 401/403 everywhere except the token endpoint;
- an object the role may not see answers 404, exactly as a missing one;
- a 2xx answer only where the (route, role) pair is in ALLOWED;
- no 5xx anywhere;
- a route in config/api_urls.py without a row in ROUTES fails the test.
Each request runs in a savepoint that is rolled back, so every cell starts from the same data.
"""

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import URLPattern
from django.utils import timezone
from rest_framework.test import APIClient

from applications.models import Application, Material
from awards.models import Award
from reviews.models import CityList

from .conftest import make_award, make_under_review, pdf

pytestmark = pytest.mark.django_db

ROLES = [
    None,
    "ent_a",
    "ent_b",
    "ent_c",
    "rev_shangcheng",
    "rev_xihu",
    "tax_shangcheng",
    "tax_xihu",
    "city_approver",
    "fund_shangcheng",
    "fund_xihu",
    "policy_admin",
    "auditor",
]
AUTHED = set(ROLES) - {None}
ENTERPRISES = {"ent_a", "ent_b", "ent_c"}

# route name -> (method, path template, body, object kind or None)
ROUTES = {
    "api-token": ("POST", "/api/v1/auth/token/", {}, None),
    "api-policies": ("GET", "/api/v1/policies/", None, None),
    "api-policy": ("GET", "/api/v1/policies/{policy}/", None, None),
    "api-rounds": [("GET", "/api/v1/rounds/?state=open", None, None), ("POST", "/api/v1/rounds/", "round_body", None)],
    "api-round": [
        ("GET", "/api/v1/rounds/{round}/", None, None),
        ("PATCH", "/api/v1/rounds/{round}/", {"budget": "1000000"}, None),
    ],
    "api-round-publish": ("POST", "/api/v1/rounds/{round}/publish-awards/", "deadline_body", None),
    "api-enterprise-me": [
        ("GET", "/api/v1/enterprises/me/", None, None),
        ("PATCH", "/api/v1/enterprises/me/", {"contact_name": "张三"}, None),
    ],
    "api-applications": [
        ("GET", "/api/v1/applications/", None, None),
        ("POST", "/api/v1/applications/", "create_body", None),
    ],
    "api-application": [
        ("GET", "/api/v1/applications/{app}/", None, "app"),
        ("PATCH", "/api/v1/applications/{app}/", {"declared": {}}, "app"),
    ],
    "api-application-history": ("GET", "/api/v1/applications/{app}/history/", None, "app"),
    "api-application-materials": ("POST", "/api/v1/applications/{app}/materials/", "upload", "app"),
    "api-application-material-reuse": (
        "POST",
        "/api/v1/applications/{app}/materials/reuse/",
        {"kind": "explanation", "source_material": 1},
        "app",
    ),
    "api-auto-grants": ("POST", "/api/v1/auto-grants/", "auto_body", None),
    "api-auto-grant": ("GET", "/api/v1/auto-grants/{batch}/", None, "batch"),
    "api-auto-grant-approve": ("POST", "/api/v1/auto-grants/{batch}/approve/", "deadline_body", "batch"),
    "api-material-download": ("GET", "/api/v1/applications/{app}/materials/{material}/download/", None, "app"),
    "api-application-opinions": [
        ("GET", "/api/v1/applications/{app}/opinions/", None, "app"),
        ("POST", "/api/v1/applications/{app}/opinions/", {"decision": "agree"}, "app"),
    ],
    **{
        f"api-application-{action}": (
            "POST",
            f"/api/v1/applications/{{app}}/{action}/",
            {"reason": "理由", "amount": "1000", "commitment_signed": True},
            "app",
        )
        for action in (
            "submit",
            "withdraw",
            "accept",
            "return",
            "resubmit",
            "reject",
            "approve",
            "city-approve",
            "city-reject",
            "city-return",
        )
    },
    "api-city-lists": [
        ("GET", "/api/v1/city-lists/", None, None),
        ("POST", "/api/v1/city-lists/", "city_list_body", None),
    ],
    "api-city-list": ("GET", "/api/v1/city-lists/{city_list}/", None, "city_list"),
    "api-city-list-submit": ("POST", "/api/v1/city-lists/{city_list}/submit/", {}, "city_list"),
    "api-awards": ("GET", "/api/v1/awards/", None, None),
    "api-award": ("GET", "/api/v1/awards/{award}/", None, "award"),
    "api-award-history": ("GET", "/api/v1/awards/{award}/history/", None, "award"),
    "api-award-claim": ("POST", "/api/v1/awards/{award}/claim/", {"commitment_signed": True}, "award"),
    "api-award-pay": ("POST", "/api/v1/awards/{award}/pay/", {"reference": "M-1"}, "award"),
    "api-award-recover": ("POST", "/api/v1/awards/{award}/recover/", {"reason": "统计违法"}, "award"),
    "api-award-recovered": ("POST", "/api/v1/awards/{award}/recovered/", {}, "award"),
}

# (route name, method) -> roles that may get a 2xx there (on objects they can see).
ALLOWED = {
    ("api-policies", "GET"): AUTHED,
    ("api-policy", "GET"): AUTHED,
    ("api-rounds", "GET"): AUTHED,
    ("api-round", "GET"): AUTHED,
    ("api-rounds", "POST"): {"policy_admin"},
    ("api-auto-grants", "POST"): {"policy_admin"},
    ("api-round", "PATCH"): {"policy_admin"},
    ("api-round-publish", "POST"): {"fund_shangcheng", "fund_xihu"},
    ("api-enterprise-me", "GET"): ENTERPRISES,
    ("api-enterprise-me", "PATCH"): ENTERPRISES,
    ("api-applications", "GET"): AUTHED,
    ("api-city-lists", "GET"): AUTHED,
    ("api-awards", "GET"): AUTHED,
    ("api-application", "GET"): AUTHED,
    ("api-application-history", "GET"): AUTHED,
    ("api-material-download", "GET"): AUTHED,
    ("api-application-opinions", "GET"): AUTHED,
    ("api-application-opinions", "POST"): {"tax_shangcheng", "tax_xihu"},
    ("api-application-return", "POST"): {"rev_shangcheng", "rev_xihu"},
    ("api-application-reject", "POST"): {"rev_shangcheng", "rev_xihu"},
    ("api-city-list", "GET"): AUTHED,
    ("api-auto-grant", "GET"): AUTHED,
    ("api-auto-grant-approve", "POST"): {"policy_admin"},
    ("api-award", "GET"): AUTHED,
    ("api-award-history", "GET"): AUTHED,
    ("api-award-claim", "POST"): {"ent_c"},
}


@pytest.fixture
def world(demo):
    app_sc = make_under_review(demo, "ent_a")  # 上城区, district_review
    app_xh = make_under_review(demo, "ent_b", retail="100")  # 西湖区, district_review
    award = make_award(demo, "ent_c", retail="3100000000")  # 上城区, claimable; its city list is done
    city_list = CityList.objects.get(applications__award=award)
    from awards.models import AutoGrantBatch
    from policies.models import PolicyItem

    auto_item = PolicyItem.objects.get(code="SP-001")
    auto_item.mode = "auto"
    auto_item.save()
    batch = AutoGrantBatch.objects.create(
        item=auto_item, year=2026, origin="match", created_by=demo.users["policy_admin"]
    )
    viewers = {
        ("app", app_sc.pk): {"ent_a", "rev_shangcheng", "tax_shangcheng", "policy_admin", "auditor"},
        ("app", app_xh.pk): {"ent_b", "rev_xihu", "tax_xihu", "policy_admin", "auditor"},
        ("award", award.pk): {"ent_c", "rev_shangcheng", "fund_shangcheng", "city_approver", "policy_admin", "auditor"},
        ("city_list", city_list.pk): {"rev_shangcheng", "fund_shangcheng", "city_approver", "policy_admin", "auditor"},
        ("batch", batch.pk): {"policy_admin", "auditor"},
    }
    return {
        "demo": demo,
        "apps": [app_sc, app_xh],
        "award": award,
        "city_list": city_list,
        "batch": batch,
        "viewers": viewers,
    }


def _body(spec, world, obj_app=None):
    demo = world["demo"]
    if spec == "round_body":
        start = timezone.now() + timedelta(days=60)
        return {
            "item": demo.p14_round.item_id,
            "opens_at": start.isoformat(),
            "closes_at": (start + timedelta(days=30)).isoformat(),
        }
    if spec == "deadline_body":
        return {"claim_deadline": (timezone.now() + timedelta(days=30)).isoformat()}
    if spec == "auto_body":
        return {"item": world["batch"].item_id, "year": 2026, "origin": "match"}
    if spec == "create_body":
        return {"round": demo.p14_round.pk}
    if spec == "city_list_body":
        return {"round": demo.p14_round.pk, "applications": [world["apps"][0].pk]}
    if spec == "upload":
        return {"kind": "explanation", "file": pdf()}
    return spec


def _call(world, role, method, path, body):
    client = APIClient()
    if role:
        client.force_authenticate(world["demo"].users[role])
    fmt = "multipart" if isinstance(body, dict) and "file" in body else "json"
    with transaction.atomic():
        response = getattr(client, method.lower())(path, body, format=fmt) if method != "GET" else client.get(path)
        transaction.set_rollback(True)
    return response.status_code


def test_every_api_route_has_a_row():
    from config import api_urls

    names = {p.name for p in api_urls.urlpatterns if isinstance(p, URLPattern)}
    assert names == set(ROUTES), (
        f"routes without a matrix row: {names - set(ROUTES)}; stale rows: {set(ROUTES) - names}"
    )


def test_role_route_matrix(world):
    demo = world["demo"]
    failures = []
    cells = 0
    for name, specs in ROUTES.items():
        for method, template, body_spec, kind in specs if isinstance(specs, list) else [specs]:
            targets: list[tuple[str | None, int | None]] = [(None, None)]
            if kind == "app":
                targets = [("app", a.pk) for a in world["apps"]]
            elif kind == "award":
                targets = [("award", world["award"].pk)]
            elif kind == "city_list":
                targets = [("city_list", world["city_list"].pk)]
            elif kind == "batch":
                targets = [("batch", world["batch"].pk)]
            for target_kind, target_id in targets:
                fields = {
                    "policy": demo.p14_round.item_id,
                    "round": demo.p14_round.pk,
                    "app": target_id,
                    "award": target_id,
                    "city_list": target_id,
                    "batch": target_id,
                }
                if kind == "app":
                    material = Material.objects.filter(application_id=target_id).first()
                    fields["material"] = material.pk if material else 0
                path = template.format(**fields)
                for role in ROLES:
                    cells += 1
                    status = _call(world, role, method, path, _body(body_spec, world))
                    where = f"{method} {path} as {role or 'anonymous'}"
                    if status >= 500:
                        failures.append(f"{where}: {status}")
                    elif role is None:
                        if name != "api-token" and status not in (401, 403):
                            failures.append(f"{where}: anonymous got {status}")
                    elif target_kind and role not in world["viewers"][(target_kind, target_id)]:
                        if status != 404:
                            failures.append(f"{where}: foreign object must be 404, got {status}")
                    elif 200 <= status < 300 and role not in ALLOWED.get((name, method), set()):
                        failures.append(f"{where}: unexpected {status}")
    assert cells > 600
    assert not failures, "\n".join(failures)


def test_lists_leak_no_rows(world):
    demo = world["demo"]
    app_sc, app_xh = world["apps"]
    expectations = {
        "ent_a": {app_sc.pk},
        "ent_b": {app_xh.pk},
        "rev_xihu": {app_xh.pk},
        "tax_shangcheng": {app_sc.pk, world["award"].application_id},
        "fund_xihu": set(),
        "city_approver": {world["award"].application_id},
    }
    for role, expected in expectations.items():
        ids = {row["id"] for row in demo.client(role).get("/api/v1/applications/?page_size=200").json()["results"]}
        assert ids == expected, role
    assert {a["id"] for a in demo.client("ent_a").get("/api/v1/awards/").json()["results"]} == set()
    assert {a["id"] for a in demo.client("fund_xihu").get("/api/v1/awards/").json()["results"]} == set()
    assert {a["id"] for a in demo.client("ent_c").get("/api/v1/awards/").json()["results"]} == {world["award"].pk}
    assert Application.objects.count() == 3 and Award.objects.count() == 1

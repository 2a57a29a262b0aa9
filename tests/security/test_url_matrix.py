"""R2 authorization matrix over the WHOLE URLconf (ASVS 8.2.1, 8.2.2, 3.5.1, 3.5.3).

Every pattern of config.urls, found by walking the resolver (pages, API, reports, accounts and
the admin), must have a row in ROUTES; a new route without one fails
`test_every_route_has_a_row`. For every row, every role × own/foreign object:
- no 5xx;
- anonymous: pages redirect to the login page, API answers 401/403 (public rows excepted);
- an object the role may not see answers 404, exactly as a missing one;
- GET never changes the database (no state change on GET);
- a POST by a role outside the row's `post` set changes nothing (DB fingerprint unchanged);
- a GET answers 2xx only for the roles in the row's `get` set;
and, separately: every state-changing route refuses a POST without a CSRF token (403), list
pages leak no rows of other enterprises or districts, and the admin is for staff only.
Each request runs in a savepoint that is rolled back, so every cell starts from the same data.

The machinery (URLconf walk, world fixture, fingerprint, one request per cell) is in
tests/security/url_matrix_world.py.

Figures (printed by `-s`): routes, cells, and the per-route observations with URL_MATRIX_SHOW=1.
"""

import os
from dataclasses import dataclass, field

import pytest
from django.test import Client

from .url_matrix_world import (
    ADMIN_PREFIX,
    all_routes,
    build_world,
    fill,
    page_routes,
    request_cell,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(demo):
    return build_world(demo)


ENTERPRISES = {"ent_a", "ent_b", "ent_c"}
OFFICIALS = {
    "rev_shangcheng",
    "rev_xihu",
    "tax_shangcheng",
    "tax_xihu",
    "city_approver",
    "fund_shangcheng",
    "fund_xihu",
    "policy_admin",
    "auditor",
}
ROLES: list[str | None] = [None, *sorted(ENTERPRISES), *sorted(OFFICIALS)]
AUTHED = ENTERPRISES | OFFICIALS
EVERYONE = AUTHED | {None}
REVIEWERS = {"rev_shangcheng", "rev_xihu"}
FUNDS = {"fund_shangcheng", "fund_xihu"}
ADMIN = {"policy_admin"}
NOBODY: set[str] = set()
LIST_ROLES = OFFICIALS - {"tax_shangcheng", "tax_xihu"}  # city lists: not the co-review departments


@dataclass(frozen=True)
class Row:
    """What a route allows. `get`/`post`: roles that may get a 2xx / change data (None: method
    not offered; POST then must change nothing for anyone). `obj`: the object kind in the URL.
    `public`: anonymous callers are served (no login redirect, no 401)."""

    get: frozenset | None = None
    post: frozenset | None = None
    obj: str | None = None
    public: bool = False
    data: dict = field(default_factory=dict)
    note: str = ""


def R(get=None, post=None, obj=None, public=False, data=None, note="") -> Row:
    return Row(
        None if get is None else frozenset(get),
        None if post is None else frozenset(post),
        obj,
        public,
        data or {},
        note,
    )


REASON = {"reason": "安全测试理由", "remarks": "安全测试", "decision": "agree"}
ACTION_DATA = {
    **REASON,
    "amount": "1000",
    "city_approve-amount": "1000",
    "city_approve-reason": "x",
    "approve-reason": "x",
    "return-reason": "请补正",
    "reject-reason": "不符合",
    "city_reject-reason": "不符合",
    "city_return-reason": "请复核",
    "signed": "on",
    "commitment_signed": True,
    "bank_confirmed": "on",
}

# One row per route name (namespace:name). Objects: app (two cases in district review, 上城/西湖),
# award (上城, claimable), city_list, round, item, material, notification, entry (dishonesty),
# batch (免申即享名单), reset (password-reset link parameters).
ROUTES: dict[str, Row] = {
    # --- API (tests/workflow/test_api_matrix.py has the per-action detail) ---------------------
    "api-schema": R(get=EVERYONE, public=True),
    "api-docs": R(get=EVERYONE, public=True),
    "reports-api:summary": R(get=OFFICIALS),
    "api-token": R(post=NOBODY, public=True, note="issues a token; creates no case data"),
    "api-policies": R(get=AUTHED),
    "api-policy": R(get=AUTHED, obj="item"),
    "api-rounds": R(get=AUTHED, post=ADMIN),
    "api-round": R(get=AUTHED, post=NOBODY, obj="round", note="PATCH (policy_admin) is in the API matrix"),
    "api-round-publish": R(post=FUNDS, obj="round"),
    "api-enterprise-me": R(get=ENTERPRISES),
    "api-applications": R(get=AUTHED, post=ENTERPRISES),
    "api-application": R(get=AUTHED, obj="app"),
    "api-application-history": R(get=AUTHED, obj="app"),
    "api-application-materials": R(post=ENTERPRISES, obj="app", data={"kind": "explanation", "file": "<pdf>"}),
    "api-material-download": R(get=AUTHED, obj="material"),
    "api-application-material-reuse": R(
        post=ENTERPRISES, obj="app", data={"kind": "explanation", "source_material": 1}
    ),
    "api-application-opinions": R(get=AUTHED, post={"tax_shangcheng", "tax_xihu"}, obj="app", data=REASON),
    **{
        f"api-application-{a}": R(post=who, obj="app", data=ACTION_DATA)
        for a, who in {
            "submit": ENTERPRISES,
            "withdraw": ENTERPRISES,
            "resubmit": ENTERPRISES,
            "accept": REVIEWERS,
            "return": REVIEWERS,
            "reject": REVIEWERS,
            "approve": REVIEWERS,
            "city-approve": {"city_approver"},
            "city-reject": {"city_approver"},
            "city-return": {"city_approver"},
        }.items()
    },
    "api-city-lists": R(get=AUTHED, post=REVIEWERS),
    "api-city-list": R(get=AUTHED, obj="city_list"),
    "api-city-list-submit": R(post=REVIEWERS, obj="city_list"),
    "api-auto-grants": R(get=ADMIN | {"auditor"}, post=ADMIN),
    "api-auto-grant": R(get=ADMIN | {"auditor"}, obj="batch"),
    "api-auto-grant-approve": R(post=ADMIN, obj="batch"),
    "api-awards": R(get=AUTHED),
    "api-award": R(get=AUTHED, obj="award"),
    "api-award-history": R(get=AUTHED, obj="award"),
    "api-award-claim": R(post={"ent_c"}, obj="award", data=ACTION_DATA),
    "api-award-pay": R(post=FUNDS, obj="award", data={"reference": "URL-MATRIX-1"}),
    "api-award-recover": R(post=FUNDS, obj="award", data=REASON),
    "api-award-recovered": R(post=FUNDS, obj="award"),
    # --- accounts --------------------------------------------------------------------------------
    "accounts:login": R(get=EVERYONE, post=NOBODY, public=True, note="signs in; no case data"),
    "accounts:logout": R(post=NOBODY, public=True),
    "accounts:register": R(get=EVERYONE, post={None}, public=True, note="creates an enterprise"),
    "accounts:password-change": R(get=AUTHED, post=NOBODY),
    "accounts:password-change-done": R(get=AUTHED),
    "accounts:password-reset": R(get=EVERYONE, post=NOBODY, public=True),
    "accounts:password-reset-done": R(get=EVERYONE, public=True),
    "accounts:password-reset-confirm": R(get=EVERYONE, post=NOBODY, obj="reset", public=True),
    "accounts:password-reset-complete": R(get=EVERYONE, public=True),
    # --- the one download path of materials -------------------------------------------------------
    "applications:material-download": R(get=AUTHED, obj="material"),
    # --- enterprise portal ---------------------------------------------------------------------------
    "home": R(public=True, note="redirect to portal:home"),
    "portal:home": R(get=EVERYONE, public=True),
    "portal:policy": R(get=EVERYONE, obj="item", public=True),
    "portal:enterprise": R(get=ENTERPRISES, post=ENTERPRISES, data={"contact_name": "x"}),
    "portal:colleagues": R(get=ENTERPRISES, post=ENTERPRISES),
    "portal:applications": R(get=ENTERPRISES),
    "portal:apply": R(get=ENTERPRISES, post=ENTERPRISES, obj="round"),
    "portal:case": R(get=ENTERPRISES, obj="app"),
    "portal:case-figures": R(get=ENTERPRISES, post=ENTERPRISES, obj="app"),
    "portal:case-materials": R(get=ENTERPRISES, post=ENTERPRISES, obj="app"),
    "portal:case-check": R(get=ENTERPRISES, obj="app"),
    "portal:case-submit": R(get=ENTERPRISES, post=ENTERPRISES, obj="app", data=ACTION_DATA),
    "portal:case-withdraw": R(get=ENTERPRISES, post=ENTERPRISES, obj="app", data=ACTION_DATA),
    "portal:case-link": R(obj="app", note="redirects to the user's own side, which checks access"),
    "portal:awards": R(get=ENTERPRISES),
    "portal:award": R(get=ENTERPRISES, post={"ent_c"}, obj="award", data=ACTION_DATA),
    "portal:inbox": R(get=AUTHED),
    "portal:notification": R(get=AUTHED, post=AUTHED, obj="notification", note="marks read (a GET that writes)"),
    "portal:inbox-read-all": R(post=AUTHED),
    # --- workbench -----------------------------------------------------------------------------------
    "workbench:home": R(get=OFFICIALS),
    "workbench:cases": R(get=OFFICIALS),
    "workbench:batch-accept": R(get=REVIEWERS, post=REVIEWERS),
    "workbench:case": R(get=OFFICIALS, obj="app"),
    **{
        f"workbench:case-{a}": R(post=who, obj="app", data=ACTION_DATA)
        for a, who in {
            "accept": REVIEWERS,
            "return": REVIEWERS,
            "reject": REVIEWERS,
            "approve": REVIEWERS,
            "city-approve": {"city_approver"},
            "city-reject": {"city_approver"},
            "city-return": {"city_approver"},
            "opinion": {"tax_shangcheng", "tax_xihu"},
        }.items()
    },
    "workbench:city-lists": R(get=LIST_ROLES),
    "workbench:city-list-assemble": R(get=REVIEWERS, post=REVIEWERS),
    "workbench:city-list": R(get=LIST_ROLES, obj="city_list"),
    "workbench:city-list-submit": R(post=REVIEWERS, obj="city_list"),
    "workbench:publish": R(get=FUNDS, post=FUNDS),
    "workbench:awards": R(get=OFFICIALS),
    "workbench:awards-import": R(get=FUNDS, post=FUNDS),
    "workbench:award": R(get=OFFICIALS, obj="award"),
    "workbench:award-pay": R(post=FUNDS, obj="award", data={"reference": "URL-MATRIX-2"}),
    "workbench:award-recover": R(post=FUNDS, obj="award", data=REASON),
    "workbench:award-recovered": R(post=FUNDS, obj="award"),
    "workbench:dishonesty": R(get=OFFICIALS),
    "workbench:dishonesty-end": R(post=ADMIN, obj="entry", data=REASON),
    "workbench:auto-grants": R(get=ADMIN | {"auditor"}),
    "workbench:auto-grant-new": R(get=ADMIN, post=ADMIN),
    "workbench:item-mode": R(get=ADMIN, post=ADMIN),
    "workbench:auto-grant": R(get=ADMIN | {"auditor"}, obj="batch"),
    "workbench:auto-grant-approve": R(post=ADMIN, obj="batch"),
    "workbench:auto-grant-discard": R(post=ADMIN, obj="batch"),
    "workbench:missed": R(get=ADMIN | {"auditor"}),
    "workbench:policies": R(get=OFFICIALS),
    "workbench:policy-item": R(get=OFFICIALS, obj="item"),
    "workbench:round-new": R(get=ADMIN, post=ADMIN),
    "workbench:round-edit": R(get=ADMIN, post=ADMIN, obj="round"),
    "workbench:round-open": R(post=ADMIN, obj="round"),
    "workbench:round-close": R(post=ADMIN, obj="round"),
    # --- reports ---------------------------------------------------------------------------------------
    "reports:dashboard": R(get=OFFICIALS),
    "reports:export-xlsx": R(get=OFFICIALS),
    "reports:export-csv": R(get=OFFICIALS),
}


def test_every_route_has_a_row():
    names = {r.name for r in page_routes()}
    missing = sorted(names - set(ROUTES))
    stale = sorted(set(ROUTES) - names)
    assert not missing, f"routes without a row in ROUTES ({len(missing)}): {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"
    admin = [r for r in all_routes() if r.pattern.startswith(ADMIN_PREFIX)]
    assert all(r.name.startswith("admin:") for r in admin)
    print(f"URLconf: {len(names)} routes with rows + {len(admin)} admin routes under one staff-only rule")


def test_role_by_route_matrix(world):
    show = os.environ.get("URL_MATRIX_SHOW") == "1"
    failures: list[str] = []
    cells = 0
    for route in page_routes():
        row = ROUTES[route.name]
        kinds = world["targets"].get(row.obj, []) if row.obj else [(None, None)]
        if row.obj and not kinds:
            failures.append(f"{route.name}: no {row.obj} in the test world")
            continue
        for kind, target_id in kinds:
            path = fill(route.pattern, kind, target_id, world)
            for method in ("GET", "POST"):
                allowed = row.get if method == "GET" else row.post
                observed = []
                for role in ROLES:
                    cells += 1
                    status, location, changes = request_cell(world, role, method, path, row.data)
                    observed.append(f"{role or 'anon'}={status}{'*' if changes else ''}")
                    where = f"{method} {path} [{route.name}] as {role or 'anonymous'}"
                    visible = kind in (None, "round", "item", "reset", "batch", "entry") or (
                        role in world["viewers"].get((kind, target_id), set())
                    )
                    if status >= 500:
                        failures.append(f"{where}: {status}")
                        continue
                    if method == "GET" and changes and route.name != "portal:notification":
                        failures.append(f"{where}: GET wrote {changes}")
                    if method == "POST" and changes and (allowed is None or role not in allowed):
                        failures.append(f"{where}: POST by a role outside the row wrote {changes}")
                    if role is None and not row.public:
                        if route.name.startswith(("api-", "reports-api")):
                            if status not in (401, 403):
                                failures.append(f"{where}: anonymous API call got {status}")
                        elif not (status == 302 and "/accounts/login/" in location) and status != 405:
                            failures.append(f"{where}: anonymous page got {status} {location}")
                        continue
                    if role is not None and not visible:
                        if route.name == "portal:case-link":
                            continue  # a redirect to the user's own side, which answers 404
                        role_refused = status == 403 and role not in (allowed or set())
                        if status not in (404, 405) and not role_refused:
                            failures.append(f"{where}: foreign object must be 404, got {status}")
                        continue
                    if method == "GET" and 200 <= status < 300 and (allowed is None or role not in allowed):
                        failures.append(f"{where}: unexpected {status}")
                if show:
                    print(f"{route.name:38} {method:4} {path:60} {' '.join(observed)}")
    print(f"URL matrix: {len(page_routes())} routes, {cells} cells, {len(failures)} failures")
    assert cells > 2500
    assert not failures, f"{len(failures)} failing cell(s):\n" + "\n".join(failures[:200])


# --- CSRF on every state-changing route ----------------------------------------------------------------


def test_every_state_changing_route_refuses_a_post_without_csrf_token(world):
    failures = []
    checked = 0
    for route in page_routes():
        row = ROUTES[route.name]
        if row.post is None or route.name == "api-token":  # the token endpoint uses no cookie
            continue
        kind, target_id = (world["targets"].get(row.obj) or [(None, None)])[0] if row.obj else (None, None)
        path = fill(route.pattern, kind, target_id, world)
        candidates = sorted(str(r) for r in row.post if r is not None)
        if kind and (kind, target_id) in world["viewers"]:
            candidates = sorted(world["viewers"][(kind, target_id)] & set(candidates)) or candidates
        role = None if route.name == "accounts:register" else (candidates or ["policy_admin"])[0]
        status, _, changes = request_cell(world, role, "POST", path, row.data, csrf=True)
        checked += 1
        if status != 403 or changes:
            failures.append(f"POST {path} [{route.name}] as {role} without token: {status} wrote {changes}")
    print(f"CSRF: {checked} state-changing routes refuse a POST without token")
    assert checked >= 60
    assert not failures, "\n".join(failures)


# --- lists leak no rows ------------------------------------------------------------------------------------


LIST_PAGES = [
    "/my/applications/",
    "/my/awards/",
    "/workbench/",
    "/workbench/cases/",
    "/workbench/cases/?state=district_review",
    "/workbench/awards/",
    "/workbench/city-lists/",
    "/reports/",
    "/reports/export.csv",
    "/api/v1/applications/?page_size=200",
    "/api/v1/awards/?page_size=200",
    "/api/v1/city-lists/?page_size=200",
]


def test_list_pages_leak_no_rows_of_other_enterprises_or_districts(world):
    demo = world["demo"]
    names = {k: demo.enterprises[k].name for k in ENTERPRISES}
    # who may see which enterprise's cases and awards anywhere in a list
    sees = {
        "ent_a": {"ent_a"},
        "ent_b": {"ent_b"},
        "ent_c": {"ent_c"},
        "rev_xihu": {"ent_b"},
        "tax_xihu": {"ent_b"},
        "fund_xihu": set(),
        "fund_shangcheng": {"ent_c"},
        "rev_shangcheng": {"ent_a", "ent_c"},
        "tax_shangcheng": {"ent_a", "ent_c"},
        "city_approver": {"ent_c"},
    }
    failures = []
    for role, visible in sees.items():
        client = Client()
        client.force_login(demo.users[role])
        for path in LIST_PAGES:
            response = client.get(path)
            if response.status_code != 200:
                continue
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode("utf-8", errors="replace")
            for ent, name in names.items():
                if ent not in visible and name in text:
                    failures.append(f"{role} sees {name} ({ent}) in {path}")
    assert not failures, "\n".join(failures)


# --- the admin is for staff only ---------------------------------------------------------------------------


def test_admin_routes_are_staff_only_and_never_5xx_for_a_superuser(world):
    from django.contrib.auth import get_user_model

    demo = world["demo"]
    staff = {name for name, u in demo.users.items() if u.is_staff or u.is_superuser}
    assert staff <= {"policy_admin"}, staff  # configuration (policies, calendar) is the policy admin's
    admin_routes = [r for r in all_routes() if r.pattern.startswith(ADMIN_PREFIX)]
    simple = ["/" + r.pattern for r in admin_routes if "<" not in r.pattern and "(?P" not in r.pattern]
    for role in sorted(AUTHED - staff):
        client = Client()
        client.force_login(demo.users[role])
        for path in simple:
            response = client.get(path)
            if path in ("/admin/login/", "/admin/logout/"):
                continue  # the admin's own sign-in form; signing out needs no rights
            assert response.status_code in (302, 404), (role, path, response.status_code)
            if response.status_code == 302:
                assert "/admin/login/" in response["Location"], (role, path)
    superuser = get_user_model().objects.create_superuser("sec_root", "root@example.com", "Hz-root-2026x")
    client = Client()
    client.force_login(superuser)
    changelists = [p for p in simple if p.endswith("/") and p.count("/") == 4]
    for path in changelists:
        assert client.get(path).status_code == 200, path
    assert len(changelists) >= 20
    print(f"admin: {len(admin_routes)} routes, {len(changelists)} changelists open for the superuser only")

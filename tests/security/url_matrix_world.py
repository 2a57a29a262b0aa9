"""The machinery of tests/security/test_url_matrix.py (R2): walking the URLconf, the world of
cases, awards, lists and notifications the matrix runs against, filling a route pattern for one
object, the database fingerprint that tells whether a request wrote, and one request per cell
inside a rolled-back savepoint. The table (ROUTES) and the tests stay in test_url_matrix.py."""

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from applications.models import Application, ApplicationEvent, Material
from awards.models import Award, AwardEvent
from enterprises.models import DishonestyEntry, Enterprise, EnterpriseChange
from notifications.models import Notification
from policies.models import PolicyItem, Round
from reviews.models import CityList, Opinion

from .conftest import make_award, make_under_review, pdf

ADMIN_PREFIX = "admin/"  # the Django admin: one rule for all its routes (staff only)


# --- walking the URLconf ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str


def all_routes() -> list[Route]:
    def walk(patterns, prefix: str = "", ns: str = ""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(
                    p.url_patterns, prefix + str(p.pattern), ns + (f"{p.namespace}:" if p.namespace else "")
                )
            elif isinstance(p, URLPattern):
                yield Route(ns + (p.name or f"<unnamed {prefix}{p.pattern}>"), prefix + str(p.pattern))

    return list(walk(get_resolver().url_patterns))


def page_routes() -> list[Route]:
    return [r for r in all_routes() if not r.pattern.startswith(ADMIN_PREFIX)]


# --- the world ----------------------------------------------------------------------------------------


def build_world(demo):
    """The objects every cell targets (own and foreign), who may see each, and the clients."""
    from awards.auto import auto_batch_from_match
    from enterprises.services import dishonesty_entry_create

    app_sc = make_under_review(demo, "ent_a")  # 上城区, district_review
    app_xh = make_under_review(demo, "ent_b", retail="100")  # 西湖区, district_review
    award = make_award(demo, "ent_c", retail="3100000000")  # 上城区, claimable
    city_list = CityList.objects.get(applications__award=award)
    entry = dishonesty_entry_create(
        enterprise_id=demo.enterprises["ent_b"].pk, reason="统计违法", source="市统计局", actor=None
    )
    notification = Notification.objects.create(
        user=demo.users["ent_a"], kind="test", title="安全测试通知", link=f"/applications/{app_sc.pk}/"
    )
    item = PolicyItem.objects.exclude(pk=demo.p14_round.item_id).order_by("pk").first()
    PolicyItem.objects.filter(pk=item.pk).update(mode=PolicyItem.Mode.AUTO)
    batch = auto_batch_from_match(actor=demo.users["policy_admin"], item_id=item.pk, year=2024)
    viewers = {
        ("app", app_sc.pk): {"ent_a", "rev_shangcheng", "tax_shangcheng", "policy_admin", "auditor"},
        ("app", app_xh.pk): {"ent_b", "rev_xihu", "tax_xihu", "policy_admin", "auditor"},
        ("award", award.pk): {"ent_c", "rev_shangcheng", "fund_shangcheng", "city_approver", "policy_admin", "auditor"},
        ("city_list", city_list.pk): {"rev_shangcheng", "fund_shangcheng", "city_approver", "policy_admin", "auditor"},
    }
    material = Material.objects.filter(application=app_sc).first()
    xh_material = Material.objects.filter(application=app_xh).first()
    targets = {
        "app": [("app", app_sc.pk), ("app", app_xh.pk)],
        "award": [("award", award.pk)],
        "city_list": [("city_list", city_list.pk)],
        "material": [("material", material.pk), ("material", xh_material.pk)],
        "notification": [("notification", notification.pk)],
        "entry": [("entry", entry.pk)],
        "batch": [("batch", batch.pk)],
        "round": [("round", demo.p14_round.pk)],
        "item": [("item", demo.p14_round.item_id)],
        "reset": [("reset", 0)],
    }
    viewers[("material", material.pk)] = viewers[("app", app_sc.pk)]
    viewers[("material", xh_material.pk)] = viewers[("app", app_xh.pk)]
    viewers[("notification", notification.pk)] = {"ent_a"}
    return {
        "demo": demo,
        "targets": targets,
        "viewers": viewers,
        "apps": (app_sc, app_xh),
        "award": award,
        "clients": Clients(demo),
    }


def fill(pattern: str, kind: str | None, target_id: int | None, world) -> str:
    """The concrete path of a pattern for one target."""
    path = "/" + pattern
    if kind == "material":
        material = Material.objects.get(pk=target_id)
        path = path.replace("<int:application_id>", str(material.application_id))
        path = path.replace("<int:material_id>", str(target_id))
    if kind == "reset":
        path = path.replace("<uidb64>", "MQ").replace("<token>", "set-password")
    for placeholder in (
        "<int:application_id>",
        "<int:award_id>",
        "<int:city_list_id>",
        "<int:round_id>",
        "<int:item_id>",
        "<int:policy_id>",
        "<int:notification_id>",
        "<int:entry_id>",
        "<int:batch_id>",
    ):
        path = path.replace(placeholder, str(target_id))
    assert "<" not in path, path
    return path


IGNORED_TABLES = {"django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}


def fingerprint() -> Any:
    """What a request wrote. On PostgreSQL: rows inserted/updated/deleted per table so far in
    this transaction (pg_stat_xact_user_tables, one cheap query; savepoint rollbacks do not
    reset it, so the value before and after each request is compared). Elsewhere: a hash of
    the rows a request could change."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables "
                "WHERE n_tup_ins + n_tup_upd + n_tup_del > 0"
            )
            return {t: n for t, n in cursor.fetchall() if t not in IGNORED_TABLES}
    from django.contrib.auth import get_user_model

    from awards.models import AutoGrantBatch

    parts: list[Any] = [
        list(Application.objects.order_by("pk").values_list("pk", "state", "amount", "declared", "updated_at")),
        list(Award.objects.order_by("pk").values_list("pk", "state", "payment_reference", "updated_at")),
        list(Round.objects.order_by("pk").values_list("pk", "opens_at", "closes_at", "published", "updated_at")),
        list(PolicyItem.objects.order_by("pk").values_list("pk", "mode", "updated_at")),
        list(Enterprise.objects.order_by("pk").values_list("pk", "updated_at")),
        list(DishonestyEntry.objects.order_by("pk").values_list("pk", "ended_at")),
        list(CityList.objects.order_by("pk").values_list("pk", "submitted_at", "updated_at")),
        [m.objects.count() for m in (ApplicationEvent, AwardEvent, Opinion, Material, EnterpriseChange)],
        Notification.objects.aggregate(n=Count("pk"), read=Count("read_at")),
        list(AutoGrantBatch.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        get_user_model().objects.aggregate(
            n=Count("pk"), active=Count("pk", filter=Q(is_active=True)), pw=Max("password")
        ),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def written(before: Any, after: Any) -> list[str]:
    if isinstance(before, dict):
        return sorted(t for t in after if after[t] != before.get(t))
    return ["?"] if before != after else []


class Clients:
    """One signed-in test client per role, reused; cookies restored after every request (a
    logout or password change inside a rolled-back savepoint must not leak into the next cell)."""

    def __init__(self, demo) -> None:
        self.demo, self.clients = demo, {}

    def get(self, role: str | None, *, csrf: bool = False) -> Client:
        key = (role, csrf)
        if key not in self.clients:
            client = Client(enforce_csrf_checks=csrf)
            if role:
                client.force_login(self.demo.users[role])
            self.clients[key] = client
        return self.clients[key]


def body(data: dict) -> dict:
    return {k: (pdf() if v == "<pdf>" else v) for k, v in data.items()}


def request_cell(world, role: str | None, method: str, path: str, data: dict, *, csrf: bool = False):
    """(status, Location, tables written) of one request inside a rolled-back savepoint."""
    client = world["clients"].get(role, csrf=csrf)
    cookies = client.cookies
    client.cookies = type(cookies)(cookies)  # a copy: restored below
    try:
        with transaction.atomic():
            before = fingerprint()
            response = client.get(path) if method == "GET" else client.post(path, body(data))
            changes = written(before, fingerprint()) if response.status_code < 500 else []
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies
    return response.status_code, response.get("Location", ""), changes

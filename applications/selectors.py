"""Reads of applications: who sees which cases, and the one access choke-point.

`application_queryset_for(user)` scopes every list; `access_application_by_id` is the only way a
view, API or file download gets one case. Both answer "not found" alike for a case that does
not exist and one the user may not see (SPEC §9: 404, not 403).
"""

import functools
from typing import Any

from django.db import connections, router
from django.db.models import Q, QuerySet

from accounts.models import Role, User
from common.errors import NotFound
from common.pgbackend import statement_cursor
from common.sql import column
from policies.models import PolicyItem

from .models import Application, ApplicationEvent
from .workflow import State

CITY_STATES = (State.CITY_REVIEW, State.APPROVED, State.CITY_REJECTED)


def _items_reviewed_by(function: str) -> list[int]:
    # review_departments is a short JSON list on ~200 rows; filtering in Python keeps the query
    # portable (SQLite has no JSON containment) and is cheap.
    return [pk for pk, deps in PolicyItem.objects.values_list("id", "review_departments") if function in (deps or [])]


def application_queryset_for(user: User) -> QuerySet[Application]:
    """All applications `user` may see. Unknown roles and inactive users see nothing."""
    qs = Application.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    role = user.role
    org = user.organisation
    if role == Role.ENTERPRISE:
        return qs.filter(enterprise_id=user.enterprise_id) if user.enterprise_id else qs.none()
    if role in (Role.AUDITOR, Role.POLICY_ADMIN):
        return qs
    if org is None:
        return qs.none()
    if role in (Role.DISTRICT_REVIEWER, Role.FUND_OFFICER) and org.district_id is None:
        return qs.none()
    if role == Role.DISTRICT_REVIEWER:
        return qs.filter(
            district_id=int(org.district_id or 0), item__bureau_function__in=org.handled_functions
        ).exclude(state=State.DRAFT)
    if role == Role.FUND_OFFICER:
        return qs.filter(district_id=int(org.district_id or 0), state=State.APPROVED)
    if role == Role.CO_REVIEWER:
        scoped = qs.filter(item_id__in=_items_reviewed_by(org.function)).exclude(
            state__in=(State.DRAFT, State.SUBMITTED, State.WITHDRAWN, State.EXPIRED)
        )
        return scoped.filter(district_id=org.district_id) if org.district_id else scoped
    if role == Role.CITY_APPROVER:
        return qs.filter(item__bureau_function__in=org.handled_functions).filter(
            Q(state__in=CITY_STATES) | Q(city_list__isnull=False)
        )
    return qs.none()


CASE_RELATED = ("round", "item", "item__document", "enterprise", "district")


def access_application_by_id(
    *,
    user: User,
    application_id: Any,
    for_update: bool = False,
    related: tuple[str, ...] = CASE_RELATED,
    only: tuple[str, ...] = (),
) -> Application:
    """The case with this id if `user` may see it; otherwise NotFound (same answer for both).

    `related`: the rows read with it (default: everything a case page shows, including the
    policy document and its full text); `only`: the columns read (default: all). A hot write
    that needs less names less, e.g. an upload reads the case's state and owner and the policy
    item's material list. Anything else is still reachable, with a query of its own."""
    try:
        pk = int(application_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    qs = application_queryset_for(user).select_related(*related)
    if only:
        qs = qs.only(*only)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    application = qs.filter(pk=pk).first()
    if application is None:
        raise NotFound()
    return application


# --- the upload's own read (issue #9, P5) ------------------------------------------------------


@functools.cache
def _upload_sql(vendor_locks: bool) -> str:
    """The statement of access_application_for_upload, written once per process from the models'
    own table and column names."""
    app, item = Application._meta, PolicyItem._meta
    a = {f: column(Application, f) for f in ("id", "state", "enterprise", "district", "item")}
    return (
        f'SELECT a."{a["id"]}", a."{a["state"]}", a."{a["enterprise"]}", a."{a["district"]}", '
        f'a."{a["item"]}", i."{column(PolicyItem, "materials")}" '
        f'FROM "{app.db_table}" a INNER JOIN "{item.db_table}" i ON i."{item.pk.column}" = a."{a["item"]}" '
        f'WHERE a."{a["id"]}" = %s AND a."{a["enterprise"]}" = %s' + (" FOR UPDATE OF a" if vendor_locks else "")
    )


def _from_row(model: Any, db: str, loaded: dict[str, Any]) -> Any:
    """An instance with only `loaded` read (the rest deferred), as `.only()` gives: from_db takes
    the values in the model's field order."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in loaded]
    return model.from_db(db, names, [loaded[n] for n in names])


def access_application_for_upload(*, user: User, application_id: Any) -> Application:
    """`access_application_by_id(for_update=True, related=("item",), only=("id", "state",
    "enterprise_id", "district_id", "item_id", "item__materials"))`, the same answer (NotFound for
    a missing case and for one not the user's), for the upload of a material: the last day's
    burst is made of these requests, and the ORM's compiling of that query cost more than the
    database's answer (≈ 0.4 ms of the 8 ms upload).

    An active enterprise user's case is read by one fixed statement (the case row locked, its
    policy item's material list joined), which is exactly application_queryset_for's scope for
    that role (`enterprise_id` = the user's); any other user goes through access_application_by_id
    itself. tests/perf/test_upload_path.py holds the two to the same answers. Call inside a
    transaction (the lock lasts until it ends)."""
    if not (user.is_authenticated and user.is_active and user.role == Role.ENTERPRISE and user.enterprise_id):
        return access_application_by_id(
            user=user,
            application_id=application_id,
            for_update=True,
            related=("item",),
            only=("id", "state", "enterprise_id", "district_id", "item_id", "item__id", "item__materials"),
        )
    try:
        pk = int(application_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    db = router.db_for_write(Application)
    connection = connections[db]
    with statement_cursor(connection) as cursor:
        cursor.execute(_upload_sql(connection.features.has_select_for_update), [pk, int(user.enterprise_id)])
        row = cursor.fetchone()
    if row is None:
        raise NotFound()
    materials = PolicyItem._meta.get_field("materials").from_db_value(row[5], None, connection)  # type: ignore[union-attr, arg-type]
    application = _from_row(
        Application, db, dict(zip(("id", "state", "enterprise_id", "district_id", "item_id"), row[:5], strict=True))
    )
    item = _from_row(PolicyItem, db, {"id": row[4], "materials": materials})
    Application._meta.get_field("item").set_cached_value(application, item)  # type: ignore[union-attr]
    return application


def application_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[Application]:
    """Scoped list for pages and the API, with the joins a list row needs."""
    filters = filters or {}
    qs = application_queryset_for(user).select_related("enterprise", "round", "item", "district")
    if filters.get("state"):
        qs = qs.filter(state=filters["state"])
    if filters.get("round"):
        qs = qs.filter(round_id=filters["round"])
    if filters.get("district"):
        qs = qs.filter(district_id=filters["district"])
    if filters.get("policy"):
        qs = qs.filter(item_id=filters["policy"])
    return qs.order_by("-id")


def application_history(*, application: Application) -> QuerySet[ApplicationEvent]:
    return application.events.select_related("actor").order_by("at", "id")

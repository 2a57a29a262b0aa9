"""P6: query counts of the review queue and case page, small vs large scope. Bound as Bench.p6."""

from typing import Any

from bench.core import Row, _table_of, _templates


def p6(self) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Role, User
    from applications.selectors import application_list

    reviewers = sorted(
        (u for u in User.objects.filter(role=Role.DISTRICT_REVIEWER, is_active=True).select_related("organisation")),
        key=lambda u: application_list(user=u).count(),
    )
    reviewers = [u for u in reviewers if application_list(user=u).exists()]
    if len(reviewers) < 2:
        self.add(Row("P6", "需要至少两个有案件的属地审核员", ok=None))
        return
    small, large = reviewers[0], reviewers[-1]
    sizes = {u.username: application_list(user=u).count() for u in (small, large)}

    def count(user: Any, url: str) -> tuple[int, list[str]]:
        client = Client()
        client.force_login(user)
        client.get(url)  # warm: session, caches
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        return response.status_code, [q["sql"] for q in ctx.captured_queries]

    def judge(label: str, scenario: str, a: tuple[int, list[str]], b: tuple[int, list[str]], note: str) -> None:
        """Constant: no statement repeated per row (N+1), and the counts differ by at most one
        data-dependent lookup (e.g. the working-day calendar when a page shows a deadline)."""
        (sa, qa), (sb, qb) = a, b
        repeated = {t: n for t, n in _templates(qa + qb).items() if n > 2}
        extra = sorted(set(_templates(qb)) ^ set(_templates(qa)))
        ok = sa == sb == 200 and not repeated and abs(len(qa) - len(qb)) <= 1
        detail = f"HTTP {sa}/{sb}; {note}"
        if extra:
            detail += " differs by: " + "; ".join(_table_of(t) for t in extra) + ";"
        if repeated:
            detail += f" REPEATED: {list(repeated.values())};"
        self.add(
            Row(label, scenario, portal=str(len(qb)), baseline=str(len(qa)), target="constant", ok=ok, note=detail)
        )

    wb = self._workbench_ready()
    url = "/workbench/cases/" if wb else "/api/v1/applications/"
    judge(
        "P6-queue",
        f"{'workbench' if wb else 'API'} {url} queries: {sizes[small.username]} vs "
        f"{sizes[large.username]} cases in scope",
        count(small, url),
        count(large, url),
        f"{small.username} vs {large.username};",
    )
    # the case page: a case with a short history vs one with the longest path
    few = application_list(user=large).filter(state="submitted").order_by("-id").first()
    many = (
        application_list(user=large).filter(state="approved").order_by("-id").first()
        or application_list(user=large).filter(state="city_review").order_by("-id").first()
    )
    if few and many:
        url_of = (lambda a: f"/workbench/cases/{a.pk}/") if wb else (lambda a: f"/api/v1/applications/{a.pk}/")
        events = {a.pk: a.events.count() for a in (few, many)}
        judge(
            "P6-case",
            f"{'workbench' if wb else 'API'} case page queries: {events[few.pk]} vs {events[many.pk]} history rows",
            count(large, url_of(few)),
            count(large, url_of(many)),
            f"{few.state} vs {many.state};",
        )


def _workbench_ready(self) -> bool:
    try:
        from django.urls import reverse

        reverse("workbench:cases")
        reverse("workbench:case", args=[1])
        return True
    except Exception:
        return False


# --- output ---------------------------------------------------------------------------------

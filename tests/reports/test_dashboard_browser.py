"""The dashboard in Chromium: the charts draw under the site's Content-Security-Policy."""

import pytest
from django.conf import settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_draws_its_charts_without_csp_errors(history, client, live_server, page, screenshot_dir):
    client.force_login(history.users["auditor"])
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])
    problems: list[str] = []
    # CSP violations and script errors show on the console; failed loads are checked by URL
    # (the site has no favicon yet, which is not this page's business).
    page.on(
        "console", lambda m: problems.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(reduced_motion="reduce")  # charts drawn at once, as reduced-motion users see them
    page.goto(f"{live_server.url}/reports/")
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length === 6")
    assert page.locator("h1").inner_text() == "统计报表"
    drawn = page.evaluate(
        "() => Object.values(window.Chart.instances).map(c => [c.canvas.dataset.chart, c.data.datasets[0].data.length])"
    )
    assert sorted(drawn) == [
        ["amounts", 5],
        ["budget", 2],
        ["districts", 2],
        ["monthly", 3],
        ["stages", 4],
        ["states", 11],
    ]
    assert problems == []
    page.screenshot(path=str(screenshot_dir / "reports-dashboard.png"), full_page=True)

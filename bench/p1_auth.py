"""P1: an authenticated DRF GET vs the bare Django view (L1). Bound as Bench.p1 in bench/run.py."""

import json


def p1(self) -> None:
    from bench.handlers import bare_handler, call, portal_handler, raw_app
    from bench.stats import interleave

    token = self.token_for(self.reviewer().username)
    portal, bare = portal_handler(), bare_handler()
    headers = {"Authorization": f"Token {token}"}
    status, body = call(portal, "GET", "/__bench/static/", headers=headers)
    assert status == 200, (status, body[:300])
    status, bare_body = call(bare, "GET", "/__bare/static/")
    assert status == 200 and json.loads(body) == json.loads(bare_body), (status, body, bare_body)
    samples = interleave(
        lambda: call(portal, "GET", "/__bench/static/", headers=headers),
        lambda: call(bare, "GET", "/__bare/static/"),
        reps=self.args.pairs,
        per_rep=self.args.requests,
        warmup=20,
    )
    self.ratio_row(
        "P1",
        "DRF GET static dict, token, full middleware vs bare view (L1)",
        samples,
        3.0,
        note="in-process WSGIHandler;",
    )
    anon = interleave(
        lambda: call(portal, "GET", "/__bench/static-anon/"),
        lambda: call(bare, "GET", "/__bare/static/"),
        reps=self.args.pairs,
        per_rep=self.args.requests,
        warmup=20,
    )
    self.ratio_row(
        "P1-anon", "same DRF view without authentication vs L1 (no DB)", anon, None, note="middleware + DRF only;"
    )
    floor = interleave(
        lambda: call(bare, "GET", "/__bare/static/"),
        lambda: call(raw_app, "GET", "/__raw/"),
        reps=self.args.pairs,
        per_rep=self.args.requests,
        warmup=20,
    )
    self.ratio_row("P1-L1/L0", "bare Django view (L1) vs raw WSGI callable (L0)", floor, None)


# --- P2 -------------------------------------------------------------------------------------

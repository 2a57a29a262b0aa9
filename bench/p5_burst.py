"""P5: a burst of enterprises filing 1 MB PDFs through gunicorn vs a stub. Bound as Bench.p5."""

from bench.core import Row


def p5(self) -> None:
    from bench import burst
    from bench.stats import Samples, fmt_seconds, percentile

    result = burst.run(
        enterprises=self.args.burst,
        groups=self.args.burst_groups,
        concurrency=self.args.concurrency,
        workers=2,
        pdf_size=1024 * 1024,
        pin=self.args.pin,
        http_reps=self.args.requests // 2 or 50,
    )
    lat, srv = result["latencies"], result["server"]
    samples = Samples(a=[srv.get("upload", [])], b=[srv.get("stub", [])])
    client = Samples(a=[lat.get("upload", [])], b=[lat.get("stub", [])])
    db = result["db"]
    errors = result["errors"]
    clean = (
        not errors
        and db["duplicates"] == 0
        and db["applications"] == db["expected"] == db["submitted"]
        and db.get("unscanned", 0) == 0
    )
    waits = result.get("scan_wait_s") or []
    ratio = samples.ratio() if srv.get("upload") and srv.get("stub") else float("nan")
    note = (
        f"worker time; {db['expected']} enterprises × {len(result['kinds'])} PDFs of 1 MB ({result['item']}), "
        f"{result['concurrency']} clients, gunicorn 2 sync workers; errors {len(errors)}, "
        f"duplicates {db['duplicates']}, submitted {db['submitted']}/{db['expected']}, "
        f"wall {result['wall_s']:.0f} s; scan enqueued per upload, scanned by a Celery worker "
        f"(unscanned {db.get('unscanned', 0)}, wait before submit p50 {fmt_seconds(percentile(waits, 50))});"
    )
    self.add(
        Row(
            "P5",
            "upload 1 MB PDF via API (gunicorn) vs stub storing the body",
            portal=fmt_seconds(samples.p("a", 50)),
            baseline=fmt_seconds(samples.p("b", 50)),
            ratio=ratio,
            target="≤ 1.5, 0 err, 0 dup",
            ok=(ratio <= 1.5 and clean),
            note=note,
            extra={k: v for k, v in result.items() if k != "latencies"},
        )
    )
    if srv.get("upload-raw") and srv.get("stub-raw"):
        raw = Samples(a=[srv["upload-raw"]], b=[srv["stub-raw"]])
        self.add(
            Row(
                "P5-raw",
                "the same with the file as the request body (no multipart) vs the stub given that body",
                portal=fmt_seconds(raw.p("a", 50)),
                baseline=fmt_seconds(raw.p("b", 50)),
                ratio=raw.ratio(),
                target="≤ 1.5",
                ok=raw.ratio() <= 1.5 and clean,
                note=f"worker time; {len(srv['upload-raw'])} uploads; p99 {fmt_seconds(raw.p('a', 99))} vs "
                f"{fmt_seconds(raw.p('b', 99))};",
            )
        )
    # Where the budget goes: stub → the target's own work on bare parts (floor) → the same work
    # behind the portal's middleware, authentication and DRF (stack) → the upload itself.
    for suffix in ("", "-raw"):
        body = "multipart" if not suffix else "raw body"
        up, stub = srv.get("upload" + suffix), srv.get("stub" + suffix)
        floor, stack = srv.get("floor" + suffix), srv.get("stack" + suffix)
        steps = [
            ("P5-floor", "the target's own work (magic, SHA-256, 1 row, enqueue) on bare parts vs stub", floor, stub),
            ("P5-stack", "that work behind the portal's middleware, token auth and DRF vs the stub", stack, stub),
            ("P5-domain", "the upload vs that (its access, quota, version, transaction, Celery)", up, stack),
        ]
        for row_id, text, a_side, b_side in steps:
            if a_side and b_side:
                step = Samples(a=[a_side], b=[b_side])
                self.add(
                    Row(
                        row_id + suffix,
                        f"{text}, {body}",
                        portal=fmt_seconds(step.p("a", 50)),
                        baseline=fmt_seconds(step.p("b", 50)),
                        ratio=step.ratio(),
                        ok=None,
                        note=f"worker time; floor rows {result.get('floor_rows', 0)};" if row_id == "P5-floor" else "",
                    )
                )
    self.add(
        Row(
            "P5-p99",
            "the same, p99 (worker time)",
            portal=fmt_seconds(samples.p("a", 99)),
            baseline=fmt_seconds(samples.p("b", 99)),
            ratio=samples.ratio(99),
            ok=None,
        )
    )
    self.add(
        Row(
            "P5-client",
            "the same seen by the client (incl. queueing), p50",
            portal=fmt_seconds(client.p("a", 50)),
            baseline=fmt_seconds(client.p("b", 50)),
            ratio=client.ratio(),
            ok=None,
            note=f"p99 {fmt_seconds(client.p('a', 99))} vs {fmt_seconds(client.p('b', 99))};",
        )
    )
    for kind in ("create", "submit"):
        if srv.get(kind):
            self.add(
                Row(
                    f"P5-{kind}",
                    f"{kind} request, worker time p50 (same burst)",
                    portal=fmt_seconds(percentile(srv[kind], 50)),
                    note=f"p99 {fmt_seconds(percentile(srv[kind], 99))}; client p50 "
                    f"{fmt_seconds(percentile(lat.get(kind, []), 50))};",
                )
            )
    if errors:
        print("   first errors:", *errors[:5], sep="\n   ")
    http = result["http_p1"]
    if http.get("portal") and http.get("L1") and http.get("L0"):
        s = Samples(a=[http["portal"]], b=[http["L1"]])
        self.ratio_row("P1-http", "P1 over HTTP (gunicorn): DRF static vs bare view", s, None)
        s = Samples(a=[http["L1"]], b=[http["L0"]])
        self.ratio_row("L1/L0-http", "bare Django view vs raw WSGI over HTTP", s, None)


# --- P6 -------------------------------------------------------------------------------------

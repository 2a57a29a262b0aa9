"""R12 PostgreSQL restarted under load (`pg_ctl restart -m fast`): requests fail only while the
server is down, and no transition is left half done. Needs the cluster of the test database:
scripts/services.sh exports PG_DATA_DIR and PGBIN (make test does); skipped without them."""

import itertools
import os
import shlex
import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import close_old_connections, connection, connections
from django.test import Client
from django.utils import timezone

from awards.models import Award, AwardEvent
from policies.models import PolicyItem
from security.models import AuditLog

from ..conftest import require_postgres

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
N = 300
GRACE = 5.0  # seconds after the restart in which errors are still acceptable (R12)


def cluster() -> tuple[str, str]:
    data, pgbin = os.environ.get("PG_DATA_DIR"), os.environ.get("PGBIN")
    if not data or not pgbin:
        pytest.skip("需要 PG_DATA_DIR 和 PGBIN（scripts/services.sh start 输出；make test 会设置）才能重启 PostgreSQL")
    pid_file = Path(data) / "postmaster.pid"
    if not pid_file.exists():
        pytest.skip(f"{data} 下没有运行中的 PostgreSQL（无 postmaster.pid）")
    port = pid_file.read_text().splitlines()[3].strip()
    if str(connection.settings_dict["PORT"]) != port:
        pytest.skip(
            f"测试数据库（端口 {connection.settings_dict['PORT']}）不在 PG_DATA_DIR 的集群（端口 {port}）上，不重启"
        )
    return data, pgbin


def pg_ctl(data: str, pgbin: str, *args: str) -> None:
    command = [f"{pgbin}/pg_ctl", "-D", data, *args]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def restart(data: str, pgbin: str, *, down_for: float = 1.0) -> tuple[float, float]:
    """`pg_ctl stop -m fast`, `down_for` seconds of outage, `pg_ctl start` with the server's own
    options (postmaster.opts), waiting until it accepts connections. (began, up) monotonic."""
    words = shlex.split((Path(data) / "postmaster.opts").read_text())[1:]
    options = [w for i, w in enumerate(words) if w != "-D" and (i == 0 or words[i - 1] != "-D")]
    began = time.monotonic()
    pg_ctl(data, pgbin, "-m", "fast", "-w", "-t", "60", "stop")
    time.sleep(down_for)
    pg_ctl(data, pgbin, "-w", "-t", "60", "-l", str(Path(data).parent / "log"), "-o", shlex.join(options), "start")
    return began, time.monotonic()


def test_postgres_restart_under_claims_errors_only_during_the_outage_and_no_half_transition(demo_tx):
    require_postgres()
    data, pgbin = cluster()
    ent = demo_tx.enterprises["ent_a"]
    items = list(PolicyItem.objects.order_by("pk").values_list("pk", flat=True))
    Award.objects.bulk_create(
        Award(
            enterprise=ent,
            item_id=items[i % len(items)],
            district_id=ent.district_id,
            source=Award.Source.AUTO,
            year=2025 + i // len(items),
            amount=Decimal("100.00"),
            city_share=Decimal("50.00"),
            district_share=Decimal("50.00"),
            claim_deadline=timezone.now() + timedelta(days=1),
        )
        for i in range(N)
    )
    ids = list(Award.objects.filter(enterprise=ent, year__gte=2025).order_by("pk").values_list("pk", flat=True))
    assert len(ids) == N
    log: list[tuple[float, float, int, int]] = []  # (start, end, award, status)
    started, stop = threading.Event(), threading.Event()

    def load() -> None:
        """Claims one award after another, then claims them again (idempotent: 200) until told
        to stop, so requests keep coming before, during and after the outage."""
        client = Client(raise_request_exception=False)
        client.force_login(demo_tx.users["ent_a"])
        try:
            for n, pk in enumerate(itertools.chain(ids, itertools.cycle(ids))):
                if stop.is_set() and n >= len(ids):
                    break
                t0 = time.monotonic()
                close_old_connections()  # what the WSGI handler does at each request start
                try:
                    status = client.post(
                        f"/api/v1/awards/{pk}/claim/", {"commitment_signed": True}, content_type="application/json"
                    ).status_code
                except Exception:  # the test client itself hit the dead connection
                    status = 599
                log.append((t0, time.monotonic(), pk, status))
                started.set()
                time.sleep(0.01)
        finally:
            connection.close()

    worker = threading.Thread(target=load)
    worker.start()
    started.wait(30)
    time.sleep(0.5)
    down, up = restart(data, pgbin)
    time.sleep(GRACE + 2.0)
    stop.set()
    worker.join(timeout=300)
    connections.close_all()  # this thread's connection died with the old server

    failed = [entry for entry in log if entry[3] >= 500]
    outside = [e for e in failed if not (down - 0.1 <= e[1] and e[0] <= up + GRACE)]
    timeline = (
        f"{len(log)} claims from {log[0][0] - down:+.2f} s to {log[-1][1] - down:+.2f} s, outage 0 to {up - down:.2f} s"
    )
    assert failed, f"the restart interrupted no request: {timeline}"
    assert not outside, f"errors outside the outage window: {outside[:5]}"
    after = [e for e in log if e[0] > up + GRACE]
    assert after and all(e[3] == 200 for e in after)
    retry = Client()
    retry.force_login(demo_tx.users["ent_a"])
    for _, _, pk, _ in failed:  # the failed claims simply work now (nothing stuck, no lock left)
        again = retry.post(f"/api/v1/awards/{pk}/claim/", {"commitment_signed": True}, content_type="application/json")
        assert again.status_code == 200, again.content
    states = Counter(Award.objects.filter(pk__in=ids).values_list("state", flat=True))
    assert states == Counter({"claimed": N}), states
    events = Counter(AwardEvent.objects.filter(award_id__in=ids, action="claim").values_list("award_id", flat=True))
    assert len(events) == N and set(events.values()) == {1}, "exactly one history row per claimed award"
    audits = Counter(
        r.row_id
        for r in AuditLog.objects.filter(table_name="awards_award", row_id__in=ids, op="UPDATE")
        if r.new.get("state") == "claimed"
    )
    assert len(audits) == N and set(audits.values()) == {1}
    assert all(a.claimed_at is not None for a in Award.objects.filter(pk__in=ids))
    last_error = max(e[1] for e in failed) - up
    print(
        f"R12 outage (stop, 1 s, start) {up - down:.2f} s; {len(log)} claim requests, "
        f"{len(failed)} failed inside the outage (last {last_error:+.2f} s after it), 0 outside; "
        f"all {N} claimed exactly once after retry"
    )

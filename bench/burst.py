"""P5: the last-day burst. Simulated enterprises file through the real API served by gunicorn
(config/gunicorn.py, 2 sync workers, bench.wsgi) on 127.0.0.1, against a stub that only streams
the upload to disk and answers 201, in the same server, interleaved.

Each simulated enterprise (a generated `load_u*` user with an API token) does what the portal's
client does: POST /api/v1/applications/ (draft) → one 1 MB PDF per required material
(POST …/materials/) → POST …/submit/. Every upload enqueues its antivirus scan (R14) on the
broker; a real Celery worker (`ScanWorker`, one solo process, bench.settings) scans the files
off the request, and the flow waits until its files are scanned before it submits (an
unscanned file blocks submission). Every other enterprise sends each file as a multipart
form (the portal's form), the others as the request body itself (`?kind=`, Content-Disposition:
no multipart parsing). Each upload (A) is followed, by the same client, by the same body sent
to /__bare/upload/ (B), so both sides meet the same load of the burst (the other clients, the
scan worker, PostgreSQL): A B A B … request by request (RELIABILITY B4). After B comes C, the
same body to /__bare/upload-checked/: the work the P5 target counts in the upload (magic check,
SHA-256, one row, a scan enqueued) on the bare parts, the floor of that work (`P5-floor`); then
D, the same work behind the portal's middleware, token authentication and DRF, by the same
enterprise (/api/__bench/upload-floor/, `P5-stack`). bench/wsgi.py files the timings as
upload/stub/floor/stack and the same with -raw. The enterprises run in `groups` (a progress and
timing unit).

The data set-up, the checks and the clean-up are in bench/burst_data.py. Afterwards the
database is checked (every flow gave exactly one submitted application, no
enterprise has two) and the burst's applications, materials, history and files are removed, so
the next run starts clean. Also measured while the server is up: L0 (raw WSGI), L1 (bare Django)
and the authenticated DRF static view over HTTP (P1's HTTP variant).
"""

import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perf.maintenance import audit_mark, drop_audit_after

from .burst_data import (
    burst_users,
    check_database,
    cleanup,
    floor_scratch,
    prepare_round,
    wait_scanned,
)

ROOT = Path(__file__).resolve().parent.parent


def make_pdf(size: int, seed: int = 42) -> bytes:
    """A well-formed one-page PDF of about `size` bytes (the padding is a binary stream object)."""
    rng = random.Random(seed)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
    ]
    padding = rng.randbytes(max(0, size - 600))
    objects.append(b"<< /Length %d >>\nstream\n" % len(padding) + padding + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def multipart(fields: dict[str, str], file_field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = "----bench" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
    )
    parts.append(content)
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.requests += 1

    def error(self, text: str) -> None:
        with self.lock:
            self.requests += 1
            self.errors.append(text)


class Client:
    def __init__(self, port: int, tally: Tally) -> None:
        self.port, self.tally = port, tally

    def request(
        self, kind: str, method: str, path: str, *, body: bytes = b"", headers: dict[str, str], expect: int
    ) -> dict[str, Any] | None:
        t0 = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            conn.request(method, path, body=body, headers={**headers, "Content-Length": str(len(body))})
            response = conn.getresponse()
            data = response.read()
            conn.close()
        except OSError as exc:
            self.tally.error(f"{kind} {path}: {exc!r}")
            return None
        elapsed = time.perf_counter() - t0
        if response.status != expect:
            self.tally.error(f"{kind} {path}: HTTP {response.status} {data[:200].decode(errors='replace')}")
            return None
        self.tally.add(kind, elapsed)
        return json.loads(data) if data else {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn bench.wsgi:application -c config/gunicorn.py with `workers` sync workers."""

    def __init__(self, *, workers: int, media_root: str, pin: bool) -> None:
        self.port = _free_port()
        self.timings = Path(tempfile.gettempdir()) / f"bench-timings-{self.port}"
        self.log_path = Path(tempfile.gettempdir()) / f"bench-gunicorn-{self.port}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "BENCH_MEDIA_ROOT": media_root,
            "BENCH_TIMINGS": str(self.timings),
            "LOG_LEVEL": "warning",
            "PYTHONPATH": str(ROOT),
        }
        cmd = [str(Path(sys.executable).with_name("gunicorn")), "bench.wsgi:application", "-c", "config/gunicorn.py"]
        if pin and shutil.which("taskset"):
            cmd = ["taskset", "-c", "0", *cmd]
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn 启动失败，见 {self.log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/__raw/")
                if conn.getresponse().status == 200:
                    # one request per worker so imports and connections are warm
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn 未在 {timeout:.0f} 秒内就绪，见 {self.log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def server_times(self, *, reset: bool = False) -> dict[str, list[float]]:
        """Per-request worker time by kind, from every worker's timing file (read and removed)."""
        out: dict[str, list[float]] = defaultdict(list)
        for path in self.timings.parent.glob(self.timings.name + ".*"):
            if not reset:
                for line in path.read_text().splitlines():
                    kind, seconds = line.split()
                    out[kind].append(float(seconds))
            path.unlink()
        return dict(out)


class ScanWorker:
    """One real Celery worker (solo pool) on the bench settings and the server's media root: it
    runs the scan tasks the uploads enqueue. Its queue is purged before and after the burst."""

    def __init__(self, *, media_root: str) -> None:
        self.log_path = Path(tempfile.gettempdir()) / f"bench-celery-{os.getpid()}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "BENCH_MEDIA_ROOT": media_root,
            "LOG_LEVEL": "warning",
            "PYTHONPATH": str(ROOT),
        }
        celery = str(Path(sys.executable).with_name("celery"))
        cmd = [celery, "-A", "config", "worker", "-P", "solo", "-l", "warning", "--without-gossip"]
        cmd += ["--without-mingle", "--without-heartbeat", "-n", f"bench-scan-{os.getpid()}@%h"]
        subprocess.run([celery, "-A", "config", "purge", "-f"], cwd=ROOT, env=env, capture_output=True, check=False)
        self.env, self.cmd = env, cmd
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        purge = [self.cmd[0], "-A", "config", "purge", "-f"]
        subprocess.run(purge, cwd=ROOT, env=self.env, capture_output=True, check=False)


# --- the run -------------------------------------------------------------------------------------------


def run(
    *, enterprises: int, groups: int, concurrency: int, workers: int, pdf_size: int, pin: bool, http_reps: int
) -> dict[str, Any]:
    round_ = prepare_round()
    cleanup(round_.pk)
    mark = audit_mark()
    kinds = [m["kind"] for m in round_.item.materials if m.get("required", True)]
    users = burst_users(enterprises, round_.pk)
    pdf = make_pdf(pdf_size)
    media_root = tempfile.mkdtemp(prefix="bench-p5-media-")
    floor_scratch(create=True)
    server = Server(workers=workers, media_root=media_root, pin=pin)
    scanner = ScanWorker(media_root=media_root)
    scan_waits: list[float] = []
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    try:
        server.wait_ready()
        if pin and affinity and len(affinity) > 1 and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, set(sorted(affinity)[1:]))  # the load generator off the server's core
        tally = Tally()
        client = Client(server.port, tally)

        # every other enterprise sends the files themselves as the request bodies
        raw_for = {token: i % 2 == 1 for i, (_, token) in enumerate(users)}

        def flow(enterprise: tuple[int, str]) -> None:
            auth = {"Authorization": f"Token {enterprise[1]}"}
            raw = raw_for[enterprise[1]]
            draft = client.request(
                "create",
                "POST",
                "/api/v1/applications/",
                body=json.dumps({"round": round_.pk}).encode(),
                headers={**auth, "Content-Type": "application/json"},
                expect=201,
            )
            if draft is None:
                return
            for kind in kinds:
                body, headers = upload_body(kind, raw)
                client.request(
                    "upload-raw" if raw else "upload",
                    "POST",
                    f"/api/v1/applications/{draft['id']}/materials/" + (f"?kind={kind}" if raw else ""),
                    body=body,
                    headers={**auth, **headers},
                    expect=201,
                )
                stub((kind, raw))  # B right after A, under the same load
                floor((kind, raw))  # C: the target's own work on the bare parts (P5-floor)
                floor((kind, raw), auth)  # D: the same behind the portal's stack (P5-stack)
            scan_waits.append(wait_scanned(draft["id"]))
            client.request(
                "submit",
                "POST",
                f"/api/v1/applications/{draft['id']}/submit/",
                body=b'{"commitment_signed": true}',
                headers={**auth, "Content-Type": "application/json"},
                expect=200,
            )

        def upload_body(kind: str, raw: bool) -> tuple[bytes, dict[str, str]]:
            if raw:
                disposition = "attachment; filename*=UTF-8''%E6%9D%90%E6%96%99.pdf"
                return pdf, {"Content-Type": "application/pdf", "Content-Disposition": disposition}
            body, ctype = multipart({"kind": kind}, "file", "材料.pdf", pdf)
            return body, {"Content-Type": ctype}

        def stub(job: tuple[str, bool]) -> None:
            body, headers = upload_body(*job)
            client.request(
                "stub-raw" if job[1] else "stub", "POST", "/__bare/upload/", body=body, headers=headers, expect=201
            )

        def floor(job: tuple[str, bool], auth: dict[str, str] | None = None) -> None:
            body, headers = upload_body(*job)
            kind = "stack" if auth else "floor"
            client.request(
                kind + "-raw" if job[1] else kind,
                "POST",
                "/api/__bench/upload-floor/" if auth else "/__bare/upload-checked/",
                body=body,
                headers={**headers, **(auth or {})},
                expect=201,
            )

        # warm-up: every worker imports the views and opens its connection (stub + a GET of the API)
        for i in range(workers * 2):
            stub((kinds[0], i % 2 == 1))
            floor((kinds[0], i % 2 == 1))
            floor((kinds[0], i % 2 == 1), {"Authorization": f"Token {users[0][1]}"})
            client.request(
                "warm",
                "GET",
                "/api/v1/policies/?page_size=1",
                headers={"Authorization": f"Token {users[0][1]}"},
                expect=200,
            )
        tally.latencies.clear()
        tally.requests = 0
        server.server_times(reset=True)
        started = time.perf_counter()
        size = -(-len(users) // groups)
        per_group = []
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for g in range(groups):
                chunk = users[g * size : (g + 1) * size]
                t0 = time.perf_counter()
                list(pool.map(flow, chunk))
                per_group.append({"flows": len(chunk), "wall_s": time.perf_counter() - t0})
        wall = time.perf_counter() - started
        server_side = server.server_times()
        http_p1 = _http_floors(server.port, users[0][1], reps=http_reps)
    finally:
        if affinity and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, affinity)
        server.stop()
        scanner.stop()
    db = check_database(round_.pk, len(users))
    removed = cleanup(round_.pk)
    drop_audit_after(mark)
    floor_rows = floor_scratch(create=False)
    shutil.rmtree(media_root, ignore_errors=True)
    return {
        "latencies": dict(tally.latencies),
        "server": server_side,
        "errors": tally.errors,
        "requests": tally.requests,
        "wall_s": wall,
        "groups": per_group,
        "db": db,
        "removed": removed,
        "kinds": kinds,
        "item": round_.item.code,
        "http_p1": http_p1,
        "server_log": str(server.log_path),
        "scan_log": str(scanner.log_path),
        "scan_wait_s": scan_waits,
        "concurrency": concurrency,
        "workers": workers,
        "pdf_size": len(pdf),
        "floor_rows": floor_rows,
    }


def _http_floors(port: int, token: str, *, reps: int) -> dict[str, list[float]]:
    """L0 raw WSGI, L1 bare Django, and the authenticated DRF static view over HTTP, interleaved."""
    tally = Tally()
    client = Client(port, tally)
    auth = {"Authorization": f"Token {token}"}
    for _ in range(reps):
        client.request("L0", "GET", "/__raw/", headers={}, expect=200)
        client.request("L1", "GET", "/__bare/static/", headers={}, expect=200)
        client.request("portal", "GET", "/__bench/static/", headers=auth, expect=200)
    return {**dict(tally.latencies), "errors": tally.errors}  # type: ignore[dict-item]

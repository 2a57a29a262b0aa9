"""R14 antivirus: an EICAR upload is marked infected (never attachable, never served, blocks
submission with 409 naming the file); a clean PDF is marked clean; a scanner that cannot be
reached (the clamd backend pointed at a closed socket) leaves the file pending and submission
refused — it fails closed, never passes.

Real parts: PostgreSQL (with DATABASE_URL), the Celery task run eagerly (config.settings.test),
the real file storage, the real clamd client speaking INSTREAM to a real (closed or fake) socket.
"""

import socket
import struct
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from applications import services
from applications.models import Material, ScanStatus
from applications.scanning import EICAR, ClamdScanner, ScannerUnavailable, SignatureScanner, get_scanner
from applications.tasks import scan_pending_materials
from tests.workflow.conftest import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(demo):
    return services.application_create(
        actor=demo.users["ent_a"], round_id=demo.p14_round.pk, declared={"retail_sales_2022h2": "3250000000"}
    )


def post_file(demo, app, kind: str, data: bytes, name: str):
    return demo.client("ent_a").post(
        f"/api/v1/applications/{app.pk}/materials/",
        {"kind": kind, "file": SimpleUploadedFile(name, data, content_type="application/pdf")},
        format="multipart",
    )


def upload_all(demo, app, *, bad_kind: str = "", bad_data: bytes = b"") -> dict[str, Material]:
    out = {}
    for m in app.item.materials:
        infected = m["kind"] == bad_kind
        response = post_file(demo, app, m["kind"], bad_data if infected else PDF, f"{m['kind']}.pdf")
        assert response.status_code == 201, response.json()
        out[m["kind"]] = Material.objects.get(pk=response.json()["id"])
    return out


def submit(demo, app):
    return demo.client("ent_a").post(
        f"/api/v1/applications/{app.pk}/submit/", {"commitment_signed": True}, format="json"
    )


EICAR_PDF = b"%PDF-1.4\n" + EICAR + b"\n%%EOF\n"  # sniffed as a PDF: only the scanner can tell


def test_eicar_is_infected_not_attachable_not_served_and_blocks_submission(demo, app):
    kinds = [m["kind"] for m in app.item.materials]
    materials = upload_all(demo, app, bad_kind=kinds[0], bad_data=EICAR_PDF)
    bad = materials[kinds[0]]
    assert bad.scan_status == ScanStatus.INFECTED and bad.scanned_at is not None
    assert bad.scan_detail == "Eicar-Test-Signature"
    assert all(materials[k].scan_status == ScanStatus.CLEAN for k in kinds[1:])

    refused = submit(demo, app)
    assert refused.status_code == 409, refused.json()
    assert refused.json()["code"] == "material_infected"
    assert f"{kinds[0]}.pdf" in refused.json()["detail"] and "病毒" in refused.json()["detail"]
    app.refresh_from_db()
    assert app.state == "draft"

    # never served: not by the API, not by the page link, not inline
    url = f"/api/v1/applications/{app.pk}/materials/{bad.pk}/download/"
    assert demo.client("ent_a").get(url).status_code == 409
    browser = Client()
    browser.force_login(demo.users["ent_a"])
    page_url = f"/applications/{app.pk}/materials/{bad.pk}/download/"
    assert browser.get(page_url).status_code == 409
    assert browser.get(page_url + "?inline=1").status_code == 409
    # never attachable again through the materials library
    library = services.reusable_materials(app)
    assert bad.pk not in [m.pk for found in library.values() for m in found]
    refused_reuse = demo.client("ent_a").post(
        f"/api/v1/applications/{app.pk}/materials/reuse/", {"kind": kinds[0], "source_material": bad.pk}, format="json"
    )
    assert refused_reuse.status_code == 400 and refused_reuse.json()["code"] == "material_infected"

    # a clean new version replaces it and the case can be submitted
    assert post_file(demo, app, kinds[0], PDF, "clean.pdf").status_code == 201
    ok = submit(demo, app)
    assert ok.status_code == 200, ok.json()
    assert ok.json()["state"] == "submitted"


def test_clean_pdf_is_marked_clean_and_submits(demo, app):
    materials = upload_all(demo, app)
    assert {m.scan_status for m in materials.values()} == {ScanStatus.CLEAN}
    assert all(m.scanned_at is not None for m in materials.values())
    file_url = f"/api/v1/applications/{app.pk}/materials/{next(iter(materials.values())).pk}/download/"
    assert demo.client("ent_a").get(file_url).status_code == 200
    assert submit(demo, app).status_code == 200


@pytest.fixture
def closed_socket(tmp_path) -> str:
    """A unix socket path nobody listens on (bound once, then closed: connect is refused)."""
    path = str(tmp_path / "clamd.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.close()
    return path


def test_scanner_unreachable_stays_pending_and_submission_refused(demo, app, closed_socket):
    with override_settings(CLAMD_SOCKET=closed_socket):
        assert isinstance(get_scanner(), ClamdScanner)
        with pytest.raises(ScannerUnavailable):
            get_scanner().scan(_stream(PDF))
        materials = upload_all(demo, app)
        assert {m.scan_status for m in materials.values()} == {ScanStatus.PENDING}
        refused = submit(demo, app)
        assert refused.status_code == 409, refused.json()
        assert refused.json()["code"] == "material_unscanned"
        assert "扫描" in refused.json()["detail"]
        # the sweep retries while the scanner is still down: nothing passes
        assert scan_pending_materials(older_than_seconds=0) == 0
        assert submit(demo, app).status_code == 409
    # the scanner is back (no clamd configured: the built-in signatures): the sweep finishes
    assert scan_pending_materials(older_than_seconds=0) == len(materials)
    assert submit(demo, app).status_code == 200


class FakeClamd:
    """A clamd stand-in speaking the INSTREAM protocol on a unix socket: it answers FOUND when
    the stream contains EICAR, OK otherwise (checks our client's framing, not ClamAV itself)."""

    def __init__(self, path: str) -> None:
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(4)
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                command = b""
                while not command.endswith(b"\0"):
                    command += conn.recv(1)
                data = b""
                while True:
                    (length,) = struct.unpack("!L", self._exact(conn, 4))
                    if length == 0:
                        break
                    data += self._exact(conn, length)
                self.received.append(command + data)
                conn.sendall(b"stream: Eicar-Test-Signature FOUND\0" if EICAR in data else b"stream: OK\0")

    @staticmethod
    def _exact(conn: socket.socket, n: int) -> bytes:
        out = b""
        while len(out) < n:
            part = conn.recv(n - len(out))
            if not part:
                raise OSError("closed")
            out += part
        return out

    def close(self) -> None:
        self.server.close()


def test_clamd_backend_speaks_instream(tmp_path: Path):
    fake = FakeClamd(str(tmp_path / "clamd.sock"))
    try:
        scanner = ClamdScanner(unix_socket=str(tmp_path / "clamd.sock"), timeout=5)
        big_clean = b"%PDF-1.4\n" + b"x" * (200 * 1024)  # several INSTREAM chunks
        assert scanner.scan(_stream(big_clean)).status == "clean"
        infected = scanner.scan(_stream(b"%PDF-1.4\n" + b"y" * 70000 + EICAR))
        assert (infected.status, infected.detail) == ("infected", "Eicar-Test-Signature")
        assert fake.received[0] == b"zINSTREAM\0" + big_clean
    finally:
        fake.close()


def test_builtin_signatures_find_eicar_across_chunk_boundaries():
    scanner = SignatureScanner()
    for offset in (0, 64 * 1024 - 10, 3 * 64 * 1024 - 1):
        data = b"%PDF-1.4\n" + b"z" * offset + EICAR + b"tail"
        assert scanner.scan(_stream(data)).status == "infected", offset
    assert scanner.scan(_stream(PDF)).status == "clean"


def _stream(data: bytes):
    import io

    return io.BytesIO(data)


def test_portal_upload_step_shows_scanning_and_failed_files(demo, app, closed_socket):
    kinds = [m["kind"] for m in app.item.materials]
    browser = Client()
    browser.force_login(demo.users["ent_a"])
    page_url = f"/my/applications/{app.pk}/materials/"

    def post(kind: str, data: bytes) -> None:
        upload = SimpleUploadedFile(f"{kind}.pdf", data, content_type="application/pdf")
        xhr = {"x-requested-with": "XMLHttpRequest"}
        response = browser.post(page_url, {"kind": kind, "file": upload}, headers=xhr)
        assert response.status_code == 200, response.content

    post(kinds[0], EICAR_PDF)
    with override_settings(CLAMD_SOCKET=closed_socket):
        post(kinds[1], PDF)
    post(kinds[2], PDF)
    page = browser.get(page_url).content.decode()

    def block(kind: str) -> str:
        start = page.index(f'id="material-{kind}"')
        return page[start : page.find('<div class="material"', start + 1)]

    assert "未通过病毒扫描" in block(kinds[0]) and "/download/" not in block(kinds[0])
    assert "扫描中" in block(kinds[1])
    assert "✓ 已上传第1版" in block(kinds[2]) and "/download/" in block(kinds[2])

"""R13 uploads (ASVS 5.2–5.4): size max accepted and max+1 refused, type by content, Office
files judged from the zip directory before anything is unpacked, pixel floods, generated
storage names, downloads as attachments with nosniff, and the per-enterprise quota."""

import io
import struct
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from applications import services
from applications.models import Material
from applications.uploads import MAX_ZIP_ENTRIES, MAX_ZIP_UNCOMPRESSED
from common.errors import BadInput

pytestmark = pytest.mark.django_db
PDF_HEAD = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n"
PDF_TAIL = b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def pdf_of(size: int) -> bytes:
    body = PDF_HEAD + PDF_TAIL
    assert size >= len(body)
    return PDF_HEAD + b"%" * (size - len(body)) + PDF_TAIL


@pytest.fixture
def draft(demo):
    return services.application_create(
        actor=demo.users["ent_a"], round_id=demo.p14_round.pk, declared={"retail_sales_2022h2": "3250000000"}
    )


def kind_of(app) -> str:
    return app.item.materials[0]["kind"]


def upload(demo, app, data: bytes, name: str = "file.pdf", user: str = "ent_a", content_type: str = "application/pdf"):
    return demo.client(user).post(
        f"/api/v1/applications/{app.pk}/materials/",
        {"kind": kind_of(app), "file": SimpleUploadedFile(name, data, content_type=content_type)},
        format="multipart",
    )


# --- size ---------------------------------------------------------------------------------------


@override_settings(MATERIAL_MAX_BYTES=4096)
def test_4096_bytes_accepted_and_4097_refused(demo, draft):
    ok = upload(demo, draft, pdf_of(4096))
    assert ok.status_code == 201, ok.json()
    too_big = upload(demo, draft, pdf_of(4097))
    assert too_big.status_code == 400 and too_big.json()["code"] == "file_too_large"
    assert "不能超过" in too_big.json()["detail"]
    assert Material.objects.filter(application=draft).count() == 1


def test_empty_file_refused(demo, draft):
    assert upload(demo, draft, b"").status_code == 400


def test_21_files_in_one_request_are_refused_before_the_view(demo, draft):
    files = {f"file{i}": SimpleUploadedFile(f"f{i}.pdf", pdf_of(200)) for i in range(21)}
    response = demo.client("ent_a").post(
        f"/api/v1/applications/{draft.pk}/materials/", {"kind": kind_of(draft), **files}, format="multipart"
    )
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == 20
    assert response.status_code == 400
    assert not Material.objects.filter(application=draft).exists()


# --- type by content ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("report.pdf", b"<!doctype html><html><script>alert(document.cookie)</script></html>"),
        ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'),
        ("photo.jpg", b"<?php system($_GET['c']); ?>"),
        ("tool.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64),
        ("notes.docx", b"plain text pretending to be Word"),
        ("archive.docx", b"PK\x03\x04" + b"\x00" * 40),  # a broken zip
    ],
)
def test_content_decides_the_type_not_the_name(demo, draft, name, data):
    response = upload(demo, draft, data, name=name)
    assert response.status_code == 400, (name, response.json())
    assert response.json()["code"] in ("bad_file_type", "bad_file")
    assert not Material.objects.filter(application=draft).exists()


def test_zip_that_is_not_office_is_refused(demo, draft):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.sh", "rm -rf /")
    response = upload(demo, draft, buffer.getvalue(), name="contract.docx")
    assert response.status_code == 400 and response.json()["code"] == "bad_file_type"


def test_pdf_html_polyglot_is_kept_as_pdf_and_served_inert(demo, draft):
    """Decision (SECURITY.md): a file that starts with %PDF- is a PDF. A PDF/HTML polyglot is
    accepted as PDF but can never run as HTML here: it is always served as application/pdf with
    nosniff, as an attachment, and an inline preview gets `CSP: sandbox`."""
    polyglot = b"%PDF-1.4\n<html><body><script>alert(document.domain)</script></body></html>\n%%EOF\n"
    created = upload(demo, draft, polyglot, name="x.html")
    assert created.status_code == 201
    material = Material.objects.get(application=draft)
    assert material.content_type == "application/pdf" and material.storage_key.endswith(".pdf")
    client = Client()
    client.force_login(demo.users["ent_a"])
    url = f"/applications/{draft.pk}/materials/{material.pk}/download/"
    attachment = client.get(url)
    assert attachment["Content-Type"] == "application/pdf"
    assert attachment["Content-Disposition"].startswith("attachment")
    assert attachment["X-Content-Type-Options"] == "nosniff"
    inline = client.get(url + "?inline=1")
    assert inline["Content-Type"] == "application/pdf" and "sandbox" in inline["Content-Security-Policy"]


# --- Office files: judged from the directory, never unpacked --------------------------------------


def office_zip(entries: int, *, big_entry: int = 0) -> bytes:
    """A docx-shaped zip with `entries` entries; with `big_entry`, one more entry of that many
    zero bytes (it deflates ~1000:1, so a 100 MB bomb is ~100 KB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for i in range(entries - 2):
            archive.writestr(f"word/media/p{i}.xml", "x")
        if big_entry:
            with archive.open("word/embeddings/big.bin", "w", force_zip64=True) as handle:
                chunk = b"\0" * (1024 * 1024)
                left = big_entry
                while left > 0:
                    handle.write(chunk[: min(left, len(chunk))])
                    left -= len(chunk)
    return buffer.getvalue()


HEADER_BYTES = len("<Types/>") + len("<w:document/>")


@contextmanager
def no_unpacking():
    """Fails if anything opens or reads a zip entry inside the block: the check must judge the
    archive from its central directory alone, before any extraction."""
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def refuse(self, name, mode="r", *args, **kwargs):
        if mode == "r":
            opened.append(str(getattr(name, "filename", name)))
        return real_open(self, name, mode, *args, **kwargs)

    zipfile.ZipFile.open = refuse
    try:
        yield opened
    finally:
        zipfile.ZipFile.open = real_open
    assert opened == [], f"zip entries read during the upload check: {opened}"


def test_docx_with_1000_entries_accepted(demo, draft):
    data = office_zip(MAX_ZIP_ENTRIES)
    with no_unpacking():
        response = upload(demo, draft, data, name="a.docx")
    assert response.status_code == 201, response.json()
    assert Material.objects.get(application=draft).storage_key.endswith(".docx")


def test_docx_with_1001_entries_refused_before_extraction(demo, draft):
    data = office_zip(MAX_ZIP_ENTRIES + 1)
    with no_unpacking():
        response = upload(demo, draft, data, name="a.docx")
    assert response.status_code == 400 and response.json()["code"] == "bad_file"


def test_docx_declaring_100mb_plus_1_uncompressed_refused_before_extraction(demo, draft):
    data = office_zip(2, big_entry=MAX_ZIP_UNCOMPRESSED - HEADER_BYTES + 1)
    assert len(data) < 1024 * 1024  # a 100 MB bomb in < 1 MB
    with no_unpacking():
        response = upload(demo, draft, data, name="bomb.docx")
    assert response.status_code == 400 and response.json()["code"] == "bad_file"


def test_docx_of_exactly_100mb_uncompressed_accepted(demo, draft):
    data = office_zip(2, big_entry=MAX_ZIP_UNCOMPRESSED - HEADER_BYTES)
    with no_unpacking():
        response = upload(demo, draft, data, name="big.docx")
    assert response.status_code == 201, response.json()


# --- images -----------------------------------------------------------------------------------------


def png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def real_png(width: int = 8, height: int = 8) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(buffer, "PNG")
    return buffer.getvalue()


def test_a_real_small_png_is_accepted(demo, draft):
    assert upload(demo, draft, real_png(), name="a.png", content_type="image/png").status_code == 201


@pytest.mark.parametrize(("width", "height"), [(7000, 7000), (20000, 20000), (1, 2_000_000_000)])
def test_pixel_flood_png_is_refused_without_decoding(demo, draft, width, height):
    data = png_header_only(width, height)
    assert len(data) < 200
    response = upload(demo, draft, data, name="flood.png", content_type="image/png")
    assert response.status_code == 400 and response.json()["code"] == "bad_file"


# --- where files go and how they come back ----------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../../../../etc/passwd.pdf", "..\\..\\windows\\win.ini.pdf", "a/../../b.pdf", "x" * 300 + ".pdf", "空格 名.pdf"],
)
def test_storage_name_is_generated_whatever_the_upload_is_called(demo, draft, name):
    assert upload(demo, draft, pdf_of(300), name=name).status_code == 201
    material = Material.objects.get(application=draft)
    assert material.file.name == f"materials/{draft.pk}/{material.storage_key}"
    assert len(material.storage_key) == 32 + len(".pdf") and ".." not in material.file.name
    stored = Path(material.file.path).resolve()
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    client = Client()
    client.force_login(demo.users["ent_a"])
    response = client.get(f"/applications/{draft.pk}/materials/{material.pk}/download/")
    assert "passwd" not in response["Content-Disposition"] and ".." not in response["Content-Disposition"]


def test_downloads_are_attachments_with_nosniff_no_store_and_only_for_viewers(demo, draft):
    assert upload(demo, draft, pdf_of(500)).status_code == 201
    material = Material.objects.get(application=draft)
    page_url = f"/applications/{draft.pk}/materials/{material.pk}/download/"
    api_url = f"/api/v1/applications/{draft.pk}/materials/{material.pk}/download/"
    owner = Client()
    owner.force_login(demo.users["ent_a"])
    for url in (page_url, api_url):
        response = owner.get(url)
        assert response.status_code == 200, url
        assert response["Content-Disposition"].startswith("attachment; filename=")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
        assert b"".join(response.streaming_content) == pdf_of(500)
    for username in ("ent_b", "ent_c", "rev_xihu", "fund_shangcheng"):
        other = Client()
        other.force_login(demo.users[username])
        assert other.get(page_url).status_code == 404, username
        assert other.get(api_url).status_code == 404, username
    assert Client().get(page_url).status_code == 302
    assert Client().get(api_url).status_code in (401, 403)


# --- quota --------------------------------------------------------------------------------------------


def test_enterprise_quota_of_2_5_files_refuses_the_3rd_and_spares_other_enterprises(demo, draft):
    size = 1000
    with override_settings(ENTERPRISE_UPLOAD_QUOTA_BYTES=int(size * 2.5)):
        assert upload(demo, draft, pdf_of(size)).status_code == 201
        assert upload(demo, draft, pdf_of(size)).status_code == 201  # a new version still counts
        third = upload(demo, draft, pdf_of(size))
        assert third.status_code == 400 and third.json()["code"] == "quota_exceeded"
        other = services.application_create(
            actor=demo.users["ent_c"], round_id=demo.p14_round.pk, declared={"retail_sales_2022h2": "3100000000"}
        )
        assert upload(demo, other, pdf_of(size), user="ent_c").status_code == 201
    assert Material.objects.filter(application=draft).count() == 2


def test_check_upload_raises_bad_input_for_oversize_without_reading_it(settings):
    from applications.uploads import check_upload

    settings.MATERIAL_MAX_BYTES = 10

    class Exploding(SimpleUploadedFile):
        def read(self, *args, **kwargs):
            raise AssertionError("an oversize upload was read")

    with pytest.raises(BadInput):
        check_upload(Exploding("a.pdf", pdf_of(100)))


# --- the file itself as the body (no multipart) ----------------------------------------------------


def raw_upload(demo, app, data: bytes, *, kind: str | None = None, disposition: str = "", ctype="application/pdf"):
    query = f"?kind={kind if kind is not None else kind_of(app)}" if kind != "" else ""
    headers = {"Content-Disposition": disposition} if disposition else {}
    return demo.client("ent_a").generic(
        "POST", f"/api/v1/applications/{app.pk}/materials/{query}", data, content_type=ctype, headers=headers
    )


@pytest.mark.parametrize("memory_limit", [2 * 1024 * 1024, 1024])  # in memory / via a temporary file
def test_raw_body_upload_gets_the_same_checks_hash_version_and_scan(demo, draft, memory_limit):
    import hashlib

    data = pdf_of(4000)
    with override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=memory_limit):
        first = raw_upload(demo, draft, data, disposition="attachment; filename*=UTF-8''%E8%90%A5%E4%B8%9A.pdf")
        second = raw_upload(demo, draft, data, disposition='attachment; filename="../../etc/x.pdf"')
    assert first.status_code == 201 and second.status_code == 201, (first.json(), second.json())
    one, two = Material.objects.filter(application=draft).order_by("version")
    assert (one.original_name, one.version, one.is_current) == ("营业.pdf", 1, False)
    assert (two.original_name, two.version, two.is_current) == ("x.pdf", 2, True)
    assert one.sha256 == two.sha256 == hashlib.sha256(data).hexdigest() == first.json()["sha256"]
    assert one.size == len(data) and Path(two.file.path).read_bytes() == data
    assert {one.scan_status, two.scan_status} == {"clean"}


def test_raw_body_upload_refusals(demo, draft):
    no_kind = raw_upload(demo, draft, pdf_of(500), kind="")
    assert no_kind.status_code == 400 and no_kind.json()["code"] == "bad_kind"
    wrong_kind = raw_upload(demo, draft, pdf_of(500), kind="not_a_kind")
    assert wrong_kind.status_code == 400 and wrong_kind.json()["code"] == "bad_kind"
    html = raw_upload(demo, draft, b"<html><script>alert(1)</script></html>", ctype="text/html")
    assert html.status_code == 400 and html.json()["code"] == "bad_file_type"
    empty = raw_upload(demo, draft, b"")
    assert empty.status_code == 400 and empty.json()["code"] == "empty_file"
    with override_settings(MATERIAL_MAX_BYTES=1000):
        too_big = raw_upload(demo, draft, pdf_of(1001))
    assert too_big.status_code == 400 and too_big.json()["code"] == "file_too_large"
    assert not Material.objects.filter(application=draft).exists()
    other_user = demo.client("ent_b").generic(
        "POST", f"/api/v1/applications/{draft.pk}/materials/?kind={kind_of(draft)}", pdf_of(500), "application/pdf"
    )
    assert other_user.status_code == 404

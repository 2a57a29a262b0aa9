"""Checking uploaded materials by their content, not their name.

Accepted: PDF, PNG, JPEG, and Office Open XML (docx/xlsx) whose zip directory is checked before
anything is unpacked (entry count and declared uncompressed size). Everything else is refused
with a message that says which types are accepted.
"""

import hashlib
import io
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from common.errors import BadInput

ACCEPTED_TEXT = "PDF、JPG、PNG、Word（.docx）或 Excel（.xlsx）"
MAX_ZIP_ENTRIES = 1000
MAX_ZIP_UNCOMPRESSED = 100 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000


@dataclass
class CheckedFile:
    content_type: str
    extension: str
    size: int
    sha256: str


def _sniff(head: bytes) -> tuple[str, str] | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf", "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if head.startswith(b"PK\x03\x04"):
        return "application/zip", "zip"
    return None


def _check_office(data: bytes) -> tuple[str, str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise BadInput("文件已损坏，无法识别为 Word 或 Excel 文档，请重新导出后上传。", code="bad_file") from None
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_ENTRIES or sum(i.file_size for i in infos) > MAX_ZIP_UNCOMPRESSED:
        raise BadInput("文档内部结构异常（解压后过大），请另存为 PDF 后上传。", code="bad_file")
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names:
        raise BadInput(f"不支持的压缩文件。请上传 {ACCEPTED_TEXT}文件。", code="bad_file_type")
    if any(n.startswith("word/") for n in names):
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
    if any(n.startswith("xl/") for n in names):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    raise BadInput(f"不支持的文档类型。请上传 {ACCEPTED_TEXT}文件。", code="bad_file_type")


def _check_image(data: bytes) -> None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Exception:
        raise BadInput("图片文件已损坏，无法打开，请重新上传。", code="bad_file") from None
    if width * height > MAX_IMAGE_PIXELS:
        raise BadInput("图片像素过大（超过4000万像素），请压缩后上传。", code="bad_file")


def check_upload(upload: UploadedFile) -> CheckedFile:
    """Validate size and real type of an uploaded file; raise BadInput saying what to fix."""
    size = upload.size or 0
    limit = settings.MATERIAL_MAX_BYTES
    if size == 0:
        raise BadInput("文件为空，请选择正确的文件。", code="empty_file")
    if size > limit:
        raise BadInput(
            f"文件过大：{size / 1024 / 1024:.1f} MB，单个文件不能超过 {limit / 1024 / 1024:.0f} MB。",
            code="file_too_large",
        )
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    sniffed = _sniff(data[:16])
    if sniffed is None:
        raise BadInput(
            f"文件类型不符合要求：只接受 {ACCEPTED_TEXT}文件（按文件内容识别，改扩展名无效）。", code="bad_file_type"
        )
    content_type, extension = sniffed
    if extension == "zip":
        content_type, extension = _check_office(data)
    elif extension in ("png", "jpg"):
        _check_image(data)
    return CheckedFile(content_type, extension, size, hashlib.sha256(data).hexdigest())

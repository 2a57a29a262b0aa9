"""Checking uploaded materials by their content, not their name.

Accepted: PDF, PNG, JPEG, and Office Open XML (docx/xlsx) whose zip directory is checked before
anything is unpacked (entry count and declared uncompressed size). Everything else is refused
with a message that says which types are accepted.
"""

import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import InMemoryUploadedFile, TemporaryUploadedFile, UploadedFile
from django.utils.http import parse_header_parameters

from common.errors import BadInput

ACCEPTED_TEXT = "PDF、JPG、PNG、Word（.docx）或 Excel（.xlsx）"
MAX_ZIP_ENTRIES = 1000
MAX_ZIP_UNCOMPRESSED = 100 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
CHUNK_SIZE = 1024 * 1024  # storage's write size: large chunks, few Python-level iterations


@dataclass
class CheckedFile:
    content_type: str
    extension: str
    size: int


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


def _too_large(size: int) -> BadInput:
    limit = settings.MATERIAL_MAX_BYTES
    return BadInput(
        f"文件过大：{size / 1024 / 1024:.1f} MB，单个文件不能超过 {limit / 1024 / 1024:.0f} MB。",
        code="file_too_large",
    )


def body_upload(stream: BinaryIO | None, *, length: int, content_type: str, disposition: str) -> UploadedFile:
    """The request body as an uploaded file, for a client that sends the file itself as the
    body (no multipart parsing): `length` from Content-Length (refused before anything is read
    when too large), the name from Content-Disposition (`filename=` or `filename*=UTF-8''…`).
    Up to FILE_UPLOAD_MAX_MEMORY_SIZE it stays in memory, larger bodies go to a temporary file,
    as Django does for multipart uploads. The content is judged later by `check_upload`."""
    if length <= 0 or stream is None:
        raise BadInput("文件为空，请把文件内容作为请求体发送，并带上 Content-Length。", code="empty_file")
    if length > settings.MATERIAL_MAX_BYTES:
        raise _too_large(length)
    _, params = parse_header_parameters(disposition or "attachment")
    name = os.path.basename(params.get("filename", "").replace("\\", "/")) or "file"
    if length <= settings.FILE_UPLOAD_MAX_MEMORY_SIZE:
        data = stream.read(length)
        received = len(data)
        upload: UploadedFile = InMemoryUploadedFile(io.BytesIO(data), "file", name, content_type, received, None)
    else:
        upload = TemporaryUploadedFile(name, content_type, length, None)
        received = 0
        while received < length and (chunk := stream.read(min(CHUNK_SIZE, length - received))):
            upload.write(chunk)
            received += len(chunk)
        upload.size = received
    if received != length:
        upload.close()
        raise BadInput("文件未完整上传（连接中断或长度不符），请重新上传。", code="incomplete_upload")
    upload.seek(0)
    return upload


def check_upload(upload: UploadedFile) -> CheckedFile:
    """Validate size and real type of an uploaded file; raise BadInput saying what to fix.

    A PDF is judged by its first bytes only (nothing else is read here); Office files and images
    are opened (zip directory, pixel count) before they are accepted."""
    size = upload.size or 0
    limit = settings.MATERIAL_MAX_BYTES
    if size == 0:
        raise BadInput("文件为空，请选择正确的文件。", code="empty_file")
    if size > limit:
        raise _too_large(size)
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    sniffed = _sniff(head)
    if sniffed is None:
        raise BadInput(
            f"文件类型不符合要求：只接受 {ACCEPTED_TEXT}文件（按文件内容识别，改扩展名无效）。", code="bad_file_type"
        )
    content_type, extension = sniffed
    if extension in ("zip", "png", "jpg"):
        data = upload.read()
        upload.seek(0)
        if extension == "zip":
            content_type, extension = _check_office(data)
        else:
            _check_image(data)
    return CheckedFile(content_type, extension, size)


class HashingFile(File):
    """The upload as storage sees it, computing the SHA-256 of what is stored in one pass.

    In memory (up to FILE_UPLOAD_MAX_MEMORY_SIZE): every chunk storage writes also feeds the
    hash. Spooled to a temporary file (larger uploads): the file is hashed once here and storage
    moves it into place (`temporary_file_path`, a rename on the same file system) instead of
    copying it."""

    def __init__(self, upload: UploadedFile) -> None:
        super().__init__(upload.file, name=upload.name)
        self.upload = upload
        self.size = upload.size or 0  # UploadedFile.size is int | None in the stubs; Django always sets it
        self._sha256 = hashlib.sha256()
        self._complete = False
        if hasattr(upload, "temporary_file_path"):
            with open(upload.temporary_file_path(), "rb") as spooled:
                self._sha256 = hashlib.file_digest(spooled, "sha256")
            self._complete = True
            self.temporary_file_path = upload.temporary_file_path

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        if self._complete:  # already hashed (spooled file): storage only copies
            yield from self.upload.chunks(chunk_size or CHUNK_SIZE)
            return
        for chunk in self.upload.chunks(chunk_size or CHUNK_SIZE):
            self._sha256.update(chunk)
            yield chunk
        self._complete = True

    def hexdigest(self) -> str:
        """The SHA-256 of the file (read now if storage did not read it all)."""
        if not self._complete:
            for _ in self.chunks():
                pass
        return self._sha256.hexdigest()

"""Antivirus scanning of uploaded materials (RELIABILITY R14).

Two backends behind one interface, `Scanner.scan(stream) -> ScanResult`:

- `ClamdScanner`: ClamAV's daemon over its socket (INSTREAM), used in production. Configured by
  `CLAMD_SOCKET` (a unix socket path) or `CLAMD_HOST` + `CLAMD_PORT` (TCP); `CLAMD_TIMEOUT` seconds.
- `SignatureScanner`: a built-in matcher for known test signatures (at least the EICAR test file),
  used only when no clamd is configured (development, tests). It is not a virus scanner.

A scanner that cannot be reached raises `ScannerUnavailable`: the caller leaves the material
`pending`, which blocks submission (fail closed). `material_scan` records a result; the Celery
tasks in applications/tasks.py call it.
"""

import logging
import os
import socket
import struct
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024

# The EICAR anti-malware test file (https://www.eicar.org/download-anti-malware-testfile/), split
# so this source file itself is not flagged by scanners.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURES: dict[str, bytes] = {"Eicar-Test-Signature": EICAR}


class ScannerUnavailable(Exception):
    """The scanner could not be reached or did not answer; the file stays unscanned."""


@dataclass(frozen=True)
class ScanResult:
    """`status` is one of Material.ScanStatus' final values: "clean", "infected" or "error" (the
    scanner answered but could not judge this file, e.g. larger than clamd's StreamMaxLength)."""

    status: str
    detail: str = ""


class Scanner(Protocol):
    name: str

    def scan(self, stream: BinaryIO) -> ScanResult: ...


class SignatureScanner:
    """Matches `SIGNATURES` anywhere in the stream (chunks overlap so a match across a chunk
    boundary is found). For development and tests: configure clamd in production."""

    name = "builtin-signatures"

    def scan(self, stream: BinaryIO) -> ScanResult:
        overlap = max(len(s) for s in SIGNATURES.values()) - 1
        tail = b""
        while chunk := stream.read(CHUNK):
            window = tail + chunk
            for name, signature in SIGNATURES.items():
                if signature in window:
                    return ScanResult("infected", name)
            tail = window[-overlap:]
        return ScanResult("clean")


class ClamdScanner:
    """clamd's INSTREAM command: `zINSTREAM\\0`, then chunks each prefixed by their length as a
    4-byte big-endian integer, then a zero length; the answer is `stream: OK`,
    `stream: <name> FOUND` or `... ERROR` (e.g. the file exceeds clamd's StreamMaxLength)."""

    name = "clamd"

    def __init__(self, *, unix_socket: str = "", host: str = "", port: int = 3310, timeout: float = 30) -> None:
        self.unix_socket, self.host, self.port, self.timeout = unix_socket, host, port, timeout

    def _connect(self) -> socket.socket:
        try:
            if self.unix_socket:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(self.timeout)
                sock.connect(self.unix_socket)
                return sock
            return socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise ScannerUnavailable(f"clamd unreachable: {exc}") from exc

    def scan(self, stream: BinaryIO) -> ScanResult:
        sock = self._connect()
        try:
            sock.sendall(b"zINSTREAM\0")
            while chunk := stream.read(CHUNK):
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
            answer = b""
            while not answer.endswith(b"\0"):
                part = sock.recv(4096)
                if not part:
                    break
                answer += part
        except OSError as exc:
            raise ScannerUnavailable(f"clamd failed: {exc}") from exc
        finally:
            sock.close()
        text = answer.rstrip(b"\0").decode(errors="replace").strip()
        if text.endswith("FOUND"):
            return ScanResult("infected", text.split(":", 1)[-1].removesuffix("FOUND").strip())
        if text.endswith("OK"):
            return ScanResult("clean")
        if text.endswith("ERROR"):
            return ScanResult("error", text[-200:])
        raise ScannerUnavailable(f"clamd answered: {text or '(nothing)'}")


def _setting(name: str, default: str) -> str:
    """settings.<name> when defined (config/settings), else the environment variable of that name."""
    value = getattr(settings, name, None)
    return str(value) if value is not None else os.environ.get(name, default)


def get_scanner() -> Scanner:
    """clamd when `CLAMD_SOCKET` or `CLAMD_HOST` is set, the built-in signatures otherwise."""
    unix_socket, host = _setting("CLAMD_SOCKET", ""), _setting("CLAMD_HOST", "")
    if unix_socket or host:
        return ClamdScanner(
            unix_socket=unix_socket,
            host=host,
            port=int(_setting("CLAMD_PORT", "3310")),
            timeout=float(_setting("CLAMD_TIMEOUT", "30")),
        )
    return SignatureScanner()


# --- recording a scan (the write behind applications.tasks.scan_material) -------------------------


def material_scan(*, material_id: int, scanner: Scanner | None = None) -> str:
    """Scan the stored file of one material and record the result on every still-pending row
    that points at the same file (reused materials share it). Returns the material's status.

    Called by the Celery task `applications.tasks.scan_material` (after the upload commits; in
    eager mode in the upload's own transaction) and by the sweep `scan_pending_materials`; not
    from views. Not one transaction around the scan: the file is read with no lock held, then one
    guarded UPDATE (`scan_status = 'pending'` in its WHERE) records the result, so two scans of
    the same file cannot overwrite a final status.

    Scanner unreachable or the file missing: nothing is written, the material stays `pending`
    (fail closed: submission stays refused) and the sweep tries again later.
    """
    from .models import Material, ScanStatus

    material = Material.objects.filter(pk=material_id).only("pk", "file", "storage_key", "scan_status").first()
    if material is None:
        return "missing"
    if material.scan_status != ScanStatus.PENDING:
        return material.scan_status
    scanner = scanner or get_scanner()
    try:
        with material.file.open("rb") as stream:
            result = scanner.scan(stream)  # type: ignore[arg-type]  # FieldFile proxies read() of a binary file
    except ScannerUnavailable as exc:
        logger.warning("病毒扫描服务不可用，材料 %s 保持待扫描：%s", material_id, exc)
        return ScanStatus.PENDING
    except OSError as exc:
        logger.error("材料 %s 的文件无法读取，保持待扫描：%s", material_id, exc)
        return ScanStatus.PENDING
    Material.objects.filter(storage_key=material.storage_key, scan_status=ScanStatus.PENDING).update(
        scan_status=result.status, scanned_at=timezone.now(), scan_detail=result.detail[:200]
    )
    if result.status == ScanStatus.INFECTED:
        logger.warning("材料 %s 发现病毒（%s），已标记为未通过", material_id, result.detail)
    return result.status

"""Shared pieces of the benchmark runner (bench/run.py): the result row and small helpers."""

import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")


@dataclass
class Row:
    id: str
    scenario: str
    portal: str = "—"
    baseline: str = "—"
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None  # None: information only
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def mark(self) -> str:
        return "·" if self.ok is None else ("✓" if self.ok else "✗")


def _templates(statements: list[str]) -> dict[str, int]:
    """SQL with literals replaced by ?, counted: a template seen once per row is an N+1."""
    import re
    from collections import Counter

    return Counter(re.sub(r"'[^']*'|\b\d+\b", "?", sql) for sql in statements)


def _table_of(sql: str) -> str:
    import re

    match = re.search(r'FROM "([a-z_]+)"', sql)
    return match.group(1) if match else sql[:40]


def _flush_queue() -> None:
    """Drop the e-mail tasks the jobs queued on the bench's broker (no worker runs here)."""
    from django.conf import settings

    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        return
    try:
        import redis

        redis.Redis.from_url(url).delete("celery")
    except Exception as exc:  # the broker is optional for the measurement itself
        print(f"   (could not clear the broker queue: {exc!r})")


def _poll_import(module: str, name: str, timeout: float) -> Any:
    """The attribute `name` of `module`, waiting up to `timeout` s for another helper to add it."""
    import importlib

    deadline = time.monotonic() + timeout
    while True:
        try:
            mod = importlib.import_module(module)
            if hasattr(mod, name):
                return getattr(mod, name)
        except ImportError:
            pass
        if time.monotonic() >= deadline:
            return None
        time.sleep(10)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _mem_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return 0.0

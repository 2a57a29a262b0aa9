"""A throwaway Redis the tests may stop and start (never the shared one), and a look at what a
Celery producer left in its queue, read through kombu as a worker would.

`ThrowawayRedis` runs `redis-server` as this test process's own child on a free port from 56390
up, in a temp dir, without persistence (`--save '' --appendonly no`): a restart loses its queue,
the worst case for the outbox. `use_broker` points the project's Celery app at it with eager
mode off, so a send really goes over the network and fails when the server is down.
"""

import contextlib
import json
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from kombu import Connection

QUEUE = "celery"


def _free_port(first: int = 56390, last: int = 56499) -> int:
    for port in range(first, last + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"127.0.0.1 上 {first}–{last} 没有空闲端口")


class ThrowawayRedis:
    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if not self.binary:
            pytest.fail("需要 redis-server（apt-get install redis-server）")
        self.dir = tempfile.mkdtemp(prefix="hq-outbox-redis-")
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        options = ["--bind", "127.0.0.1", "--port", str(self.port), "--dir", self.dir]
        options += ["--save", "", "--appendonly", "no", "--logfile", f"{self.dir}/redis.log"]
        self.process = subprocess.Popen(
            [self.binary, *options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        give_up = time.monotonic() + 10
        while time.monotonic() < give_up:
            if self.ping():
                return
            time.sleep(0.05)
        pytest.fail(f"redis-server 没有在 127.0.0.1:{self.port} 上启动（日志 {self.dir}/redis.log）")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """SIGTERM to our own redis-server (no save: --save ''), and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def restart(self, *, down_for: float = 1.0) -> tuple[float, float]:
        """Stop, `down_for` seconds without a server, start; (began, up) monotonic."""
        began = time.monotonic()
        self.stop()
        time.sleep(down_for)
        self.start()
        return began, time.monotonic()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis()
    server.start()
    try:
        yield server
    finally:
        server.close()


@contextlib.contextmanager
def use_broker(url: str) -> Iterator[None]:
    """The project's Celery app sends to `url`, not eagerly, inside the block.

    broker_write_url, not broker_url: Celery reads CELERY_BROKER_URL from the environment before
    its configuration (CI exports it), but broker_write_url from the configuration first."""
    from config.celery import app

    saved = app.conf.task_always_eager, app.conf.get("broker_write_url")
    app.conf.task_always_eager = False
    app.conf.broker_write_url = url
    try:
        assert app.conf.broker_write_url == url, "CELERY_BROKER_WRITE_URL 环境变量会覆盖测试的 broker"
        yield
    finally:
        app.conf.task_always_eager, app.conf.broker_write_url = saved


@dataclass
class Queued:
    id: str
    task: str
    args: list
    kwargs: dict


def queued(url: str) -> list[Queued]:
    """The task messages waiting in the `celery` queue, oldest first, left in place."""
    with Connection(url) as conn:
        client = conn.default_channel.client
        raw = client.lrange(QUEUE, 0, -1)
    found = []
    for payload in reversed(raw):  # kombu LPUSHes, a worker BRPOPs: the list's end is the oldest
        message = json.loads(payload)
        headers = message["headers"]
        body = json.loads(_decode(message))
        found.append(Queued(headers["id"], headers["task"], body[0], body[1]))
    return found


def _decode(message: dict) -> str:
    import base64

    body = message["body"]
    if message.get("properties", {}).get("body_encoding") == "base64":
        return base64.b64decode(body).decode()
    return body


def run_queued(url: str) -> list[Queued]:
    """What a worker does, in this process: take each message off the queue (kombu, acked) and
    run its task with the message's id, so Celery's signals (the outbox's completion) fire."""
    from config.celery import app

    ran = []
    with Connection(url) as conn:
        queue = conn.SimpleQueue(QUEUE)
        try:
            while True:
                try:
                    message = queue.get(timeout=0.5)
                except queue.Empty:
                    break
                args, kwargs, _embed = message.decode()
                headers = message.headers
                if headers["task"] not in app.tasks:
                    app.loader.import_default_modules()
                app.tasks[headers["task"]].apply(args=args, kwargs=kwargs, task_id=headers["id"], throw=True)
                message.ack()
                ran.append(Queued(headers["id"], headers["task"], args, kwargs))
        finally:
            queue.close()
    return ran

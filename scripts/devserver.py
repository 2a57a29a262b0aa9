"""Run the demo's three processes together (used by `make run`, after migrate/seed/collectstatic).

    web     gunicorn -c config/gunicorn.py on http://$HOST:$PORT (default 127.0.0.1:8000)
    worker  celery -A config worker        (kombu filesystem transport, var/celery-broker/)
    beat    celery -A config beat          (the deadline jobs fire at start, then every
                                            DEADLINES_INTERVAL_SECONDS)

Each process runs in its own session, so Ctrl-C reaches only this supervisor, which then stops
all three with SIGTERM (SIGKILL after a grace period) and waits for them. Their output is
shown prefixed with the process name and written to var/log/<name>.log. If one of them dies on
its own, the others are stopped and the exit status is 1.
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
LOG_DIR = ROOT / "var" / "log"
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")
GRACE_SECONDS = 20

COMMANDS = {
    "web": [str(BIN / "gunicorn"), "-c", "config/gunicorn.py", "--bind", f"{HOST}:{PORT}", "--workers", "2"],
    "worker": [
        str(BIN / "celery"), "-A", "config", "worker", "-l", "info", "--concurrency", "1",
        "--without-mingle", "--without-gossip", "-n", "demo@%h",
    ],
    "beat": [str(BIN / "celery"), "-A", "config", "beat", "-l", "info"],
}  # fmt: skip

_print_lock = threading.Lock()


def say(text: str) -> None:
    with _print_lock:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()


def pump(name: str, proc: subprocess.Popen) -> None:
    """Copy a child's output to the terminal (prefixed) and to var/log/<name>.log."""
    with open(LOG_DIR / f"{name}.log", "a", encoding="utf-8") as log:
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            log.flush()
            say(f"{name:<6}| {line}")


def wait_for_web(procs: dict[str, subprocess.Popen], stop: threading.Event) -> bool:
    url = f"http://{HOST}:{PORT}/admin/login/"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not stop.is_set():
        if procs["web"].poll() is not None:
            return False
        try:
            with opener.open(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


ENTRY_POINTS = [
    ("企业门户", "/"),
    ("政府工作台", "/workbench/"),
    ("报表", "/reports/"),
    ("管理后台", "/admin/"),
    ("接口文档", "/api/docs/"),
]


def entry_points() -> list[tuple[str, str]]:
    """The pages of ENTRY_POINTS that answer (a sign-in redirect counts), as full URLs."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    found = []
    for label, path in ENTRY_POINTS:
        url = f"http://{HOST}:{PORT}{path}"
        try:
            with opener.open(url, timeout=10) as response:
                if response.status == 200:
                    found.append((label, url))
        except OSError:
            pass
    return found


def terminate(procs: dict[str, subprocess.Popen]) -> None:
    # SIGTERM to each main process only: gunicorn's master and Celery's worker stop their own
    # children in order (a warm shutdown lets the running task finish).
    for proc in procs.values():
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for name, proc in procs.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{name} 未在 {GRACE_SECONDS} 秒内退出，强制结束")
        # Kill whatever is left in the process group (gunicorn workers, the celery pool).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def main() -> int:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    stop = threading.Event()
    reason: list[str] = []

    def on_signal(signum: int, _frame: object) -> None:
        reason.append(signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)

    logins = subprocess.Popen(
        [str(BIN / "python"), "scripts/demo_logins.py"],
        cwd=ROOT,
        env={**env, "LOG_LEVEL": "WARNING"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    procs: dict[str, subprocess.Popen] = {}
    pumps = []
    for name, cmd in COMMANDS.items():
        procs[name] = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,  # Ctrl-C goes to us only; we stop them one way, in order
        )
        thread = threading.Thread(target=pump, args=(name, procs[name]), daemon=True)
        thread.start()
        pumps.append(thread)

    status = 0
    if wait_for_web(procs, stop):
        logins_text, _ = logins.communicate()
        say(
            "\n"
            "==================== 惠企政策兑现平台（本地演示）====================\n"
            + "".join(f"  {label}{' ' * (10 - 2 * len(label))} {url}\n" for label, url in entry_points())
            + "".join(f"  {line}\n" for line in logins_text.splitlines())
            + "  日志：var/log/web.log、worker.log、beat.log；按 Ctrl-C 停止全部三个进程。\n"
            "=====================================================================\n"
        )
    elif not stop.is_set():
        say(f"错误：网站没有在 http://{HOST}:{PORT}/admin/login/ 应答（见 var/log/web.log）")
        status = 1
        stop.set()
    if logins.poll() is None:
        logins.kill()
    logins.wait()

    while not stop.is_set():
        for name, proc in procs.items():
            if proc.poll() is not None:
                say(f"错误：{name} 意外退出（退出码 {proc.returncode}），停止其余进程。")
                status = 1
                stop.set()
                break
        stop.wait(0.5)

    say(f"正在停止 web、worker、beat（{reason[0] if reason else '出错'}）…")
    terminate(procs)
    for thread in pumps:
        thread.join(timeout=5)
    say("已全部停止。")
    return status


if __name__ == "__main__":
    sys.exit(main())

# tools/crash_test/procs.py: the constants every part shares, the setup
# error, and the helpers that talk to the programs under test: HTTP calls
# (Reply, call, list_all, node_state) and child processes (Process).

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time

INF = float("inf")
PENDING, RUNNING, COMPLETED, FAILED = 0, 1, 2, 3
TERMINAL = (COMPLETED, FAILED)
STATUS = {0: "pending", 1: "running", 2: "completed", 3: "failed"}
SECRET = "crash-test-secret"
AGENT = "crash-agent"
LOCAL_SERIALS = ["sim-%04d" % i for i in range(1, 9)]
STOPPED = "stopped by user"
INTERRUPTED = "interrupted by server restart"
START_LINE = "started on device "
TOKEN = re.compile(r"tok-(\d+)-")
PRESENT = "present"  # an observation that a task existed, state unknown
MAX_LIVE = 300       # above it the load deletes instead of creating


class SetupError(Exception):
    """The test cannot run: a binary, a port, a first start."""


def wait_until(pred, deadline, interval=0.02):
    end = time.monotonic() + deadline
    while True:
        if pred():
            return True
        if time.monotonic() >= end:
            return pred()
        time.sleep(interval)


def free_port(taken=()):
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in taken:
            return port


# -- HTTP ---------------------------------------------------------------------

class Reply:
    """kind: "ok" (code 0), "error" (another code: nothing done), "refused"
    (the connection was refused: nothing sent) or "doubt" (sent, no usable
    reply; a 5xx other than 50301 counts as doubt too)."""
    __slots__ = ("kind", "code", "data", "sent", "recv", "text")

    def __init__(self, kind, code, data, sent, recv, text):
        self.kind, self.code, self.data = kind, code, data
        self.sent, self.recv, self.text = sent, recv, text


def call(port, method, path, body=None, headers=None, timeout=10.0):
    sent = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.connect()
    except OSError:
        conn.close()
        return Reply("refused", None, None, sent, time.monotonic(), "")
    kind, code, data, text = "doubt", None, None, ""
    try:
        h = {"Connection": "close"}
        if body is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        conn.request(method, path, body=body, headers=h)
        text = conn.getresponse().read().decode("utf-8", "replace")
        doc = json.loads(text)
        code, data = doc["code"], doc["data"]
        if code == 0:
            kind = "ok"
        elif code < 50000 or code == 50301:
            kind = "error"
    except (OSError, http.client.HTTPException, ValueError, KeyError,
            TypeError):
        pass
    finally:
        conn.close()
    return Reply(kind, code, data, sent, time.monotonic(), text)


# -- processes ----------------------------------------------------------------

class Process:
    """A child in a process group of its own, printing to `log` (appended)."""

    def __init__(self, argv, cwd, log):
        self.argv, self.cwd, self.log, self.proc = argv, cwd, log, None

    def start(self, banner):
        with open(self.log, "ab") as log:
            line = "---- %s: %s\n" % (banner, " ".join(self.argv))
            log.write(line.encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.argv, cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        if self.proc is None:
            return None
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        rc, self.proc = self.proc.wait(), None
        return rc

    def terminate(self, deadline):
        """SIGTERM; the exit status, or None (then killed) after `deadline`."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=deadline)
        except subprocess.TimeoutExpired:
            self.kill()
            return None
        self.proc = None
        return rc


def body_bytes(doc):
    return json.dumps(doc, separators=(",", ":")).encode()


def list_all(port):
    """Every page of GET /task: [(sent, recv, tasks, total)], or None when a
    page failed."""
    pages = []
    for page in range(1, 100000):
        r = call(port, "GET", "/api/v1/task?page_size=100&page=%d" % page)
        if r.kind != "ok":
            return None
        tasks = r.data["tasks"]
        pages.append((r.sent, r.recv, tasks, r.data["total"]))
        if len(tasks) < 100:
            return pages
    return None


def node_state(port, name):
    r = call(port, "GET", "/api/v1/node", timeout=2.0)
    if r.kind != "ok":
        return None
    for n in r.data["nodes"]:
        if n["name"] == name:
            return n
    return {}

"""What the reference tests share: the running fake adb server (one for the
whole run, started and stopped by tests/reference_scripts.py), Debian's
real adb client and the scripts run against it, raw-socket helpers, and
the base class that gives each test a fresh fake phone."""

import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import unittest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TESTS)
FAKE = os.path.join(TESTS, "fake_adb.py")
SCRIPTS = os.path.join(ROOT, "scripts")
ADB = shutil.which("adb") or "/usr/bin/adb"
TIMEOUT = 30  # seconds: the deadline for any one step

PORTS = []  # every fake's port, to look for a stray adb daemon at the end


class Fake:
    """A running tests/fake_adb.py and its command channel."""

    def __init__(self, workdir):
        self.events_path = os.path.join(workdir, "events-%d" % len(PORTS))
        self.proc = subprocess.Popen(
            [sys.executable, FAKE, "--port", "0", "--events", self.events_path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        first = self._line()
        if not first.startswith("port "):
            self.kill()
            raise AssertionError("fake_adb said %r" % first)
        self.port = int(first.split()[1])
        PORTS.append(self.port)

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _line(self):
        try:
            line = self.lines.get(timeout=TIMEOUT)
        except queue.Empty:
            raise AssertionError("fake_adb did not answer in %ds" % TIMEOUT)
        if line is None:
            raise AssertionError("fake_adb ended")
        return line

    def cmd(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self._line()
        if answer != "ok":
            raise AssertionError("%s -> %s" % (line, answer))

    def events(self, serial=None):
        try:
            with open(self.events_path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return []
        if serial is None:
            return lines
        return [l for l in lines if l.split(" ", 2)[1:2] == [serial]]

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.close_pipes()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.close_pipes()

    def close_pipes(self):
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass


def adb_daemons():
    """pid -> command line of every adb server daemon started for one of
    our fakes' ports (there must be none)."""
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        text = b" ".join(args).decode("utf-8", "replace")
        if "fork-server" in text and any(
                ("tcp:%d" % p) in text or ("-P %d" % p) in text for p in PORTS):
            found[int(pid)] = text
    return found


WORK = None
FAKE_ADB = None


def start():
    """Starts the fake adb server the tests share, in a fresh work dir."""
    global WORK, FAKE_ADB
    WORK = tempfile.mkdtemp(prefix="tmx-reference-scripts-")
    FAKE_ADB = Fake(WORK)


def finish():
    """Stops the shared fake, kills any adb daemon started for one of our
    ports and removes the work dir.  Returns those daemons (there must be
    none)."""
    if FAKE_ADB is not None:
        FAKE_ADB.stop()
    strays = adb_daemons()
    for pid in strays:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    if WORK is not None:
        shutil.rmtree(WORK, ignore_errors=True)
    return strays


def env_for(port, serial=None):
    env = dict(os.environ)
    for key in ("ANDROID_SERIAL", "ADB_SERVER_SOCKET",
                "ANDROID_ADB_SERVER_ADDRESS", "TMX_ADB"):
        env.pop(key, None)
    env.update(ANDROID_ADB_SERVER_PORT=str(port), HOME=WORK,
               PYTHONDONTWRITEBYTECODE="1", TMX_TASK_ID="t-1",
               TMX_USERNAME="tester", TMX_NODE="node-a")
    if serial is not None:
        env["ANDROID_SERIAL"] = serial
    return env


def run_adb(port, *args, binary=False):
    return subprocess.run([ADB] + list(args), env=env_for(port),
                          stdin=subprocess.DEVNULL, capture_output=True,
                          text=not binary, timeout=TIMEOUT)


def run_script(name, config, serial):
    env = env_for(FAKE_ADB.port, serial)
    env["TMX_SCRIPT"] = name
    return subprocess.run([os.path.join(SCRIPTS, name)],
                          input=json.dumps(config), env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)


def remarks(proc):
    return [l[len("::remark "):] for l in proc.stdout.splitlines()
            if l.startswith("::remark ")]


def read_blob(sock):
    n = int(recv_exact(sock, 4), 16)
    return recv_exact(sock, n).decode()


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise AssertionError("connection closed after %r" % buf)
        buf += chunk
    return buf


def recv_all(sock):
    buf = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return buf
        buf += chunk


def request(port, *services):
    """Opens a connection and sends each service request (4-hex length)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    for service in services:
        s.sendall(b"%04x" % len(service) + service.encode())
    return s


def inside(event, bounds):
    _, _, x, y = event.split()
    x1, y1, x2, y2 = bounds
    return x1 <= int(x) < x2 and y1 <= int(y) < y2


FOLLOW_BOUNDS = (100, 200, 300, 260)


class Case(unittest.TestCase):
    serial = None

    def setUp(self):
        self.fake, self.work = FAKE_ADB, WORK
        # One fresh device a test: its name comes from the test's name.
        self.serial = "T" + self.id().rsplit(".", 1)[-1][5:].replace("_", "")[:18]
        self.fake.cmd("add %s model=Pixel_7 android=14 battery=64" % self.serial)

    def tearDown(self):
        self.fake.cmd("remove %s" % self.serial)

    def adb(self, *args, **kw):
        return run_adb(self.fake.port, *args, **kw)

    def events(self):
        return self.fake.events(self.serial)

    def taps(self):
        return [e for e in self.events() if e.startswith("tap ")]

#!/usr/bin/env python3
"""Tests of tests/fake_adb.py and of the reference scripts in scripts/.

Runs Debian's real `adb` client against the fake adb server (a unique port
through ANDROID_ADB_SERVER_PORT) and each reference script the way the tmx
runner does: executable, config JSON on stdin, ANDROID_SERIAL in the
environment.  python3 tests/reference_scripts.py; exit 0 on success.
"""

import json
import os
import queue
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FAKE = os.path.join(HERE, "fake_adb.py")
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


def setUpModule():
    global WORK, FAKE_ADB
    WORK = tempfile.mkdtemp(prefix="tmx-reference-scripts-")
    FAKE_ADB = Fake(WORK)


def tearDownModule():
    if FAKE_ADB is not None:
        FAKE_ADB.stop()
    strays = adb_daemons()
    for pid in strays:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    shutil.rmtree(WORK, ignore_errors=True)
    if strays:
        raise AssertionError("adb started a server daemon: %s" % strays)


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
        # One fresh device a test: its name comes from the test's name.
        self.serial = "T" + self.id().rsplit(".", 1)[-1][5:].replace("_", "")[:18]
        FAKE_ADB.cmd("add %s model=Pixel_7 android=14 battery=64" % self.serial)

    def tearDown(self):
        FAKE_ADB.cmd("remove %s" % self.serial)

    def adb(self, *args, **kw):
        return run_adb(FAKE_ADB.port, *args, **kw)

    def events(self):
        return FAKE_ADB.events(self.serial)

    def taps(self):
        return [e for e in self.events() if e.startswith("tap ")]


class FakeThroughRealAdb(Case):
    def test_devices_l(self):
        FAKE_ADB.cmd("add U1%s unauthorized" % self.serial)
        FAKE_ADB.cmd("add O1%s offline" % self.serial)
        p = self.adb("devices", "-l")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "List of devices attached")
        mine = [l for l in lines if l.startswith(self.serial + " ")]
        self.assertEqual(len(mine), 1, p.stdout)
        head = "%-22s device product:panther model:Pixel_7 device:panther " \
            "transport_id:" % self.serial
        self.assertTrue(mine[0].startswith(head), mine[0])
        self.assertTrue(mine[0][len(head):].isdigit(), mine[0])
        unauth = [l for l in lines if l.startswith("U1" + self.serial)]
        self.assertRegex(unauth[0], r"^U1\S+ +unauthorized transport_id:\d+$")
        offline = [l for l in lines if l.startswith("O1" + self.serial)]
        self.assertRegex(offline[0], r"^O1\S+ +offline transport_id:\d+$")
        FAKE_ADB.cmd("remove U1%s" % self.serial)
        FAKE_ADB.cmd("remove O1%s" % self.serial)
        p = self.adb("devices")
        self.assertIn("%s\tdevice" % self.serial, p.stdout.splitlines())
        self.assertNotIn("U1" + self.serial, p.stdout)

    def test_shell_getprop_and_battery(self):
        p = self.adb("-s", self.serial, "shell", "getprop", "ro.product.model")
        self.assertEqual((p.returncode, p.stdout), (0, "Pixel 7\n"), p.stderr)
        p = self.adb("-s", self.serial, "shell",
                     "getprop ro.build.version.release")
        self.assertEqual(p.stdout, "14\n")
        FAKE_ADB.cmd("battery %s 12" % self.serial)
        p = self.adb("-s", self.serial, "shell", "dumpsys", "battery")
        self.assertIn("  level: 12\n", p.stdout)
        self.assertIn("shell %s getprop ro.product.model" % self.serial,
                      self.events())

    def test_exec_out_screencap_is_png(self):
        p = self.adb("-s", self.serial, "exec-out", "screencap", "-p",
                     binary=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        png = p.stdout
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        self.assertEqual(png[12:16], b"IHDR")
        width, height = struct.unpack(">II", png[16:24])
        self.assertEqual((width, height), (360, 640))
        i = png.index(b"IDAT")
        n = struct.unpack(">I", png[i - 4:i])[0]
        raw = zlib.decompress(png[i + 4:i + 4 + n])
        self.assertEqual(len(raw), height * (1 + 3 * width))
        self.assertTrue(png.endswith(b"IEND\xaeB`\x82"))

    def test_get_state_and_unknown_device(self):
        p = self.adb("-s", self.serial, "get-state")
        self.assertEqual((p.returncode, p.stdout.strip()), (0, "device"))
        FAKE_ADB.cmd("state %s unauthorized" % self.serial)
        p = self.adb("-s", self.serial, "get-state")
        self.assertEqual(p.stdout.strip(), "unauthorized")
        p = self.adb("-s", self.serial, "shell", "echo", "hi")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("device unauthorized.", p.stderr)
        p = self.adb("-s", "nosuch", "shell", "echo", "hi")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("device 'nosuch' not found", p.stderr)

    def test_push_then_cat(self):
        local = os.path.join(WORK, "push.bin")
        data = bytes(range(256)) * 600  # several sync DATA chunks
        with open(local, "wb") as f:
            f.write(data)
        p = self.adb("-s", self.serial, "push", local, "/data/local/tmp/p.bin")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("push %s /data/local/tmp/p.bin %d" % (self.serial,
                                                            len(data)),
                      self.events())
        p = self.adb("-s", self.serial, "exec-out", "cat",
                     "/data/local/tmp/p.bin", binary=True)
        self.assertEqual(p.stdout, data)

    def test_concurrent_clients(self):
        results = [None] * 8

        def one(i):
            results[i] = self.adb("-s", self.serial, "shell", "echo", "n%d" % i)
        threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT)
        for i, p in enumerate(results):
            self.assertEqual(p.stdout, "n%d\n" % i)


class FakeProtocol(Case):
    """The requests tmx's own client sends, on raw sockets."""

    def test_version(self):
        s = request(FAKE_ADB.port, "host:version")
        self.assertEqual(recv_all(s), b"OKAY00040029")
        s.close()

    def test_transport_shell_exec_and_tport(self):
        s = request(FAKE_ADB.port, "host:transport:" + self.serial,
                    "shell:getprop ro.product.model")
        self.assertEqual(recv_all(s), b"OKAYOKAYPixel 7\n")
        s.close()
        s = request(FAKE_ADB.port, "host:transport:" + self.serial,
                    "exec:screencap -p")
        out = recv_all(s)
        s.close()
        self.assertEqual(out[:16], b"OKAYOKAY\x89PNG\r\n\x1a\n")
        s = request(FAKE_ADB.port, "host:tport:serial:" + self.serial,
                    "shell:echo hi")
        out = recv_all(s)
        s.close()
        self.assertEqual(out[:4] + out[12:], b"OKAYOKAYhi\n")
        tid = struct.unpack("<Q", out[4:12])[0]
        s = request(FAKE_ADB.port, "host:devices-l")
        self.assertEqual(recv_exact(s, 4), b"OKAY")
        line = [l for l in read_blob(s).splitlines()
                if l.startswith(self.serial + " ")][0]
        s.close()
        self.assertTrue(line.endswith(" transport_id:%d" % tid), line)

    def test_transport_failures(self):
        s = request(FAKE_ADB.port, "host:transport:nosuch")
        self.assertEqual(recv_exact(s, 4), b"FAIL")
        self.assertEqual(read_blob(s), "device 'nosuch' not found")
        s.close()
        for state, text in (("unauthorized", "device unauthorized.\n"),
                            ("offline", "device offline"),
                            ("no_permissions",
                             "insufficient permissions for device")):
            FAKE_ADB.cmd("state %s %s" % (self.serial, state))
            s = request(FAKE_ADB.port, "host:transport:" + self.serial)
            self.assertEqual(recv_exact(s, 4), b"FAIL", state)
            self.assertTrue(read_blob(s).startswith(text), state)
            s.close()

    def test_track_devices_l(self):
        s = request(FAKE_ADB.port, "host:track-devices-l")
        self.assertEqual(recv_exact(s, 4), b"OKAY")
        first = read_blob(s)
        self.assertIn("%-22s device product:panther model:Pixel_7 "
                      "device:panther transport_id:" % self.serial, first)
        other = "X" + self.serial
        FAKE_ADB.cmd("add %s unauthorized model=Galaxy_S23" % other)
        listing = read_blob(s)
        self.assertRegex(listing, r"(?m)^%s +unauthorized transport_id:\d+$"
                         % other)
        FAKE_ADB.cmd("state %s device" % other)
        self.assertRegex(read_blob(s), r"(?m)^%s +device product:galaxy_s23 "
                         r"model:Galaxy_S23 device:galaxy_s23 transport_id:\d+$"
                         % other)
        FAKE_ADB.cmd("state %s no_permissions" % other)
        self.assertIn("%-22s no permissions (user in plugdev group; are your "
                      "udev rules wrong?); see "
                      "[http://developer.android.com/tools/device.html] "
                      "transport_id:" % other, read_blob(s))
        FAKE_ADB.cmd("remove %s" % other)
        self.assertNotIn(other, read_blob(s))
        FAKE_ADB.cmd("close-tracks")
        self.assertEqual(recv_all(s), b"")
        s.close()

    def test_client_vanishing_mid_request(self):
        s = request(FAKE_ADB.port)
        s.sendall(b"00ffhost:ver")
        s.close()
        s = request(FAKE_ADB.port, "host:transport:" + self.serial, "sync:")
        s.sendall(b"SEND" + struct.pack("<I", 12) + b"/sdcard/x,420"[:12])
        s.sendall(b"DATA" + struct.pack("<I", 1000) + b"partial")
        s.close()
        s = request(FAKE_ADB.port, "host:track-devices")
        s.close()
        p = self.adb("-s", self.serial, "shell", "echo", "alive")
        self.assertEqual(p.stdout, "alive\n")


class ReferenceScripts(Case):
    def test_scripts_are_executable(self):
        for name in ("post", "follow", "unfollow", "comment",
                     "account_warmup"):
            self.assertTrue(os.access(os.path.join(SCRIPTS, name), os.X_OK),
                            name)

    def test_post_pushes_and_shares(self):
        clip = os.path.join(WORK, "my clip.mp4")
        with open(clip, "wb") as f:
            f.write(os.urandom(70001))
        p = run_script("post", {"material_list": [clip], "upload_wait_time": 0,
                                "captions": "{Hello|Hi} there"}, self.serial)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        events = self.events()
        self.assertIn("push %s /sdcard/DCIM/tmx/my clip.mp4 70001"
                      % self.serial, events)
        shells = [e for e in events if e.startswith("shell ")]
        self.assertTrue(any("MEDIA_SCANNER_SCAN_FILE" in e and
                            "file:///sdcard/DCIM/tmx/my%20clip.mp4" in e
                            for e in shells), shells)
        share = [e for e in shells if "android.intent.action.SEND" in e]
        self.assertEqual(len(share), 1, shells)
        for part in ("video/*", "--eu android.intent.extra.STREAM "
                     "file:///sdcard/DCIM/tmx/my%20clip.mp4",
                     "-p com.zhiliaoapp.musically"):
            self.assertIn(part, share[0])
        self.assertRegex(p.stdout, r"(?m)^caption: (Hello|Hi) there$")
        self.assertEqual(remarks(p), [])

    def test_post_images_to_instagram(self):
        paths = []
        for i in range(2):
            paths.append(os.path.join(WORK, "img%d.jpg" % i))
            with open(paths[-1], "wb") as f:
                f.write(b"\xff\xd8jpeg" * (i + 1))
        p = run_script("post", {"material_list": paths, "content_type": 1,
                                "upload_wait_time": 0, "placement": "story"},
                       self.serial)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        share = [e for e in self.events() if "SEND_MULTIPLE" in e]
        self.assertEqual(len(share), 1)
        self.assertIn("image/*", share[0])
        self.assertIn("-p com.instagram.android", share[0])

    def test_post_failures(self):
        missing = os.path.join(WORK, "nope.mp4")
        p = run_script("post", {"material_list": [missing]}, self.serial)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(remarks(p), ["material file not found on this node: "
                                      + missing])
        p = run_script("post", {"material_list": []}, self.serial)
        self.assertEqual(p.returncode, 1)
        self.assertIn("materialLibrary", remarks(p)[-1])
        self.assertEqual([e for e in self.events() if e.startswith("push")],
                         [])

    def test_follow_then_unfollow(self):
        p = run_script("follow", {"target_users": ["@alice"]}, self.serial)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("shell %s am start -a android.intent.action.VIEW -d "
                      "https://www.tiktok.com/@alice" % self.serial,
                      self.events())
        taps = self.taps()
        self.assertEqual(len(taps), 1)
        self.assertTrue(inside(taps[0], FOLLOW_BOUNDS), taps)
        self.assertIn("@alice now shows Following", p.stdout)
        # Following already: follow fails, unfollow works once.
        p = run_script("follow", {"target_user": "alice", "ui_wait": 0},
                       self.serial)
        self.assertEqual((p.returncode, remarks(p)),
                         (1, ["no Follow button for @alice"]))
        p = run_script("unfollow", {"target_user": "alice"}, self.serial)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(len(self.taps()), 2)
        self.assertTrue(inside(self.taps()[1], FOLLOW_BOUNDS))
        p = run_script("unfollow", {"target_username": "alice", "ui_wait": 0},
                       self.serial)
        self.assertEqual((p.returncode, remarks(p)),
                         (1, ["no Following button for @alice"]))
        self.assertEqual(len(self.taps()), 2)

    def test_comment(self):
        url = "https://www.tiktok.com/@bob/video/7300000000000000000"
        p = run_script("comment", {"target_post_url": url,
                                   "comment_content": "great video\nnice",
                                   "comment_order": "sequential"},
                       self.serial)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        events = self.events()
        self.assertIn("shell %s input text great%%svideo" % self.serial, events)
        taps = self.taps()
        self.assertEqual(len(taps), 2, events)
        self.assertTrue(inside(taps[0], (40, 2200, 900, 2300)), taps)
        self.assertTrue(inside(taps[1], (920, 2200, 1060, 2300)), taps)
        box = events.index(taps[0])
        typed = events.index("shell %s input text great%%svideo" % self.serial)
        self.assertLess(box, typed)
        self.assertLess(typed, events.index(taps[1]))
        p = run_script("comment", {"target_post_urls": [url]}, self.serial)
        self.assertEqual((p.returncode, remarks(p)),
                         (1, ["comment_content is empty"]))

    def test_account_warmup(self):
        p = run_script("account_warmup", {
            "task_duration": 1, "min_duration": 0.2, "max_duration": 0.3,
            "like_probable": 100, "generate_by_chatgpt": True,
            "chatgpt_settings": {"api_key": "sk-do-not-print"}}, self.serial)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn("sk-do-not-print", p.stdout + p.stderr)
        events = self.events()
        self.assertTrue(any("monkey -p com.zhiliaoapp.musically" in e
                            for e in events), events)
        swipes = [e for e in events if "input swipe 540 1600 540 400 200" in e]
        self.assertGreaterEqual(len(swipes), 1)
        self.assertEqual(self.taps().count("tap %s 540 1200" % self.serial),
                         2 * len(swipes))

    def test_unknown_and_unauthorized_device(self):
        p = run_script("follow", {"target_user": "alice"}, "nosuch-device")
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(remarks(p),
                         ["adb shell failed: device 'nosuch-device' not found"])
        FAKE_ADB.cmd("state %s unauthorized" % self.serial)
        p = run_script("account_warmup", {"task_duration": 1}, self.serial)
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(remarks(p)[-1].startswith(
            "adb shell failed: device unauthorized."), remarks(p))

    def test_bad_config(self):
        env = env_for(FAKE_ADB.port, self.serial)
        p = subprocess.run([os.path.join(SCRIPTS, "follow")], input="[1",
                           env=env, capture_output=True, text=True,
                           timeout=TIMEOUT)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(remarks(p)[0].startswith("script_config is not JSON"))


class KillServer(unittest.TestCase):
    def test_kill_server_ends_the_fake(self):
        fake = Fake(WORK)
        try:
            p = run_adb(fake.port, "kill-server")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(fake.proc.wait(timeout=TIMEOUT), 0)
        finally:
            fake.kill()


if __name__ == "__main__":
    unittest.main()

"""Tests of tests/fake_adb.py itself: through Debian's real adb client, on
raw sockets with the requests tmx's own client sends, and host:kill."""

import os
import struct
import threading
import unittest
import zlib

from . import harness as h
from .harness import (TIMEOUT, Case, read_blob, recv_all, recv_exact,
                      request, run_adb)


class FakeThroughRealAdb(Case):
    def test_devices_l(self):
        self.fake.cmd("add U1%s unauthorized" % self.serial)
        self.fake.cmd("add O1%s offline" % self.serial)
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
        self.fake.cmd("remove U1%s" % self.serial)
        self.fake.cmd("remove O1%s" % self.serial)
        p = self.adb("devices")
        self.assertIn("%s\tdevice" % self.serial, p.stdout.splitlines())
        self.assertNotIn("U1" + self.serial, p.stdout)

    def test_shell_getprop_and_battery(self):
        p = self.adb("-s", self.serial, "shell", "getprop", "ro.product.model")
        self.assertEqual((p.returncode, p.stdout), (0, "Pixel 7\n"), p.stderr)
        p = self.adb("-s", self.serial, "shell",
                     "getprop ro.build.version.release")
        self.assertEqual(p.stdout, "14\n")
        self.fake.cmd("battery %s 12" % self.serial)
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
        self.fake.cmd("state %s unauthorized" % self.serial)
        p = self.adb("-s", self.serial, "get-state")
        self.assertEqual(p.stdout.strip(), "unauthorized")
        p = self.adb("-s", self.serial, "shell", "echo", "hi")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("device unauthorized.", p.stderr)
        p = self.adb("-s", "nosuch", "shell", "echo", "hi")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("device 'nosuch' not found", p.stderr)

    def test_push_then_cat(self):
        local = os.path.join(self.work, "push.bin")
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
        s = request(self.fake.port, "host:version")
        self.assertEqual(recv_all(s), b"OKAY00040029")
        s.close()

    def test_transport_shell_exec_and_tport(self):
        s = request(self.fake.port, "host:transport:" + self.serial,
                    "shell:getprop ro.product.model")
        self.assertEqual(recv_all(s), b"OKAYOKAYPixel 7\n")
        s.close()
        s = request(self.fake.port, "host:transport:" + self.serial,
                    "exec:screencap -p")
        out = recv_all(s)
        s.close()
        self.assertEqual(out[:16], b"OKAYOKAY\x89PNG\r\n\x1a\n")
        s = request(self.fake.port, "host:tport:serial:" + self.serial,
                    "shell:echo hi")
        out = recv_all(s)
        s.close()
        self.assertEqual(out[:4] + out[12:], b"OKAYOKAYhi\n")
        tid = struct.unpack("<Q", out[4:12])[0]
        s = request(self.fake.port, "host:devices-l")
        self.assertEqual(recv_exact(s, 4), b"OKAY")
        line = [l for l in read_blob(s).splitlines()
                if l.startswith(self.serial + " ")][0]
        s.close()
        self.assertTrue(line.endswith(" transport_id:%d" % tid), line)

    def test_transport_failures(self):
        s = request(self.fake.port, "host:transport:nosuch")
        self.assertEqual(recv_exact(s, 4), b"FAIL")
        self.assertEqual(read_blob(s), "device 'nosuch' not found")
        s.close()
        for state, text in (("unauthorized", "device unauthorized.\n"),
                            ("offline", "device offline"),
                            ("no_permissions",
                             "insufficient permissions for device")):
            self.fake.cmd("state %s %s" % (self.serial, state))
            s = request(self.fake.port, "host:transport:" + self.serial)
            self.assertEqual(recv_exact(s, 4), b"FAIL", state)
            self.assertTrue(read_blob(s).startswith(text), state)
            s.close()

    def test_track_devices_l(self):
        s = request(self.fake.port, "host:track-devices-l")
        self.assertEqual(recv_exact(s, 4), b"OKAY")
        first = read_blob(s)
        self.assertIn("%-22s device product:panther model:Pixel_7 "
                      "device:panther transport_id:" % self.serial, first)
        other = "X" + self.serial
        self.fake.cmd("add %s unauthorized model=Galaxy_S23" % other)
        listing = read_blob(s)
        self.assertRegex(listing, r"(?m)^%s +unauthorized transport_id:\d+$"
                         % other)
        self.fake.cmd("state %s device" % other)
        self.assertRegex(read_blob(s), r"(?m)^%s +device product:galaxy_s23 "
                         r"model:Galaxy_S23 device:galaxy_s23 transport_id:\d+$"
                         % other)
        self.fake.cmd("state %s no_permissions" % other)
        self.assertIn("%-22s no permissions (user in plugdev group; are your "
                      "udev rules wrong?); see "
                      "[http://developer.android.com/tools/device.html] "
                      "transport_id:" % other, read_blob(s))
        self.fake.cmd("remove %s" % other)
        self.assertNotIn(other, read_blob(s))
        self.fake.cmd("close-tracks")
        self.assertEqual(recv_all(s), b"")
        s.close()

    def test_client_vanishing_mid_request(self):
        s = request(self.fake.port)
        s.sendall(b"00ffhost:ver")
        s.close()
        s = request(self.fake.port, "host:transport:" + self.serial, "sync:")
        s.sendall(b"SEND" + struct.pack("<I", 12) + b"/sdcard/x,420"[:12])
        s.sendall(b"DATA" + struct.pack("<I", 1000) + b"partial")
        s.close()
        s = request(self.fake.port, "host:track-devices")
        s.close()
        p = self.adb("-s", self.serial, "shell", "echo", "alive")
        self.assertEqual(p.stdout, "alive\n")


class KillServer(unittest.TestCase):
    def test_kill_server_ends_the_fake(self):
        fake = h.Fake(h.WORK)
        try:
            p = run_adb(fake.port, "kill-server")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(fake.proc.wait(timeout=TIMEOUT), 0)
        finally:
            fake.kill()

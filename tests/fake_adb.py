#!/usr/bin/env python3
"""A fake adb server for tests: it speaks the adb host protocol on TCP.

Real adb clients (Debian's adb 1.0.41 with ANDROID_ADB_SERVER_PORT=<port>)
and tmx's own client talk to it as to a real server; the "devices" are
simulated in this process.  Python 3 standard library only.

    python3 tests/fake_adb.py --port 0 [--events FILE] [--log FILE]
                              [--features LIST]

It binds 127.0.0.1 (port 0: a free one) and prints "port N" as its first
stdout line.  Then it reads commands on stdin, one a line, and answers each
with "ok" or "error <text>" once the command is applied and every
track-devices client has been sent the new device list:

    add SERIAL [STATE] [model=M] [android=A] [battery=B] [product=P] [device=D]
    state SERIAL device|unauthorized|offline|no_permissions
    remove SERIAL
    battery SERIAL N
    screencap SERIAL FILE|default     (the bytes "screencap -p" returns)
    ui SERIAL FILE|default            (the XML "uiautomator dump" stores)
    close-tracks                      (drop every track-devices connection)
    quit                              (EOF on stdin quits too)

In model=/product=/device= values "_" stands for a space ("model=Pixel_7"
is "Pixel 7" in getprop and "model:Pixel_7" in `adb devices -l`, as real
adb sanitises it).

The canned window (uiautomator dump) has a "Follow" button at
[100,200][300,260]: "input tap" inside it toggles Follow / Following for
the profile last opened with "am start ... -d https://.../@USER" (each
profile keeps its own state), plus "Add comment..." and "Post" nodes.

--events FILE: one line per device-side action, appended and flushed before
the client gets its answer:
    shell SERIAL <cmd> | exec SERIAL <cmd> | push SERIAL <path> <size>
    | tap SERIAL X Y
--log FILE ("-" = stderr): every request received, for protocol debugging.
--features LIST: the device feature list sent for host:features (default
empty: clients then use shell protocol v1 and the legacy sync STAT).
"shell_v2" and "stat_v2" are implemented too.

"host:kill" answers OKAY and ends this process, as a real server does.
"""

import argparse
import os
import posixpath
import re
import socket
import struct
import sys
import threading
import time
import zlib

SERVER_VERSION = 41  # "host:version" answers "0029"

NOPERM_SHORT = ("no permissions (user in plugdev group; are your udev rules "
                "wrong?); see [http://developer.android.com/tools/device.html]")
NOPERM_LONG = ("insufficient permissions for device: user in plugdev group; "
               "are your udev rules wrong?\nSee "
               "[http://developer.android.com/tools/device.html] for more "
               "information")
UNAUTHORIZED = ("device unauthorized.\n"
                "This adb server's $ADB_VENDOR_KEYS is not set\n"
                "Try 'adb kill-server' if that seems wrong.\n"
                "Otherwise check for a confirmation dialog on your device.")

STATES = ("device", "unauthorized", "offline", "no_permissions")

SDK_OF_RELEASE = {"15": "35", "14": "34", "13": "33", "12": "32",
                  "11": "30", "10": "29", "9": "28", "8.1.0": "27",
                  "8.0.0": "26", "7.1.2": "25", "7.0": "24"}

# The canned window: a TikTok profile / video page reduced to a few nodes.
FOLLOW_BOUNDS = (100, 200, 300, 260)
SCREEN_W, SCREEN_H = 1080, 2400
PKG = "com.zhiliaoapp.musically"


def _node(index, text, cls, bounds, rid="", desc="", clickable=False,
          children="", focusable=False):
    return (
        '<node index="%d" text="%s" resource-id="%s" class="%s" '
        'package="%s" content-desc="%s" checkable="false" checked="false" '
        'clickable="%s" enabled="true" focusable="%s" focused="false" '
        'scrollable="false" long-clickable="false" password="false" '
        'selected="false" bounds="[%d,%d][%d,%d]">%s</node>'
        % (index, text, rid, cls, PKG, desc, str(clickable).lower(),
           str(focusable or clickable).lower(), bounds[0], bounds[1],
           bounds[2], bounds[3], children))


def canned_ui(follow_text, profile):
    user = "@" + profile if profile else "@tmx.user"
    nodes = "".join([
        _node(0, user, "android.widget.TextView", (100, 120, 600, 180),
              rid=PKG + ":id/username"),
        _node(1, follow_text, "android.widget.Button", FOLLOW_BOUNDS,
              rid=PKG + ":id/follow_button", clickable=True),
        _node(2, "Message", "android.widget.Button", (320, 200, 520, 260),
              rid=PKG + ":id/message_button", clickable=True),
        _node(3, "", "android.widget.ImageView", (0, 300, 1080, 2100),
              rid=PKG + ":id/video_view", desc="Video", clickable=True),
        _node(4, "", "android.widget.ImageView", (960, 1200, 1060, 1300),
              rid=PKG + ":id/like_button", desc="Like video",
              clickable=True),
        _node(5, "Add comment...", "android.widget.EditText",
              (40, 2200, 900, 2300), rid=PKG + ":id/comment_input",
              clickable=True),
        _node(6, "Post", "android.widget.Button", (920, 2200, 1060, 2300),
              rid=PKG + ":id/comment_post", clickable=True),
    ])
    frame = _node(0, "", "android.widget.FrameLayout",
                  (0, 0, SCREEN_W, SCREEN_H), children=nodes)
    return ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"
            '<hierarchy rotation="0">%s</hierarchy>' % frame).encode()


def make_png(width=360, height=640, rgb=(0x25, 0xF4, 0xEE)):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    row = b"\x00" + bytes(rgb) * width
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(row * height, 9))
            + chunk(b"IEND", b""))


DEFAULT_PNG = make_png()


class Device:
    def __init__(self, serial, tid):
        self.serial = serial
        self.state = "device"
        self.model = "Pixel 7"
        self.product = None
        self.device = None
        self.android = "14"
        self.battery = 87
        self.tid = tid
        self.files = {}
        self.dirs = {"/", "/sdcard", "/sdcard/DCIM", "/sdcard/Download",
                     "/sdcard/Pictures", "/sdcard/Movies", "/data",
                     "/data/local", "/data/local/tmp", "/system"}
        self.png = None
        self.ui = None
        self.profile = ""
        self.followed = set()

    def names(self):
        default = "panther" if self.model == "Pixel 7" else \
            re.sub(r"[^a-z0-9]+", "_", self.model.lower()).strip("_")
        return (self.product or default or "unknown",
                self.device or default or "unknown")

    def state_name(self):
        return NOPERM_SHORT if self.state == "no_permissions" else self.state

    def is_usb(self):
        return not (self.serial.startswith("emulator-") or ":" in self.serial)


def sanitize(value):
    return "".join(c if c.isascii() and c.isalnum() else "_" for c in value)


class World:
    def __init__(self, events, log, features):
        self.lock = threading.RLock()
        self.devices = {}
        self.next_tid = 1
        self.trackers = []  # [sock, long_format, last_text]
        self.events = events
        self.log_file = log
        self.features = features
        self.out_lock = threading.Lock()

    # -- recording ---------------------------------------------------------
    def event(self, text):
        if self.events is None:
            return
        with self.out_lock:
            self.events.write(text.replace("\n", "\\n") + "\n")
            self.events.flush()

    def log(self, text):
        if self.log_file is None:
            return
        with self.out_lock:
            self.log_file.write(text + "\n")
            self.log_file.flush()

    # -- device list -------------------------------------------------------
    def sorted_devices(self):
        return sorted(self.devices.values(),
                      key=lambda d: (not d.is_usb(), d.serial))

    def list_text(self, long_format):
        out = []
        for d in self.sorted_devices():
            if not long_format:
                out.append("%s\t%s\n" % (d.serial, d.state_name()))
                continue
            line = "%-22s %s" % (d.serial, d.state_name())
            if d.state == "device":
                product, device = d.names()
                line += " product:%s model:%s device:%s" % (
                    product.replace("\n", "_"), sanitize(d.model),
                    device.replace("\n", "_"))
            line += " transport_id:%d" % d.tid
            out.append(line + "\n")
        return "".join(out)

    def push_tracks(self):
        with self.lock:
            for t in list(self.trackers):
                text = self.list_text(t[1])
                if text == t[2]:
                    continue
                try:
                    send_blob(t[0], text.encode())
                    t[2] = text
                except OSError:
                    self.drop_tracker(t)

    def drop_tracker(self, t):
        with self.lock:
            if t in self.trackers:
                self.trackers.remove(t)
        try:
            t[0].shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- transport selection (as adb's acquire_one_transport) --------------
    def acquire(self, kind, arg=None, any_state=False):
        """kind: serial | id | usb | local | any.  Returns (device, error)."""
        with self.lock:
            if kind == "id":
                error = "no device with transport id '%s'" % arg
            elif kind == "serial":
                error = "device '%s' not found" % arg
            elif kind == "local":
                error = "no emulators found"
            elif kind == "any":
                error = "no devices/emulators found"
            else:
                error = "no devices found"
            result = None
            for d in self.sorted_devices():
                if d.state == "no_permissions":
                    error = NOPERM_LONG
                    continue
                if kind == "id":
                    if str(d.tid) == str(arg):
                        result = d
                        break
                    continue
                if kind == "serial":
                    product, device = d.names()
                    match = arg in (d.serial, "product:" + product,
                                    "model:" + sanitize(d.model),
                                    "device:" + device)
                    what = "more than one device"
                elif kind == "usb":
                    match, what = d.is_usb(), "more than one device"
                elif kind == "local":
                    match, what = not d.is_usb(), "more than one emulator"
                else:
                    match, what = True, "more than one device/emulator"
                if match:
                    if result is not None:
                        return None, what
                    result = d
            if result is None:
                return None, error
            if not any_state:
                if result.state == "unauthorized":
                    return None, UNAUTHORIZED
                if result.state == "offline":
                    return None, "device offline"
            return result, None


# -- wire helpers ----------------------------------------------------------
class Closed(Exception):
    pass


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise Closed()
        buf += chunk
    return bytes(buf)


def read_request(sock):
    try:
        head = recv_exact(sock, 4)
    except Closed:
        return None
    try:
        n = int(head.decode("ascii"), 16)
    except ValueError:
        raise Closed()
    return recv_exact(sock, n).decode("utf-8", "replace")


def send_blob(sock, data):
    sock.sendall(b"%04x" % len(data) + data)


def okay(sock, data=None):
    sock.sendall(b"OKAY")
    if data is not None:
        send_blob(sock, data if isinstance(data, bytes) else data.encode())


def fail(sock, message):
    sock.sendall(b"FAIL")
    send_blob(sock, message.encode())


def finish(sock):
    """Orderly close: FIN first, then drain what the peer still sends so the
    kernel does not answer our unread input with a reset."""
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(2.0)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                break
    except OSError:
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


# -- the simulated device shell ------------------------------------------
REDIRECT = re.compile(r"^(\d?)(>>?)(&\d)?$")


def tokenize(cmd):
    """Split a shell command into words and operators (; && || | and
    redirections), honouring quotes and backslashes."""
    tokens, word, have, i = [], [], False, 0
    while i < len(cmd):
        c = cmd[i]
        if c == "'":
            j = cmd.find("'", i + 1)
            j = len(cmd) if j < 0 else j
            word.append(cmd[i + 1:j])
            have, i = True, j + 1
            continue
        if c == '"':
            i += 1
            while i < len(cmd) and cmd[i] != '"':
                if cmd[i] == "\\" and i + 1 < len(cmd) and cmd[i + 1] in '"\\$`':
                    i += 1
                word.append(cmd[i])
                i += 1
            have, i = True, i + 1
            continue
        if c == "\\" and i + 1 < len(cmd):
            word.append(cmd[i + 1])
            have, i = True, i + 2
            continue
        if c.isspace() or c in ";&|<>":
            if c in ">" and word and "".join(word).isdigit() and len(word) == 1:
                pass  # "2>" belongs to the redirection
            elif have:
                tokens.append(("w", "".join(word)))
                word, have = [], False
            if c.isspace():
                i += 1
                continue
            if c == ">":
                fd = word.pop() if word else ""
                word, have = [], False
                op = ">>" if cmd.startswith(">>", i) else ">"
                i += len(op)
                dup = ""
                if cmd.startswith("&", i) and i + 1 < len(cmd) and cmd[i + 1].isdigit():
                    dup, i = cmd[i:i + 2], i + 2
                tokens.append(("r", fd + op + dup))
                continue
            two = cmd[i:i + 2]
            if two in ("&&", "||"):
                tokens.append(("o", two))
                i += 2
            elif c in ";|":
                tokens.append(("o", c))
                i += 1
            elif c == "&":
                tokens.append(("o", ";"))
                i += 1
            else:
                i += 1  # "<": input redirection is ignored
            continue
        word.append(c)
        have, i = True, i + 1
    if have:
        tokens.append(("w", "".join(word)))
    return tokens


def canon(path):
    if not path.startswith("/"):
        path = "/" + path
    path = posixpath.normpath(path)
    for alias in ("/storage/emulated/0", "/storage/self/primary", "/mnt/sdcard"):
        if path == alias or path.startswith(alias + "/"):
            path = "/sdcard" + path[len(alias):]
    return path


class Shell:
    def __init__(self, world, dev):
        self.world = world
        self.dev = dev

    def run(self, cmd):
        """Returns (stdout bytes, stderr bytes, exit code)."""
        tokens = tokenize(cmd)
        out, err, rc = b"", b"", 0
        pipeline, cond = [], ";"
        groups = []  # (condition, [simple commands])
        cur = []
        for kind, value in tokens:
            if kind == "o" and value in (";", "&&", "||"):
                if cur:
                    pipeline.append(cur)
                if pipeline:
                    groups.append((cond, pipeline))
                pipeline, cur, cond = [], [], value
            elif kind == "o" and value == "|":
                pipeline.append(cur)
                cur = []
            else:
                cur.append((kind, value))
        if cur:
            pipeline.append(cur)
        if pipeline:
            groups.append((cond, pipeline))
        for cond, pipeline in groups:
            if cond == "&&" and rc != 0 or cond == "||" and rc == 0:
                continue
            data = b""
            for simple in pipeline:
                o, e, rc = self.simple(simple, data)
                data = o
                err += e
            out += data
        return out, err, rc

    def simple(self, tokens, stdin):
        words, redirs, pending = [], [], None
        for kind, value in tokens:
            if pending is not None:
                redirs.append((pending, value))
                pending = None
            elif kind == "r":
                if "&" in value:
                    redirs.append((value, None))
                else:
                    pending = value
            else:
                words.append(value)
        o, e, rc = self.command(words, stdin) if words else (b"", b"", 0)
        for op, target in redirs:
            m = REDIRECT.match(op)
            fd = m.group(1) or "1"
            if m.group(3):  # 2>&1 / 1>&2
                if fd == "2":
                    o, e = o + e, b""
                else:
                    o, e = b"", e + o
                continue
            data = o if fd == "1" else e
            if fd == "1":
                o = b""
            else:
                e = b""
            if target and target != "/dev/null":
                path = canon(target)
                old = self.dev.files.get(path, b"") if m.group(2) == ">>" else b""
                self.dev.files[path] = old + data
        return o, e, rc

    def command(self, argv, stdin):
        dev, name, args = self.dev, argv[0], argv[1:]
        if name == "getprop":
            props = self.props()
            if not args:
                return "".join("[%s]: [%s]\n" % kv
                               for kv in sorted(props.items())).encode(), b"", 0
            return (props.get(args[0], args[1] if len(args) > 1 else "")
                    + "\n").encode(), b"", 0
        if name == "dumpsys":
            if args[:1] == ["battery"]:
                return self.battery_text().encode(), b"", 0
            return b"", b"", 0
        if name == "screencap":
            png = dev.png if dev.png is not None else DEFAULT_PNG
            files = [a for a in args if not a.startswith("-")]
            if files:
                dev.files[canon(files[0])] = png
                return b"", b"", 0
            if "-p" in args:
                return png, b"", 0
            raw = struct.pack("<IIII", 360, 640, 1, 0) + b"\x25\xf4\xee\xff" * 360 * 640
            return raw, b"", 0
        if name == "uiautomator":
            if args[:1] != ["dump"]:
                return b"", b"", 0
            paths = [a for a in args[1:] if not a.startswith("-")]
            path = paths[0] if paths else "/sdcard/window_dump.xml"
            dev.files[canon(path)] = self.ui_xml()
            return ("UI hierchary dumped to: %s\n" % path).encode(), b"", 0
        if name == "cat":
            if not args:
                return stdin, b"", 0
            out, err, rc = b"", b"", 0
            for a in args:
                p = canon(a)
                if p in dev.files:
                    out += dev.files[p]
                elif self.is_dir(p):
                    err += ("cat: %s: Is a directory\n" % a).encode()
                    rc = 1
                else:
                    err += ("cat: %s: No such file or directory\n" % a).encode()
                    rc = 1
            return out, err, rc
        if name == "echo":
            newline = "\n"
            if args[:1] == ["-n"]:
                args, newline = args[1:], ""
            return (" ".join(args) + newline).encode(), b"", 0
        if name == "grep":
            return self.grep(args, stdin)
        if name == "rm":
            for a in args:
                if not a.startswith("-"):
                    dev.files.pop(canon(a), None)
            return b"", b"", 0
        if name == "mkdir":
            for a in args:
                if not a.startswith("-"):
                    dev.dirs.add(canon(a))
            return b"", b"", 0
        if name == "ls":
            paths = [a for a in args if not a.startswith("-")] or ["/sdcard"]
            out = []
            for a in paths:
                p = canon(a)
                if p in dev.files:
                    out.append(a)
                elif self.is_dir(p):
                    out.extend(sorted(self.children(p)))
                else:
                    return b"", ("ls: %s: No such file or directory\n"
                                 % a).encode(), 1
            return "".join(x + "\n" for x in out).encode(), b"", 0
        if name == "wm" and args[:1] == ["size"]:
            return b"Physical size: %dx%d\n" % (SCREEN_W, SCREEN_H), b"", 0
        if name == "input":
            if args[:1] == ["tap"] and len(args) >= 3:
                self.tap(args[1], args[2])
            return b"", b"", 0
        if name == "am":
            if args[:1] == ["start"] and "-d" in args:
                i = args.index("-d")
                if i + 1 < len(args):
                    m = re.search(r"/@([^/?#]+)", args[i + 1])
                    dev.profile = m.group(1) if m else ""
            return b"", b"", 0
        if name in ("true", ":"):
            return b"", b"", 0
        if name == "false":
            return b"", b"", 1
        if name == "exit":
            try:
                return b"", b"", int(args[0]) if args else 0
            except ValueError:
                return b"", b"", 2
        return b"", b"", 0  # monkey, svc, pm, settings, ...: recorded only

    def props(self):
        d = self.dev
        product, device = d.names()
        return {
            "ro.product.model": d.model,
            "ro.product.manufacturer": "Google" if "Pixel" in d.model else "unknown",
            "ro.product.name": product,
            "ro.product.device": device,
            "ro.build.version.release": d.android,
            "ro.build.version.sdk": SDK_OF_RELEASE.get(d.android, "34"),
            "ro.serialno": d.serial,
            "ro.boot.serialno": d.serial,
            "sys.boot_completed": "1",
            "ro.product.cpu.abi": "arm64-v8a",
        }

    def battery_text(self):
        level = self.dev.battery
        return (
            "Current Battery Service state:\n"
            "  AC powered: false\n"
            "  USB powered: true\n"
            "  Wireless powered: false\n"
            "  Dock powered: false\n"
            "  Max charging current: 500000\n"
            "  Max charging voltage: 5000000\n"
            "  Charge counter: %d\n"
            "  status: %d\n"
            "  health: 2\n"
            "  present: true\n"
            "  level: %d\n"
            "  scale: 100\n"
            "  voltage: 4213\n"
            "  temperature: 285\n"
            "  technology: Li-ion\n"
            % (level * 43000, 5 if level >= 100 else 2, level))

    def ui_xml(self):
        if self.dev.ui is not None:
            return self.dev.ui
        text = "Following" if self.dev.profile in self.dev.followed else "Follow"
        return canned_ui(text, self.dev.profile)

    def tap(self, xs, ys):
        try:
            x, y = int(float(xs)), int(float(ys))
        except ValueError:
            return
        self.world.event("tap %s %d %d" % (self.dev.serial, x, y))
        x1, y1, x2, y2 = FOLLOW_BOUNDS
        if self.dev.ui is None and x1 <= x < x2 and y1 <= y < y2:
            p = self.dev.profile
            if p in self.dev.followed:
                self.dev.followed.discard(p)
            else:
                self.dev.followed.add(p)

    def grep(self, args, stdin):
        flags, invert, fixed, pats = 0, False, False, []
        for a in args:
            if a.startswith("-") and len(a) > 1 and not pats:
                flags |= re.I if "i" in a else 0
                invert |= "v" in a
                fixed |= "F" in a
            else:
                pats.append(a)
        if not pats:
            return b"", b"usage: grep PATTERN\n", 2
        pat = re.escape(pats[0]) if fixed else pats[0]
        try:
            rx = re.compile(pat, flags)
        except re.error:
            rx = re.compile(re.escape(pats[0]), flags)
        lines = [l for l in stdin.decode("utf-8", "replace").splitlines(True)
                 if bool(rx.search(l)) != invert]
        return "".join(lines).encode(), b"", 0 if lines else 1

    def is_dir(self, p):
        if p in self.dev.dirs:
            return True
        prefix = p.rstrip("/") + "/"
        return any(f.startswith(prefix) for f in self.dev.files) or \
            any(d.startswith(prefix) for d in self.dev.dirs)

    def children(self, p):
        prefix = p.rstrip("/") + "/"
        names = set()
        for f in list(self.dev.files) + list(self.dev.dirs):
            if f.startswith(prefix) and f != prefix:
                names.add(f[len(prefix):].split("/")[0])
        return names


# -- connection handling -------------------------------------------------
class Connection:
    def __init__(self, world, sock):
        self.world = world
        self.sock = sock

    def run(self):
        keep = False
        try:
            keep = self.serve()
        except (OSError, Closed, UnicodeError, ValueError, struct.error):
            pass
        except Exception as e:  # never let one client end the server
            self.world.log("internal error: %r" % (e,))
        finally:
            if not keep:
                finish(self.sock)

    def serve(self):
        """Returns True when the socket was handed over (track-devices)."""
        dev = None  # the transport, once one is selected
        while True:
            req = read_request(self.sock)
            if req is None:
                return False
            self.world.log("request %s" % req)
            if dev is None:
                result = self.host(req)
                if result == "track":
                    return True
                if result is None:
                    return False
                dev = result
                continue
            self.device_service(dev, req)
            return False

    def selector(self, rest):
        """Parses the target of host:transport*/host:tport:*."""
        if rest.startswith("transport:"):
            return "serial", rest[len("transport:"):]
        if rest.startswith("transport-id:"):
            return "id", rest[len("transport-id:"):]
        if rest in ("transport-usb", "transport-local", "transport-any"):
            return rest[len("transport-"):], None
        if rest.startswith("tport:serial:"):
            return "serial", rest[len("tport:serial:"):]
        if rest in ("tport:usb", "tport:local", "tport:any"):
            return rest[len("tport:"):], None
        return None

    def split_target(self, req):
        """host-serial:S:cmd, host-transport-id:N:cmd, host-usb:cmd,
        host-local:cmd, host:cmd -> (kind, arg, cmd)."""
        if req.startswith("host-serial:"):
            rest = req[len("host-serial:"):]
            for cmd in ("features", "get-state", "get-serialno", "get-devpath",
                        "wait-for-any-device", "wait-for-usb-device",
                        "wait-for-local-device", "wait-for-any-recovery",
                        "wait-for-any-bootloader", "wait-for-any-sideload",
                        "wait-for-any-disconnect", "wait-for-usb-disconnect",
                        "list-forward", "reconnect"):
                if rest.endswith(":" + cmd):
                    return "serial", rest[:-len(cmd) - 1], cmd
            m = re.match(r"^((?:tcp:|udp:)?[^:]+:\d+|[^:]+):(.*)$", rest)
            if m:
                return "serial", m.group(1), m.group(2)
            return "serial", rest, ""
        if req.startswith("host-transport-id:"):
            tid, _, cmd = req[len("host-transport-id:"):].partition(":")
            return "id", tid, cmd
        if req.startswith("host-usb:"):
            return "usb", None, req[len("host-usb:"):]
        if req.startswith("host-local:"):
            return "local", None, req[len("host-local:"):]
        if req.startswith("host:"):
            return "any", None, req[len("host:"):]
        return None, None, req

    def host(self, req):
        """Handles a host request.  Returns a Device when the connection now
        belongs to that device, "track" for a tracking connection, None when
        the request is answered and the connection should close."""
        w, s = self.world, self.sock
        kind, arg, cmd = self.split_target(req)
        if kind is None:
            fail(s, "unknown host service")
            return None
        if kind == "any":
            sel = self.selector(cmd)
            if sel is not None:
                d, error = w.acquire(sel[0], sel[1])
                if d is None:
                    fail(s, error)
                    return None
                s.sendall(b"OKAY")
                if cmd.startswith("tport:"):
                    s.sendall(struct.pack("<Q", d.tid))
                return d
            if cmd == "version":
                okay(s, "%04x" % SERVER_VERSION)
                return None
            if cmd in ("devices", "devices-l"):
                with w.lock:
                    text = w.list_text(cmd == "devices-l")
                okay(s, text)
                return None
            if cmd in ("track-devices", "track-devices-l"):
                # A tracker that stops reading must not stall the others:
                # sends give up after 5 s (and drop that tracker).
                s.settimeout(5.0)
                with w.lock:
                    text = w.list_text(cmd == "track-devices-l")
                    s.sendall(b"OKAY")
                    send_blob(s, text.encode())
                    t = [s, cmd == "track-devices-l", text]
                    w.trackers.append(t)
                threading.Thread(target=self.track_reader, args=(t,),
                                 daemon=True).start()
                return "track"
            if cmd == "kill":
                s.sendall(b"OKAY")
                w.log("killed by host:kill")
                finish(s)
                os._exit(0)
            if cmd == "host-features":
                okay(s, "shell_v2,cmd,stat_v2")
                return None
            if cmd.startswith("connect:"):
                okay(s, "failed to connect to '%s': Connection refused"
                     % cmd[len("connect:"):])
                return None
            if cmd.startswith("disconnect:"):
                okay(s, "no such device '%s'" % cmd[len("disconnect:"):])
                return None
            if cmd == "list-forward":
                okay(s, "")
                return None
        # A command about one device.
        if cmd == "list-forward":
            okay(s, "")
            return None
        wait = re.match(r"^wait-for-(any|usb|local)-(device|recovery|"
                        r"bootloader|sideload|disconnect)$", cmd)
        if wait:
            self.wait_for(kind if kind != "any" else wait.group(1), arg,
                          wait.group(2))
            return None
        any_state = cmd in ("get-state", "get-serialno", "get-devpath")
        if cmd in ("features", "get-state", "get-serialno", "get-devpath",
                   "reconnect"):
            d, error = w.acquire(kind, arg, any_state=any_state)
            if d is None:
                fail(s, error)
            elif cmd == "features":
                okay(s, w.features)
            elif cmd == "get-state":
                okay(s, d.state_name())
            elif cmd == "get-serialno":
                okay(s, d.serial)
            elif cmd == "get-devpath":
                okay(s, "usb:1-1" if d.is_usb() else "unknown")
            else:
                okay(s, "reconnecting %s [%s]" % (d.serial, d.state_name()))
            return None
        fail(s, "unknown host service")
        return None

    def wait_for(self, kind, arg, state):
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            d, _ = self.world.acquire(kind, arg, any_state=True)
            if state == "disconnect" and d is None or \
                    state == "device" and d is not None and d.state == "device":
                self.sock.sendall(b"OKAY")
                return
            # Notice a client that gave up waiting.
            self.sock.settimeout(0.1)
            try:
                if self.sock.recv(1, socket.MSG_PEEK) == b"":
                    return
            except socket.timeout:
                pass
            finally:
                self.sock.settimeout(None)

    def track_reader(self, t):
        while True:
            try:
                if not self.sock.recv(4096):
                    break
            except socket.timeout:
                if t not in self.world.trackers:
                    break
            except OSError:
                break
        self.world.drop_tracker(t)
        try:
            self.sock.close()
        except OSError:
            pass

    # -- services on a device --------------------------------------------
    def device_service(self, dev, req):
        w, s = self.world, self.sock
        if dev.serial not in w.devices or w.devices[dev.serial] is not dev:
            fail(s, "device '%s' not found" % dev.serial)
            return
        if req.startswith("shell") and re.match(r"^shell(,[^:]*)?:", req):
            opts, _, cmd = req.partition(":")
            v2 = "v2" in opts.split(",")[1:]
            w.event("shell %s %s" % (dev.serial, cmd))
            with w.lock:
                out, err, rc = Shell(w, dev).run(cmd)
            s.sendall(b"OKAY")
            if v2:
                if out:
                    s.sendall(struct.pack("<BI", 1, len(out)) + out)
                if err:
                    s.sendall(struct.pack("<BI", 2, len(err)) + err)
                s.sendall(struct.pack("<BIB", 3, 1, rc & 0xFF))
            else:
                s.sendall(out + err)
            return
        if req.startswith("exec:"):
            cmd = req[len("exec:"):]
            w.event("exec %s %s" % (dev.serial, cmd))
            with w.lock:
                out, err, _ = Shell(w, dev).run(cmd)
            s.sendall(b"OKAY" + out + err)
            return
        if req == "sync:":
            s.sendall(b"OKAY")
            Sync(w, dev, s).run()
            return
        fail(s, "closed")


class Sync:
    """The file sync protocol (SYNC.TXT): 4-byte id + 4-byte LE length."""

    S_IFDIR, S_IFREG = 0o040000, 0o100000

    def __init__(self, world, dev, sock):
        self.world, self.dev, self.sock = world, dev, sock

    def header(self):
        h = recv_exact(self.sock, 8)
        return h[:4], struct.unpack("<I", h[4:])[0]

    def fail(self, message):
        m = message.encode()
        self.sock.sendall(b"FAIL" + struct.pack("<I", len(m)) + m)

    def lookup(self, path):
        """(mode, size) or None."""
        p = canon(path)
        with self.world.lock:
            if p in self.dev.files:
                return self.S_IFREG | 0o660, len(self.dev.files[p])
            if Shell(self.world, self.dev).is_dir(p):
                return self.S_IFDIR | 0o771, 4096
        return None

    def stat2(self, ident, path):
        st = self.lookup(path)
        now = int(time.time())
        if st is None:
            return struct.pack("<4sIQQIIIIQqqq", ident, 2, 0, 0, 0, 0, 0, 0,
                               0, 0, 0, 0)
        return struct.pack("<4sIQQIIIIQqqq", ident, 0, 64773, 1, st[0], 1,
                           1023, 1023, st[1], now, now, now)

    def run(self):
        w = self.world
        while True:
            ident, n = self.header()
            if ident in (b"STAT", b"STA2", b"LST2", b"LIST", b"LIS2",
                         b"RECV", b"SEND"):
                if n > 1024 + 16:
                    self.fail("path too long")
                    return
                path = recv_exact(self.sock, n).decode("utf-8", "replace")
                w.log("sync %s %s" % (ident.decode(), path))
            else:
                w.log("sync %s %d" % (ident.decode("ascii", "replace"), n))
            if ident == b"STAT":
                st = self.lookup(path)
                mode, size = st if st else (0, 0)
                self.sock.sendall(b"STAT" + struct.pack(
                    "<III", mode, size, int(time.time()) if st else 0))
            elif ident in (b"STA2", b"LST2"):
                self.sock.sendall(self.stat2(ident, path))
            elif ident in (b"LIST", b"LIS2"):
                self.list(ident, path)
            elif ident == b"RECV":
                self.recv(path)
            elif ident == b"SEND":
                if not self.send(path):
                    return
            elif ident == b"QUIT":
                return
            else:
                self.fail("unknown sync request")
                return

    def list(self, ident, path):
        p = canon(path)
        with self.world.lock:
            names = sorted(Shell(self.world, self.dev).children(p))
        now = int(time.time())
        for name in names:
            st = self.lookup(p.rstrip("/") + "/" + name) or (0, 0)
            raw = name.encode()
            if ident == b"LIST":
                self.sock.sendall(b"DENT" + struct.pack(
                    "<IIII", st[0], st[1], now, len(raw)) + raw)
            else:
                self.sock.sendall(struct.pack(
                    "<4sIQQIIIIQqqqI", b"DNT2", 0, 64773, 1, st[0], 1, 1023,
                    1023, st[1], now, now, now, len(raw)) + raw)
        if ident == b"LIST":
            self.sock.sendall(b"DONE" + b"\0" * 16)
        else:
            self.sock.sendall(b"DONE" + b"\0" * 68)

    def recv(self, path):
        p = canon(path)
        with self.world.lock:
            data = self.dev.files.get(p)
        if data is None:
            self.fail("No such file or directory")
            return
        for i in range(0, len(data), 65536):
            chunk = data[i:i + 65536]
            self.sock.sendall(b"DATA" + struct.pack("<I", len(chunk)) + chunk)
        self.sock.sendall(b"DONE" + struct.pack("<I", 0))

    def send(self, spec):
        path, _, mode = spec.rpartition(",")
        if not path:
            path = spec
        data = bytearray()
        while True:
            ident, n = self.header()
            if ident == b"DATA":
                if n > 256 * 1024:
                    self.fail("data chunk too large")
                    return False
                data += recv_exact(self.sock, n)
            elif ident == b"DONE":
                break
            else:
                self.fail("invalid data message")
                return False
        p = canon(path)
        with self.world.lock:
            if path.endswith("/") or (Shell(self.world, self.dev).is_dir(p)
                                      and p not in self.dev.files):
                self.fail("couldn't create file: Is a directory")
                return True
            self.dev.files[p] = bytes(data)
        self.world.event("push %s %s %d" % (self.dev.serial, path, len(data)))
        self.sock.sendall(b"OKAY" + struct.pack("<I", 0))
        return True


# -- commands on stdin --------------------------------------------------
def apply(world, line):
    words = line.split()
    if not words:
        return None
    cmd, args = words[0], words[1:]
    with world.lock:
        devs = world.devices
        if cmd == "add":
            if not args:
                return "usage: add SERIAL [STATE] [key=value...]"
            serial = args[0]
            if serial in devs:
                return "device %s exists" % serial
            d = Device(serial, world.next_tid)
            for a in args[1:]:
                key, eq, value = a.partition("=")
                if not eq:
                    if a not in STATES:
                        return "unknown state %s" % a
                    d.state = a
                elif key == "model":
                    d.model = value.replace("_", " ")
                elif key == "android":
                    d.android = value
                elif key == "battery":
                    try:
                        d.battery = int(value)
                    except ValueError:
                        return "bad battery %s" % value
                elif key == "product":
                    d.product = value.replace("_", " ")
                elif key == "device":
                    d.device = value.replace("_", " ")
                else:
                    return "unknown option %s" % key
            world.next_tid += 1
            devs[serial] = d
        elif cmd in ("state", "battery", "screencap", "ui"):
            if len(args) != 2:
                return "usage: %s SERIAL VALUE" % cmd
            d = devs.get(args[0])
            if d is None:
                return "no device %s" % args[0]
            if cmd == "state":
                if args[1] not in STATES:
                    return "unknown state %s" % args[1]
                d.state = args[1]
            elif cmd == "battery":
                try:
                    d.battery = int(args[1])
                except ValueError:
                    return "bad battery %s" % args[1]
            else:
                data = None
                if args[1] != "default":
                    try:
                        with open(args[1], "rb") as f:
                            data = f.read()
                    except OSError as e:
                        return "cannot read %s: %s" % (args[1], e.strerror)
                if cmd == "screencap":
                    d.png = data
                else:
                    d.ui = data
        elif cmd == "remove":
            if not args or args[0] not in devs:
                return "no device %s" % (args[0] if args else "")
            del devs[args[0]]
        elif cmd == "close-tracks":
            for t in list(world.trackers):
                world.drop_tracker(t)
        else:
            return "unknown command %s" % cmd
        world.push_tracks()
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--events")
    ap.add_argument("--log")
    ap.add_argument("--features", default="")
    opts = ap.parse_args()

    events = open(opts.events, "a", encoding="utf-8") if opts.events else None
    log = None
    if opts.log == "-":
        log = sys.stderr
    elif opts.log:
        log = open(opts.log, "a", encoding="utf-8")
    world = World(events, log, opts.features)

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", opts.port))
    srv.listen(128)

    def accept_loop():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=Connection(world, conn).run,
                             daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    print("port %d" % srv.getsockname()[1], flush=True)

    for line in sys.stdin:
        line = line.strip()
        if line == "quit":
            break
        if not line:
            continue
        try:
            error = apply(world, line)
        except Exception as e:  # keep the command channel alive
            error = "internal %r" % (e,)
        print("ok" if error is None else "error " + error, flush=True)
    try:
        srv.close()
    except OSError:
        pass
    with world.lock:
        for t in list(world.trackers):
            world.drop_tracker(t)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()

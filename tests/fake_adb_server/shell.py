"""The simulated phone's shell: enough of sh (quotes, ; && || |,
redirections) and of the commands scripts and tmx run (getprop, dumpsys
battery, screencap, uiautomator dump, input tap, am start, cat, ls, ...)."""

import posixpath
import re
import struct

from .device import (DEFAULT_PNG, FOLLOW_BOUNDS, SCREEN_H, SCREEN_W,
                     SDK_OF_RELEASE, canned_ui)

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

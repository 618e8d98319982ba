"""The file sync protocol of the fake adb server (adb push / pull / ls):
STAT, STA2, LST2, LIST, LIS2, RECV, SEND, QUIT."""

import struct
import time

from .shell import Shell, canon
from .wire import recv_exact


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

"""One client connection to the fake adb server: host services (version,
devices, track-devices, transport selection, kill, ...) and then, once a
transport is chosen, one device service (shell:, exec:, sync:)."""

import os
import re
import socket
import struct
import threading
import time

from .shell import Shell
from .sync import Sync
from .wire import Closed, fail, finish, okay, read_request, send_blob

SERVER_VERSION = 41  # "host:version" answers "0029"


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

"""Everything the fake adb server knows: its phones, the track-devices
clients it keeps up to date, adb's transport selection, and the commands
that change the phones (read on stdin)."""

import socket
import threading

from .device import NOPERM_LONG, STATES, UNAUTHORIZED, Device, sanitize
from .wire import send_blob


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

"""One simulated phone of the fake adb server: its state, the texts real
adb gives for each state, and the canned window and screenshot it shows."""

import re
import struct
import zlib

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

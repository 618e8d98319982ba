"""Helpers shared by the tmx reference scripts (Python 3 standard library).

A tmx script gets its task's script_config as one JSON object on stdin and
its device in ANDROID_SERIAL; every line it prints is a task log line and a
line "::remark <text>" sets the task's remark (see docs/scripts.md).  This
module runs `adb -s $ANDROID_SERIAL ...`; adb itself honours the
ANDROID_ADB_SERVER_PORT / ADB_SERVER_SOCKET the runner sets, so the script
talks to the same adb server as the tmx host.  TMX_ADB may name another adb
binary (default: `adb` on PATH).
"""

import json
import os
import random
import re
import shlex
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

SERIAL = os.environ.get("ANDROID_SERIAL", "")
TASK_ID = os.environ.get("TMX_TASK_ID", "")
SCRIPT = os.environ.get("TMX_SCRIPT") or os.path.basename(sys.argv[0])
USERNAME = os.environ.get("TMX_USERNAME", "")
NODE = os.environ.get("TMX_NODE", "")
ADB = os.environ.get("TMX_ADB", "adb")

TIKTOK = "com.zhiliaoapp.musically"
INSTAGRAM = "com.instagram.android"
UI_DUMP = "/sdcard/window_dump.xml"

quote = shlex.quote


def step(*parts):
    """Prints one log line at once (the runner shows it live)."""
    print(" ".join(str(p) for p in parts), flush=True)


def remark(text):
    print("::remark " + " ".join(str(text).split()), flush=True)


def fail(text):
    """Sets the task's remark and ends the script as failed (exit 1)."""
    remark(text)
    sys.exit(1)


def start():
    """Reads the script_config from stdin and prints where the script runs.
    Returns the config (a dict)."""
    data = sys.stdin.read()
    try:
        config = json.loads(data) if data.strip() else {}
    except ValueError as e:
        fail("script_config is not JSON: %s" % e)
    if not isinstance(config, dict):
        fail("script_config is not a JSON object")
    if not SERIAL:
        fail("ANDROID_SERIAL is not set: run this script through tmx "
             "(or set it by hand)")
    server = os.environ.get("ADB_SERVER_SOCKET") or "tcp:" + os.environ.get(
        "ANDROID_ADB_SERVER_PORT", "5037")
    step("%s: task %s, device %s, account %s, node %s, adb server %s" % (
        SCRIPT, TASK_ID or "-", SERIAL, USERNAME or "-", NODE or "-", server))
    return config


def _adb_error(proc):
    text = (proc.stderr or b"").decode("utf-8", "replace")
    if not text.strip():
        text = (proc.stdout or b"").decode("utf-8", "replace")
    lines = [l.strip() for l in text.splitlines()
             if l.strip() and not l.startswith("* ")]
    message = " ".join(lines)
    message = re.sub(r"^(adb(\.exe)?: )?(error: )?", "", message)
    return message[:500] or "exit code %d" % proc.returncode


def adb(*args, binary=False, timeout=120):
    """Runs `adb -s $ANDROID_SERIAL args...`; returns its stdout (text, or
    bytes with binary=True).  Any adb error ends the script with a remark
    carrying adb's message."""
    try:
        proc = subprocess.run([ADB, "-s", SERIAL] + [str(a) for a in args],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout)
    except FileNotFoundError:
        fail("adb not found (%s): install it or set TMX_ADB" % ADB)
    except subprocess.TimeoutExpired:
        fail("adb %s timed out after %ds" % (args[0], timeout))
    if proc.returncode != 0:
        fail("adb %s failed: %s" % (args[0], _adb_error(proc)))
    return proc.stdout if binary else proc.stdout.decode("utf-8", "replace")


def shell(command, timeout=120):
    """Runs one command line in the device's shell; returns its output."""
    return adb("shell", command, timeout=timeout)


def push(local, remote):
    adb("push", local, remote, timeout=600)


def am_start(*args):
    """`am start ARGS` (each argument quoted); fails on am's error text."""
    out = shell("am start " + " ".join(quote(str(a)) for a in args))
    for line in out.splitlines():
        if line.startswith("Error") or "Exception" in line:
            fail("am start failed: " + line.strip())
    return out


def open_url(url, package=None):
    """Opens a URL with a VIEW intent (the app that handles it opens it)."""
    args = ["-a", "android.intent.action.VIEW", "-d", url]
    if package:
        args += ["-p", package]
    step("open", url)
    am_start(*args)


def tap(x, y):
    shell("input tap %d %d" % (x, y))


def input_text(text):
    """Types ASCII text into the focused field (`input text`, spaces as
    %s).  `input text` cannot type emoji or other non-ASCII characters."""
    shell("input text " + quote(text.replace(" ", "%s")))


def ui_nodes():
    """Dumps the current window (uiautomator dump + cat) and returns the
    attributes of every node, as a list of dicts."""
    out = shell("uiautomator dump " + UI_DUMP)
    if "dumped to" not in out:
        fail("uiautomator dump failed: " + (out.strip() or "no output"))
    xml = adb("exec-out", "cat", UI_DUMP, binary=True)
    begin = xml.find(b"<?xml")
    try:
        root = ET.fromstring(xml[max(begin, 0):])
    except ET.ParseError as e:
        fail("cannot parse the UI dump: %s" % e)
    return [node.attrib for node in root.iter("node")]


def find_node(nodes, text=None, desc=None):
    """The first node whose text (or content-desc) equals the given one,
    ignoring case and surrounding spaces; None when there is none."""
    for node in nodes:
        if text is not None and \
                node.get("text", "").strip().lower() == text.lower():
            return node
        if desc is not None and \
                node.get("content-desc", "").strip().lower() == desc.lower():
            return node
    return None


def centre(node):
    m = re.match(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]",
                 node.get("bounds", ""))
    if not m:
        fail("node %r has no bounds" % node.get("text", ""))
    x1, y1, x2, y2 = (int(v) for v in m.groups())
    return (x1 + x2) // 2, (y1 + y2) // 2


def tap_node(node):
    x, y = centre(node)
    step("tap %r at %d,%d" % (node.get("text") or node.get("content-desc", ""),
                              x, y))
    tap(x, y)


def wait_for_node(text, timeout=10.0):
    """Dumps the UI until a node with this text shows (or timeout seconds
    have passed, at least one try); returns it, or None."""
    deadline = time.monotonic() + float(timeout)
    while True:
        node = find_node(ui_nodes(), text=text)
        if node is not None or time.monotonic() >= deadline:
            return node
        time.sleep(1)


def screen_size():
    out = shell("wm size")
    sizes = re.findall(r"(\d+)x(\d+)", out)
    if not sizes:
        return 1080, 1920
    w, h = sizes[-1]  # "Override size" comes after "Physical size"
    return int(w), int(h)


def wait(seconds, why=""):
    seconds = max(0.0, float(seconds))
    step("wait %.3gs%s" % (seconds, " " + why if why else ""))
    time.sleep(seconds)


def spin(text):
    """Resolves spintax: "{Hi|Hello} there" -> "Hello there"."""
    inner = re.compile(r"\{([^{}]*)\}")
    while True:
        m = inner.search(text)
        if not m:
            return text
        text = text[:m.start()] + random.choice(m.group(1).split("|")) + \
            text[m.end():]


def text_list(config, list_key, *string_keys):
    """config[list_key] if it is a non-empty list, else the first string key
    split on newlines and commas; blank entries dropped."""
    value = config.get(list_key)
    if isinstance(value, list) and value:
        items = [str(v) for v in value]
    else:
        items = []
        for key in string_keys:
            if isinstance(config.get(key), str) and config[key].strip():
                items = re.split(r"[\n,]", config[key])
                break
    return [i.strip() for i in items if i.strip()]


def number(config, key, default):
    try:
        return float(config.get(key, default))
    except (TypeError, ValueError):
        fail("%s is not a number" % key)

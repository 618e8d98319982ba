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

This file is the entry point (the C++ tests and tests/reference_scripts.py
run it by this path); the server itself is the package
tests/fake_adb_server/, one module per part.
"""

import argparse
import os
import socket
import sys
import threading

sys.dont_write_bytecode = True  # keep tests/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_adb_server.connection import Connection  # noqa: E402
from fake_adb_server.world import World, apply  # noqa: E402


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

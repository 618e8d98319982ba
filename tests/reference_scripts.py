#!/usr/bin/env python3
"""Tests of tests/fake_adb.py and of the reference scripts in scripts/.

Runs Debian's real `adb` client against the fake adb server (a unique port
through ANDROID_ADB_SERVER_PORT) and each reference script the way the tmx
runner does: executable, config JSON on stdin, ANDROID_SERIAL in the
environment.  python3 tests/reference_scripts.py [unittest options and
test names, e.g. ReferenceScripts.test_comment]; exit 0 on success.

This file starts the one fake the tests share and checks at the end that
no adb server daemon was left behind; the tests live in
tests/reference_cases/ (harness, fake_server, scripts).
"""

import os
import sys
import unittest

sys.dont_write_bytecode = True  # keep tests/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_cases import harness  # noqa: E402
from reference_cases.fake_server import (  # noqa: E402,F401
    FakeProtocol, FakeThroughRealAdb, KillServer)
from reference_cases.scripts import ReferenceScripts  # noqa: E402,F401


def main():
    harness.start()
    try:
        result = unittest.main(exit=False).result
    finally:
        strays = harness.finish()
    if strays:
        print("adb started a server daemon: %s" % strays, file=sys.stderr)
    sys.exit(0 if result.wasSuccessful() and not strays else 1)


if __name__ == "__main__":
    main()

"""The reference tests run by tests/reference_scripts.py: harness (the
shared fake adb server, the real adb client, script runs), fake_server
(tests of tests/fake_adb.py) and scripts (tests of scripts/)."""

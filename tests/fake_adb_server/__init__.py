"""The fake adb server behind tests/fake_adb.py, in parts.

wire: the host protocol's framing; device: one simulated phone's state and
canned answers; world: every phone, the track-devices clients and the
commands on stdin; shell: the phone's shell; sync: the file sync protocol;
connection: one client's host and device services.
"""

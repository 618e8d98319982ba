"""The adb host protocol's framing: 4-hex-digit lengths, OKAY / FAIL, and
an orderly close."""

import socket
import time


class Closed(Exception):
    pass


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise Closed()
        buf += chunk
    return bytes(buf)


def read_request(sock):
    try:
        head = recv_exact(sock, 4)
    except Closed:
        return None
    try:
        n = int(head.decode("ascii"), 16)
    except ValueError:
        raise Closed()
    return recv_exact(sock, n).decode("utf-8", "replace")


def send_blob(sock, data):
    sock.sendall(b"%04x" % len(data) + data)


def okay(sock, data=None):
    sock.sendall(b"OKAY")
    if data is not None:
        send_blob(sock, data if isinstance(data, bytes) else data.encode())


def fail(sock, message):
    sock.sendall(b"FAIL")
    send_blob(sock, message.encode())


def finish(sock):
    """Orderly close: FIN first, then drain what the peer still sends so the
    kernel does not answer our unread input with a reset."""
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(2.0)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                break
    except OSError:
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass

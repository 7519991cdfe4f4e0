"""Helpers of the Python tests: both ends of a handshake in this process,
temporary socket paths, and the programs of the build (named by the
environment Meson sets: RTIPC_ECHO_SERVER, RTIPC_ECHO_CLIENT,
RTIPC_ECHO_SERVER_CPP)."""
import os
import socket
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
EXAMPLES = os.path.join(PACKAGE_ROOT, "examples")
if PACKAGE_ROOT not in sys.path:
    sys.path.insert(0, PACKAGE_ROOT)

import rtipc  # noqa: E402


def channels(size=16, add_msgs=0, eventfd=False, count=1):
    return [rtipc.ChannelConfig(size, add_msgs=add_msgs, eventfd=eventfd, info=b"ch%d" % i)
            for i in range(count)]


def pair(producers, consumers, info=b"", **server_settings):
    """(client group, server group) over a socketpair; the server side runs
    in a thread."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    accepted = {}

    def serve():
        try:
            accepted["group"] = rtipc.accept_socket(b, timeout=5, **server_settings)
        except Exception as e:  # handed to the caller
            accepted["error"] = e

    t = threading.Thread(target=serve)
    t.start()
    try:
        client = rtipc.connect_socket(a, producers=producers, consumers=consumers, info=info,
                                      timeout=5)
    except rtipc.Error:
        t.join()
        if "error" in accepted:  # the server's reason is the more precise
            raise accepted["error"] from None
        raise
    finally:
        t.join()
        a.close()
        b.close()
    if "error" in accepted:
        client.close()
        raise accepted["error"]
    return client, accepted["group"]


def socket_path(test, name):
    d = tempfile.mkdtemp(prefix="rtipc-py-")
    test.addCleanup(lambda: (os.path.exists(path) and os.unlink(path), os.rmdir(d)))
    path = os.path.join(d, name + ".sock")
    return path


def program(var):
    """The build's program named by environment variable var, or a skip."""
    path = os.environ.get(var)
    if not path or not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"{var} names no program (run through meson test)")
    return path


def child_env():
    """The environment for a child Python process: this package importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env

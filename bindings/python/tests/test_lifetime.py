"""Views made from a message against close() and the garbage collector: a
slice, .obj, cast(), a typed Message (and its .struct), and a view that
outlives a channel nobody closed. Each case runs in a child interpreter, so
that a crash (the memory unmapped under a live view: SIGSEGV) fails the
test instead of killing the runner."""
import os
import subprocess
import sys
import textwrap
import unittest

from support import HERE

PRELUDE = """
import ctypes, gc, sys
from support import channels, pair, rtipc

class Sample(ctypes.Structure):
    _fields_ = [("seq", ctypes.c_uint64), ("value", ctypes.c_double)]

def open_pair(size=16, type=None):
    client, server = pair(channels(size), channels(size))
    out = client.take_producer(0, type) if type else client.take_producer(0)
    inbox = server.take_consumer(0, type) if type else server.take_consumer(0)
    client.close(); server.close()  # the channels hold the memory now
    return out, inbox

def mapped():
    with open("/proc/self/maps") as f:
        return sum("memfd:rtipc" in line for line in f)

def refused(close):
    try:
        close()
    except BufferError as e:
        assert "close()" in str(e), e
        return True
    return False
"""

# Each case: make a view from the message, try close() (refused while the
# view lives), read the view (the memory is still there), drop it, close.
DERIVED_VIEW = """
out, inbox = open_pair()
out.msg[:4] = b"abcd"
out.produce()
inbox.consume()
for ch, label in ((out, "producer"), (inbox, "consumer")):
    kept = {make}
    assert refused(ch.close), label + ": close() went ahead under a live view"
    assert bytes(kept)[:4] in (b"abcd", bytes(4)), label  # still mapped: no crash
    try:  # a refused close leaves the view tracked: the next call refuses too
        ch.produce() if ch is out else ch.consume()
    except BufferError:
        pass
    else:
        raise AssertionError(label + ": the view was forgotten by the refused close")
    del kept
    ch.close()
    try:
        ch.msg
    except ValueError:
        pass
    else:
        raise AssertionError(label + ": a closed channel gave a view")
print("ok")
"""


def run_child(code):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PRELUDE) + textwrap.dedent(code)],
        cwd=HERE, env=os.environ.copy(), capture_output=True, text=True, timeout=60)


class ViewsOutlivingClose(unittest.TestCase):
    def check(self, code):
        child = run_child(code)
        self.assertEqual(child.returncode, 0,
                         f"child exited with {child.returncode} (-11: the SIGSEGV of a view "
                         f"over unmapped memory)\n{child.stderr}")
        self.assertEqual(child.stdout.strip(), "ok", child.stderr)

    def test_a_slice(self):
        self.check(DERIVED_VIEW.format(make="ch.msg[0:8]"))

    def test_obj(self):
        self.check(DERIVED_VIEW.format(make="ch.msg.obj"))

    def test_cast(self):
        self.check(DERIVED_VIEW.format(make="ch.msg.cast('I')"))

    def test_a_typed_message(self):
        self.check("""
            out, inbox = open_pair(ctypes.sizeof(Sample), Sample)
            out.send(Sample(7, 0.5))
            inbox.consume()
            for ch in (out, inbox):
                m = ch.msg
                ch.close()  # a Message is given back, not a reason to refuse
                try:
                    m.seq
                except ValueError:
                    pass
                else:
                    raise AssertionError("a Message of a closed channel read its slot")
                repr(m)
            print("ok")
        """)

    def test_the_struct_of_a_typed_message(self):
        self.check("""
            out, inbox = open_pair(ctypes.sizeof(Sample), Sample)
            out.send(Sample(7, 0.5))
            inbox.consume()
            m = inbox.msg
            s = m.struct
            assert refused(inbox.close)
            assert s.seq == 7 and m.seq == 7  # the channel stays open
            del s
            inbox.close()
            out.close()
            print("ok")
        """)

    def test_a_view_outliving_a_channel_nobody_closed(self):
        # The garbage collector closes the channel; the slice keeps the
        # memory mapped until it goes, and then the mapping goes too.
        self.check("""
            out, inbox = open_pair()
            out.msg[:4] = b"wxyz"
            out.produce()
            inbox.consume()
            before = mapped()
            kept = inbox.msg[0:4]
            del inbox
            gc.collect()
            assert mapped() == before, "unmapped under a live slice"
            assert bytes(kept) == b"wxyz"
            del kept
            gc.collect()
            assert mapped() < before, "the mapping outlived its last view"
            out.close()
            print("ok")
        """)

    def test_a_numpy_or_ctypes_export_refuses_close(self):
        self.check("""
            out, inbox = open_pair()
            over = Sample.from_buffer(out.msg)
            assert refused(out.close)
            over.seq = 3
            del over
            out.close()
            inbox.close()
            print("ok")
        """)


class OverlongSend(unittest.TestCase):
    def test_names_the_sizes(self):
        from support import channels, pair, rtipc
        import errno
        client, server = pair(channels(64), channels(64))
        with client, server:
            out = client.take_producer(0)
            with out:
                with self.assertRaises(rtipc.BadMessage) as caught:
                    out.send(bytes(65))
                self.assertEqual(caught.exception.errno, errno.EMSGSIZE)
                self.assertIn("65 bytes", caught.exception.strerror)
                self.assertIn("64-byte", caught.exception.strerror)
                self.assertEqual(out.send(bytes(64)), rtipc.Produced.PUBLISHED)

    def test_a_typed_send_takes_only_its_type(self):
        import ctypes
        from support import channels, pair

        class Sample(ctypes.Structure):
            _fields_ = [("seq", ctypes.c_uint64), ("value", ctypes.c_double)]

        client, server = pair(channels(16), channels(16))
        with client, server:
            with client.take_producer(0, Sample) as out:
                with self.assertRaises(TypeError):
                    out.send(ctypes.c_uint32(1))  # would copy 16 bytes from 4


if __name__ == "__main__":
    unittest.main()

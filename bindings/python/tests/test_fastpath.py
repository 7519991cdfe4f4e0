"""The compiled hot path (rtipc/_fast.c) and its ctypes fallback: the one
Meson asked for is the one in use (RTIPC_EXTENSION, RTIPC_NO_EXTENSION=1),
it calls the library that ctypes loaded, and both take the same arguments.
Everything else (views, results, close) the other tests check on both."""
import os
import unittest

from support import channels, pair, rtipc
from rtipc import _lib


def librtipc_files():
    with open("/proc/self/maps") as f:
        return {line.split()[-1] for line in f if "librtipc.so" in line}


class FastPath(unittest.TestCase):
    def open(self):
        client, server = pair(channels(16), channels(16))
        out, inbox = client.take_producer(0), server.take_consumer(0)
        client.close()
        server.close()
        self.addCleanup(out.close)
        self.addCleanup(inbox.close)
        return out, inbox

    def test_the_path_in_use_is_the_one_asked_for(self):
        out, inbox = self.open()
        if os.environ.get("RTIPC_NO_EXTENSION") == "1":
            self.assertIsNone(_lib.fast)
            self.assertNotIsInstance(rtipc.Producer.__dict__["produce"], type(len))
        elif os.environ.get("RTIPC_EXTENSION"):
            self.assertIsNotNone(_lib.fast, "the extension Meson built was not loaded")
            self.assertIsInstance(out, _lib.fast.Channel)
            self.assertIs(rtipc.Producer.__dict__["produce"], _lib.fast.Channel.produce)
            self.assertIs(rtipc.Consumer.__dict__["consume"], _lib.fast.Channel.consume)
            self.assertIsInstance(out.msg.obj, _lib.fast.Slot)
        else:
            self.skipTest("neither RTIPC_EXTENSION nor RTIPC_NO_EXTENSION=1 set")

    def test_one_librtipc_in_the_process(self):
        out, inbox = self.open()
        out.msg[:3] = b"abc"
        out.produce()
        self.assertTrue(inbox.consume().is_new)
        self.assertEqual(bytes(inbox.msg[:3]), b"abc")
        self.assertEqual(len(librtipc_files()), 1, librtipc_files())

    def test_flags_by_position_and_keyword(self):
        out, inbox = self.open()  # 3 slots: the queue holds 2
        self.assertEqual(out.produce(force=False), rtipc.Produced.PUBLISHED)
        self.assertEqual(out.produce(False), rtipc.Produced.PUBLISHED)
        self.assertEqual(out.produce(force=False), rtipc.Produced.QUEUE_FULL)
        self.assertEqual(out.produce(True), rtipc.Produced.PUBLISHED_DISCARDED)
        self.assertEqual(inbox.consume(latest=True), rtipc.Consumed.NEW_AFTER_GAP)
        self.assertEqual(inbox.consume(True), rtipc.Consumed.NO_NEW)
        with self.assertRaises(TypeError):
            out.produce(speed=True)
        with self.assertRaises(TypeError):
            inbox.consume(True, True)
        self.assertIsInstance(out.produce(), rtipc.Produced)

    def test_send_copies_then_produces(self):
        out, inbox = self.open()
        self.assertEqual(out.send(b"hello"), rtipc.Produced.PUBLISHED)
        self.assertTrue(inbox.consume().is_new)
        self.assertEqual(bytes(inbox.msg[:5]), b"hello")
        self.assertEqual(out.send(bytearray(b"xy"), force=False), rtipc.Produced.PUBLISHED)
        self.assertEqual(inbox.consume(), rtipc.Consumed.NEW)
        self.assertEqual(bytes(inbox.msg[:2]), b"xy")
        with self.assertRaises(TypeError):
            out.send("text")
        with self.assertRaises(rtipc.BadMessage) as raised:
            out.send(bytes(17))
        self.assertIn("17 bytes do not fit this channel's 16-byte messages", str(raised.exception))
        piece = out.msg[0:4]
        with self.assertRaises(BufferError):
            out.send(b"zz")
        del piece
        self.assertEqual(out.send(b"zz"), rtipc.Produced.PUBLISHED)
        self.assertTrue(inbox.consume().is_new)
        self.assertEqual(bytes(inbox.msg[:2]), b"zz")

    def test_a_closed_channel_refuses_the_hot_calls(self):
        out, inbox = self.open()
        out.close()
        inbox.close()
        for call in (out.produce, inbox.consume, lambda: out.msg, lambda: inbox.msg,
                     lambda: out.send(b"x")):
            with self.assertRaises(ValueError):
                call()


if __name__ == "__main__":
    unittest.main()

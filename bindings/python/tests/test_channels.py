"""Producers and consumers in one process: every result, zero-copy views and
what happens to a view once its message is given back, typed channels,
numpy, queue depth, info bytes, blocking waits and signals."""
import ctypes
import errno
import signal
import struct
import threading
import unittest

from support import channels, pair, rtipc

try:
    import numpy
except ImportError:  # Debian: python3-numpy (scripts/deps installs it)
    numpy = None


class Sample(ctypes.Structure):
    _fields_ = [("seq", ctypes.c_uint64), ("value", ctypes.c_double)]


class Channels(unittest.TestCase):
    def open(self, size=16, add_msgs=0, eventfd=False):
        client, server = pair(channels(size, add_msgs, eventfd), channels(size, add_msgs, eventfd),
                              info=b"group info")
        self.addCleanup(client.close)
        self.addCleanup(server.close)
        out = client.take_producer(0)
        inbox = server.take_consumer(0)
        self.addCleanup(out.close)
        self.addCleanup(inbox.close)
        return client, server, out, inbox

    def test_every_produce_and_consume_result(self):
        _, _, out, inbox = self.open()  # 3 slots
        self.assertIsNone(inbox.msg)
        self.assertEqual(inbox.consume(), rtipc.Consumed.NOTHING_PRODUCED)

        def put(value, force):
            struct.pack_into("=Q", out.msg, 0, value)
            return out.produce(force)

        self.assertEqual(put(1, False), rtipc.Produced.PUBLISHED)
        self.assertEqual(put(2, False), rtipc.Produced.PUBLISHED)
        self.assertEqual(put(3, False), rtipc.Produced.QUEUE_FULL)
        try:
            self.assertEqual(out.pending, 2)
            self.assertEqual(inbox.pending, 2)
        except rtipc.Error as e:  # queue depth comes with the hardening merge
            self.assertEqual(e.errno, errno.ENOSYS)
        self.assertEqual(put(3, True), rtipc.Produced.PUBLISHED_DISCARDED)

        self.assertEqual(inbox.consume(), rtipc.Consumed.NEW_AFTER_GAP)
        self.assertEqual(struct.unpack_from("=Q", inbox.msg)[0], 2)
        self.assertEqual(inbox.consume(), rtipc.Consumed.NEW)
        self.assertEqual(struct.unpack_from("=Q", inbox.msg)[0], 3)
        self.assertEqual(inbox.consume(), rtipc.Consumed.NO_NEW)
        self.assertFalse(rtipc.Consumed.NO_NEW.is_new)
        self.assertTrue(rtipc.Consumed.NEW_AFTER_GAP.is_new)

        put(4, True)
        put(5, True)
        self.assertEqual(inbox.consume_latest(), rtipc.Consumed.NEW_AFTER_GAP)
        self.assertEqual(struct.unpack_from("=Q", inbox.msg)[0], 5)
        self.assertEqual(inbox.consume(latest=True), rtipc.Consumed.NO_NEW)
        self.assertEqual(out.try_produce(), rtipc.Produced.PUBLISHED)

    def test_views_are_zero_copy_and_typed_right(self):
        _, _, out, inbox = self.open(size=32)
        view = out.msg
        self.assertIsInstance(view, memoryview)
        self.assertFalse(view.readonly)
        self.assertEqual((view.nbytes, view.format), (32, "B"))
        view[:5] = b"hello"
        self.assertIs(out.msg, view)  # one view per message
        out.produce()
        inbox.consume()
        got = inbox.msg
        self.assertTrue(got.readonly)
        self.assertEqual(bytes(got[:5]), b"hello")
        with self.assertRaises(TypeError):
            got[0] = 1
        self.assertEqual(out.send(b"again"), rtipc.Produced.PUBLISHED)
        inbox.consume()
        self.assertEqual(inbox.msg.tobytes()[:5], b"again")

    def test_a_view_given_back_raises(self):
        _, _, out, inbox = self.open()
        old_out = out.msg
        out.produce()
        with self.assertRaises(ValueError):
            old_out[0] = 1
        inbox.consume()
        old_in = inbox.msg
        out.produce()
        inbox.consume()
        with self.assertRaises(ValueError):
            bytes(old_in)
        self.assertIsNotNone(inbox.msg)

    def test_derived_views_block_the_next_call(self):
        _, _, out, inbox = self.open()
        piece = out.msg[0:8]
        with self.assertRaises(BufferError):
            out.produce()
        del piece
        self.assertEqual(out.produce(), rtipc.Produced.PUBLISHED)

        over = Sample.from_buffer(out.msg)
        with self.assertRaises(BufferError):
            out.produce()
        del over
        out.produce()

        inbox.consume()
        kept = inbox.msg[0:4]
        with self.assertRaises(BufferError):
            inbox.consume()
        del kept
        self.assertEqual(inbox.consume(), rtipc.Consumed.NEW)

    @unittest.skipIf(numpy is None, "numpy is not installed")
    def test_numpy_frombuffer(self):
        _, _, out, inbox = self.open(size=64)
        a = numpy.frombuffer(out.msg, dtype=numpy.float64)
        a[:] = numpy.arange(8) * 0.5
        with self.assertRaises(BufferError):
            out.produce()
        del a
        out.produce()
        inbox.consume()
        b = numpy.frombuffer(inbox.msg, dtype=numpy.float64)
        self.assertFalse(b.flags.writeable)
        self.assertEqual(b.tolist(), [i * 0.5 for i in range(8)])
        with self.assertRaises(BufferError):
            inbox.consume()
        del b
        self.assertEqual(inbox.consume(), rtipc.Consumed.NO_NEW)

    def test_typed_channels(self):
        client, server = pair(channels(ctypes.sizeof(Sample)), channels(ctypes.sizeof(Sample)))
        with client, server:
            out = client.take_producer(0, Sample)
            inbox = server.take_consumer(0, Sample)
            with out, inbox:
                self.assertIsInstance(out, rtipc.TypedProducer)
                out.msg.seq = 7
                out.msg.value = 1.5
                out.produce()
                out.send(Sample(8, 2.5))
                self.assertEqual(inbox.consume(), rtipc.Consumed.NEW)
                first = inbox.msg
                self.assertEqual((first.seq, first.value), (7, 1.5))
                inbox.consume()
                with self.assertRaises(ValueError):
                    first.seq  # given back
                copy = inbox.msg.copy()
                self.assertEqual((copy.seq, copy.value), (8, 2.5))
                self.assertIn("seq=8", repr(inbox.msg))
                self.assertEqual(bytes(inbox.view[:8]), struct.pack("=Q", 8))

    def test_typed_size_is_checked_before_taking(self):
        client, server = pair(channels(24), channels(24))
        with client, server:
            with self.assertRaises(rtipc.BadMessage) as caught:
                client.take_producer(0, Sample)
            self.assertEqual(caught.exception.errno, errno.EMSGSIZE)
            self.assertIn("16 bytes", caught.exception.strerror)
            client.take_producer(0).close()  # still there

    def test_info_and_sizes(self):
        client, server, out, inbox = self.open(size=24, add_msgs=5, eventfd=True)
        self.assertEqual(server.info, b"group info")
        self.assertEqual(inbox.info, b"ch0")
        self.assertEqual((inbox.msg_size, inbox.slots), (24, 8))
        self.assertGreaterEqual(out.msg_align, 8)
        self.assertEqual(server.producer_config(0),
                         rtipc.ChannelConfig(24, add_msgs=5, eventfd=True, info=b"ch0"))
        self.assertEqual((server.producer_count, server.consumer_count), (1, 1))
        self.assertEqual(client.cacheline, rtipc.default_cacheline())
        self.assertGreater(client.region_size, 0)
        self.assertTrue(rtipc.version().startswith("1."))

    def test_closed_channels_refuse(self):
        _, _, out, inbox = self.open()
        view = out.msg
        out.close()
        out.close()
        with self.assertRaises(ValueError):
            view[0]
        with self.assertRaises(ValueError):
            out.produce()
        inbox.close()
        with self.assertRaises(ValueError):
            inbox.consume()

    def test_descriptors(self):
        _, _, out, inbox = self.open(eventfd=False)
        with self.assertRaises(rtipc.NotSupported):
            inbox.fileno()
        with self.assertRaises(rtipc.NotSupported) as caught:
            inbox.wait_blocking(0)
        self.assertIn("channel has no eventfd; create it with eventfd enabled",
                      caught.exception.strerror)
        _, _, wout, winbox = self.open(eventfd=True)
        self.assertGreaterEqual(winbox.fileno(), 0)
        self.assertGreaterEqual(wout.fileno(), 0)
        self.assertFalse(winbox.wait_blocking(0))
        wout.produce()
        self.assertTrue(winbox.wait_blocking(5))
        self.assertEqual(bytes(winbox.receive(timeout=1)), bytes(16))
        with self.assertRaises(TimeoutError):
            winbox.receive(timeout=0.01)

    def test_a_blocking_wait_releases_the_gil(self):
        _, _, out, inbox = self.open(eventfd=True)
        woke = []
        t = threading.Thread(target=lambda: woke.append(inbox.wait_blocking(10)))
        t.start()
        # This thread runs Python while the other one waits in C.
        total = sum(range(100000))
        out.produce()
        t.join()
        self.assertEqual((woke, total), ([True], 4999950000))

    def test_ctrl_c_ends_a_blocking_wait(self):
        _, _, _, inbox = self.open(eventfd=True)
        previous = signal.signal(signal.SIGALRM, signal.default_int_handler)
        self.addCleanup(signal.signal, signal.SIGALRM, previous)
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with self.assertRaises(KeyboardInterrupt):
            inbox.wait_blocking()  # no limit: only the signal ends it
        signal.setitimer(signal.ITIMER_REAL, 0)

    def test_a_quiet_signal_handler_lets_the_wait_go_on(self):
        _, _, out, inbox = self.open(eventfd=True)
        handled = []
        previous = signal.signal(signal.SIGALRM, lambda *_: handled.append(1))
        self.addCleanup(signal.signal, signal.SIGALRM, previous)
        signal.setitimer(signal.ITIMER_REAL, 0.02)
        self.assertFalse(inbox.wait_blocking(1.0))  # times out, no InterruptedError
        self.assertEqual(handled, [1])


if __name__ == "__main__":
    unittest.main()

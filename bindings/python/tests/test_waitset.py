"""rtipc.Waitset and rtipc.Notifier, and Ctrl-C without waking up: pushes
through a notifier without a lost wake-up, a peer process killed while the
waitset sleeps, a signal caught by another thread ending a wait and an
accept at once (the signal wake-up descriptor), asyncio through fileno(),
and a one-second blocked wait that costs at most two voluntary context
switches of the waiting thread."""
import asyncio
import os
import select
import signal
import subprocess
import sys
import threading
import unittest

from support import channels, child_env, pair, socket_path

import rtipc

PUSHES = 100_000  # a million takes ~10 s of CPython on a quiet machine: too long for the suite


def voluntary_switches():
    with open("/proc/thread-self/status") as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])
    raise AssertionError("no voluntary_ctxt_switches")


def until_sleeping(tid):
    """Returns once thread tid of this process sleeps in the kernel (state S)."""
    while True:
        with open(f"/proc/self/task/{tid}/stat") as f:
            stat = f.read()
        if stat[stat.rindex(")") + 2] == "S":
            return
        os.sched_yield()


def interrupt_from_another_thread(tid):
    """A thread that, once thread tid sleeps, sends itself SIGALRM: Python's
    C handler runs on that thread, so only the wake-up descriptor can end
    the main thread's wait."""
    def run():
        until_sleeping(tid)
        signal.pthread_kill(threading.get_ident(), signal.SIGALRM)
    t = threading.Thread(target=run)
    t.start()
    return t


class WaitsetTest(unittest.TestCase):
    def open(self, add_msgs=0):
        client, server = pair(channels(8, add_msgs, True), [])
        self.addCleanup(client.close)
        self.addCleanup(server.close)
        out = client.take_producer(0)
        inbox = server.take_consumer(0)
        self.addCleanup(out.close)
        self.addCleanup(inbox.close)
        return out, inbox

    def ctrl_c_on_sigalrm(self):
        previous = signal.signal(signal.SIGALRM, signal.default_int_handler)
        self.addCleanup(signal.signal, signal.SIGALRM, previous)

    def test_pushes_through_a_notifier_lose_no_wake_up(self):
        out, inbox = self.open(add_msgs=61)
        errors = []

        def push():
            try:
                with rtipc.Notifier() as n:
                    n.attach(out)
                    self.assertEqual(rtipc.Notifier.mode_of(out), n.mode)
                i = 1
                while i <= PUSHES:
                    out.msg[:8] = i.to_bytes(8, "little")
                    if out.produce(force=False) != rtipc.Produced.QUEUE_FULL:
                        i += 1
            except BaseException as e:  # handed to the test
                errors.append(e)
        with rtipc.Waitset() as ws:
            ws.add_consumer(inbox, 7)
            t = threading.Thread(target=push)
            t.start()
            last = 0
            while last < PUSHES:
                if inbox.consume().is_new:
                    value = int.from_bytes(inbox.msg[:8], "little")
                    self.assertEqual(value, last + 1)
                    last = value
                    continue
                ready = ws.wait(10)
                self.assertTrue(ready, f"lost wake-up after message {last}")
                self.assertEqual([(e.key, e.ready & rtipc.READY_MESSAGE) for e in ready],
                                 [(7, rtipc.READY_MESSAGE)])
            t.join()
            ws.remove_consumer(inbox)
        self.assertEqual(errors, [])

    def test_a_peer_killed_while_waiting_is_reported(self):
        path = socket_path(self, "peer")
        script = ("import sys, time, rtipc\n"
                  "g = rtipc.connect(sys.argv[1], producers=[rtipc.ChannelConfig(8, eventfd=True)],"
                  " timeout=10)\n"
                  "time.sleep(60)\n")
        with rtipc.Server(path) as server:
            child = subprocess.Popen([sys.executable, "-c", script, path], env=child_env())
            try:
                with server.accept(10) as group, group.take_consumer(0) as inbox, \
                        rtipc.Waitset() as ws:
                    ws.add_consumer(inbox, 1)
                    killer = threading.Thread(target=lambda: (
                        until_sleeping(threading.main_thread().native_id), child.kill()))
                    killer.start()
                    ready = ws.wait(10)
                    killer.join()
                    self.assertEqual(ready, [rtipc.Event(1, rtipc.READY_PEER_GONE, 0)])
                    ws.remove_consumer(inbox)
                    with self.assertRaises(rtipc.PeerGone):
                        inbox.wait_blocking(10)
            finally:
                child.kill()
                child.wait()

    def test_a_signal_caught_by_another_thread_ends_a_wait(self):
        _, inbox = self.open()
        self.ctrl_c_on_sigalrm()
        main = threading.main_thread().native_id
        for name, wait in [("waitset", lambda ws: ws.wait()),
                           ("consumer", lambda ws: inbox.wait_blocking())]:
            with rtipc.Waitset() as ws, self.subTest(name):
                t = interrupt_from_another_thread(main)
                with self.assertRaises(KeyboardInterrupt):
                    wait(ws)  # no limit: only the signal ends it
                t.join()

    def test_a_signal_caught_by_another_thread_ends_an_accept(self):
        self.ctrl_c_on_sigalrm()
        with rtipc.Server(socket_path(self, "accept")) as server:
            t = interrupt_from_another_thread(threading.main_thread().native_id)
            with self.assertRaises(KeyboardInterrupt):
                server.accept()
            t.join()
            with self.assertRaises(TimeoutError):  # and it is ready to wait again
                server.accept(0.01)

    def test_a_blocked_second_costs_at_most_two_voluntary_switches(self):
        _, inbox = self.open()
        with rtipc.Waitset() as ws:
            ws.add_consumer(inbox, 1)
            for name, wait in [("waitset", lambda: ws.wait(1.0)),
                               ("consumer", lambda: inbox.wait_blocking(1.0))]:
                with self.subTest(name):
                    before = voluntary_switches()
                    self.assertFalse(wait())
                    self.assertLessEqual(voluntary_switches() - before, 2)

    def test_asyncio_through_fileno_and_the_iterator(self):
        out, inbox = self.open()

        async def main():
            loop = asyncio.get_running_loop()
            loop.call_later(0.01, out.produce)
            return await ws.wait_async(10)
        with rtipc.Waitset() as ws:
            ws.add_consumer(inbox, 3)
            self.assertEqual(list(ws.events(timeout=0)), [])
            self.assertEqual(asyncio.run(main()), [rtipc.Event(3, rtipc.READY_MESSAGE, 0)])
            self.assertEqual(next(iter(ws)), rtipc.Event(3, rtipc.READY_MESSAGE, 0))
            r, w = os.pipe()
            self.addCleanup(os.close, r)
            self.addCleanup(os.close, w)
            ws.add_fd(r, 4)
            os.write(w, b"x")
            self.assertEqual(sorted(ws.wait(0)), [rtipc.Event(3, rtipc.READY_MESSAGE, 0),
                                                  rtipc.Event(4, rtipc.READY_FD, select.POLLIN)])
            with self.assertRaises(rtipc.InvalidArgument):
                ws.add_fd(w, 2**64 - 1)

    def test_notifier_attach_and_detach(self):
        out, _ = self.open()
        with rtipc.Notifier(idle_ms=10) as n:
            self.assertIn(n.mode, (rtipc.NOTIFY_DIRECT, rtipc.NOTIFY_IO_URING))
            n.attach(out)
            self.assertEqual(rtipc.Notifier.mode_of(out), n.mode)
            rtipc.Notifier.detach(out)
            self.assertEqual(rtipc.Notifier.mode_of(out), rtipc.NOTIFY_DIRECT)


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/python3
"""The rtipc program against live processes in C and Python (tests/tools/holder.*):
`ls --json` lists exactly the groups and channels started, with their pids,
configurations and counters; `top --once` reports the depth of a queue filled
to a known level; a process of another user is listed as hidden; probe,
decode and proxy; exit codes. Every process is one this test started, and
every listing is narrowed to their pids (the host may run other rtipc
programs meanwhile).

usage: tools_test.py BUILD_DIR SOURCE_DIR
"""
import json
import os
import pty
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

BUILD, SRC = sys.argv[1], sys.argv[2]
RTIPC = os.path.join(BUILD, "tools/rtipc/rtipc")
HOLDER_C = [os.path.join(BUILD, "tests/tools/rtipc-holder")]
HOLDER_PY = [sys.executable, os.path.join(SRC, "tests/tools/holder.py")]
ENV = dict(os.environ, RTIPC_BUILD_DIR=BUILD,
           PYTHONPATH=os.path.join(SRC, "bindings/python"))
ENV.pop("RTIPC_STATS", None)
# 0 in sanitizer builds, whose library Debian's Python cannot load.
PYTHON = os.environ.get("RTIPC_TOOLS_PYTHON", "1") == "1"


class Holder:
    """One holder process; talks to it line by line."""

    def __init__(self, cmd, env=ENV, prefix=()):
        self.p = subprocess.Popen(list(prefix) + cmd, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, env=env, text=True)

    def expect(self, word):
        line = self.p.stdout.readline().split()
        if not line or line[0] != word:
            raise AssertionError(f"{self.p.args}: wanted {word}, got {line}")
        return line[1:]

    def ready(self):
        self.pid = int(self.expect("ready")[0])
        assert self.pid == self.p.pid
        return self

    def do(self, verb, index, count):
        self.p.stdin.write(f"{verb} {index} {count}\n")
        self.p.stdin.flush()
        return int(self.expect("ok")[0])

    def quit(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.write("quit\n")
                self.p.stdin.close()
            except BrokenPipeError:
                pass
        return self.p.wait(timeout=20)

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


def rtipc(*args, user=None, check=0):
    prefix = []
    if user is not None:
        prefix = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"]
    r = subprocess.run(prefix + [RTIPC] + list(args), capture_output=True, text=True, env=ENV,
                       timeout=30)
    if check is not None and r.returncode != check:
        raise AssertionError(f"rtipc {args}: exit {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def ls(*pids, user=None):
    args = ["ls", "--json"]
    for pid in pids:
        args += ["-p", str(pid)]
    return json.loads(rtipc(*args, user=user).stdout)


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rtipc-tools-")
        os.chmod(self.dir, 0o777)  # a server of another user binds here too
        self.holders = []

    def tearDown(self):
        for h in self.holders:
            h.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, cmd, **kw):
        h = Holder(cmd, **kw)
        self.holders.append(h)
        return h

    def pair(self, server_cmd, client_cmd, name, **client_kw):
        sock = os.path.join(self.dir, name)
        server = self.start(server_cmd + ["server", sock])
        server.expect("listening")
        client = self.start(client_cmd + ["client", sock, "-p", "32:12:1", "-p", "16:0:0",
                                          "-c", "64:4:1", "-i", "grp"], **client_kw).ready()
        server.ready()
        return sock, server, client


def by_dir(group):
    return {f"{c['direction']}{c['index']}": c for c in group["channels"]}


class Listing(Base):
    def move_messages(self, server, client):
        self.assertEqual(client.do("produce", 0, 10), 10)
        self.assertEqual(client.do("produce", 1, 3), 2)  # 3 slots hold 2: one refused as full
        self.assertEqual(server.do("consume", 0, 4), 4)
        self.assertEqual(server.do("produce", 0, 3), 3)
        self.assertEqual(client.do("consume", 0, 5), 3)

    def check_pair(self, sock, server, client):
        listing = ls(server.pid, client.pid)
        self.assertEqual(listing["hidden"], [])
        procs = {p["pid"]: p for p in listing["processes"]}
        self.assertEqual(set(procs), {server.pid, client.pid})
        for pid, role, peer in ((client.pid, "client", server.pid),
                                (server.pid, "server", client.pid)):
            p = procs[pid]
            self.assertTrue(p["stats"])
            self.assertEqual(len(p["groups"]), 1, p)
            g = p["groups"][0]
            self.assertEqual((g["role"], g["socket"], g["peer_pid"], g["info"]),
                             (role, sock, peer, "grp"))
            self.assertEqual(len(g["channels"]), 3)
        c = by_dir(procs[client.pid]["groups"][0])
        s = by_dir(procs[server.pid]["groups"][0])
        self.assertEqual(set(c), {"out0", "out1", "in0"})
        self.assertEqual(set(s), {"in0", "in1", "out0"})
        # Configurations, the same seen from both ends.
        for mine, theirs, size, slots, eventfd, info in (
                (c["out0"], s["in0"], 32, 15, True, "out0"),
                (c["out1"], s["in1"], 16, 3, False, "out1"),
                (c["in0"], s["out0"], 64, 7, True, "in0")):
            for ch in (mine, theirs):
                self.assertEqual((ch["msg_size"], ch["slots"], ch["eventfd"], ch["info"],
                                  ch["info_size"]), (size, slots, eventfd, info, len(info)))
        # Counters: what the holders were told to move.
        self.assertEqual(c["out0"]["counters"]["produced"], 10)
        self.assertEqual(c["out1"]["counters"]["produced"], 2)
        self.assertEqual(c["out1"]["counters"]["full"], 1)
        self.assertEqual(c["out0"]["counters"]["discarded"], 0)
        self.assertEqual(s["in0"]["counters"]["consumed"], 4)
        self.assertEqual(s["in1"]["counters"]["consumed"], 0)
        self.assertEqual(s["out0"]["counters"]["produced"], 3)
        self.assertEqual(c["in0"]["counters"]["consumed"], 3)
        self.assertEqual(c["in0"]["counters"]["gaps"], 0)
        # Depths from the shared regions: 10 - 4, 2, 3 - 3, from either end.
        top = json.loads(rtipc("top", "--once", "-d", "0", "--json", "-p", str(server.pid), "-p",
                               str(client.pid)).stdout)
        depth = {(ch["pid"], ch["direction"], ch["index"]): ch["depth"] for ch in top["channels"]}
        self.assertEqual(depth, {
            (client.pid, "out", 0): 6, (server.pid, "in", 0): 6,
            (client.pid, "out", 1): 2, (server.pid, "in", 1): 2,
            (server.pid, "out", 0): 0, (client.pid, "in", 0): 0})
        # And the tables people read.
        table = rtipc("ls", "-p", str(server.pid), "-p", str(client.pid)).stdout
        self.assertEqual(len(table.splitlines()), 1 + 6, table)
        top_table = rtipc("top", "--once", "-d", "0", "-p", str(client.pid)).stdout
        self.assertEqual(len(top_table.splitlines()), 1 + 3, top_table)
        return table, top_table

    def test_ls_and_top_across_languages(self):
        outputs = []
        pairs = [(HOLDER_C, HOLDER_C, "c-c.sock")]
        if PYTHON:
            pairs = [(HOLDER_C, HOLDER_PY, "c-py.sock"), (HOLDER_PY, HOLDER_C, "py-c.sock")] + pairs
        for server_cmd, client_cmd, name in pairs:
            with self.subTest(name):
                sock, server, client = self.pair(server_cmd, client_cmd, name)
                self.move_messages(server, client)
                outputs.append(self.check_pair(sock, server, client))
                self.assertEqual(client.quit(), 0)
                self.assertEqual(server.quit(), 0)
        # A sample for the README (tests/tools/README-sample.txt in the build).
        with open(os.path.join(BUILD, "tests/tools/sample-output.txt"), "w") as f:
            f.write("$ rtipc ls\n" + outputs[0][0] + "\n$ rtipc top --once\n" + outputs[0][1])

    def test_top_on_a_terminal_redraws_sorts_and_quits_with_q(self):
        sock, server, client = self.pair(HOLDER_C, HOLDER_C, "tty.sock")
        self.assertEqual(client.do("produce", 0, 5), 5)
        master, slave = pty.openpty()
        top = subprocess.Popen([RTIPC, "top", "-d", "0.05", "-p", str(client.pid)], stdin=slave,
                               stdout=slave, stderr=slave, env=ENV, close_fds=True)
        os.close(slave)
        seen = b""

        def read_until(marker):
            nonlocal seen
            while marker not in seen:
                ready, _, _ = select.select([master], [], [], 10)
                if not ready:
                    raise AssertionError(f"no {marker!r} in {seen[-500:]!r}")
                seen += os.read(master, 65536)

        try:
            read_until(b"sorted by pid")
            self.assertIn(b"\x1b[H\x1b[J", seen)  # redrawn in place
            os.write(master, b"d")
            read_until(b"sorted by depth")
            os.write(master, b"q")
            self.assertEqual(top.wait(timeout=10), 0)
            try:  # the rest of the last screen; EIO once the terminal is closed
                while select.select([master], [], [], 1)[0]:
                    chunk = os.read(master, 65536)
                    if not chunk:
                        break
                    seen += chunk
            except OSError:
                pass
        finally:
            if top.poll() is None:
                top.kill()
            os.close(master)
        # The last screen: depth-sorted, the producer with 5 waiting first.
        last = seen.rsplit(b"\x1b[H\x1b[J", 1)[-1].decode()
        rows = [line.split() for line in last.splitlines() if line.startswith(str(client.pid))]
        self.assertEqual([r[3] for r in rows[:1]], ["out0"], last)
        self.assertEqual(rows[0][4], "5", last)

    def test_records_go_with_their_groups(self):
        sock, server, client = self.pair(HOLDER_C, HOLDER_C, "gone.sock")
        self.assertEqual(client.quit(), 0)
        self.assertEqual(server.quit(), 0)
        self.assertEqual(ls(server.pid, client.pid)["processes"], [])

    def test_a_process_without_stats_is_listed_from_proc(self):
        sock = os.path.join(self.dir, "off.sock")
        server = self.start(HOLDER_C + ["server", sock])
        server.expect("listening")
        off = dict(ENV, RTIPC_STATS="0")
        client = self.start(HOLDER_C + ["client", sock, "-p", "8:0:0"], env=off).ready()
        server.ready()
        listing = ls(client.pid, server.pid)
        procs = {p["pid"]: p for p in listing["processes"]}
        self.assertFalse(procs[client.pid]["stats"])
        self.assertEqual(procs[client.pid]["groups"], [])
        self.assertEqual(len(procs[client.pid]["regions"]), 1)
        region = procs[server.pid]["groups"][0]["region_size"]
        self.assertEqual(procs[client.pid]["regions"][0]["size"], region)
        self.assertTrue(procs[server.pid]["stats"])


@unittest.skipUnless(os.geteuid() == 0, "needs root to run processes as other users (CI is root)")
class OtherUsers(Base):
    def test_a_process_of_another_user_is_hidden(self):
        self.assertIsNotNone(shutil.which("setpriv"), "setpriv (util-linux) is needed")
        sock = os.path.join(self.dir, "nobody.sock")
        nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        server = self.start(HOLDER_C + ["server", sock], prefix=nobody)
        server.expect("listening")
        client = self.start(HOLDER_C + ["client", sock, "-p", "8:0:0"]).ready()
        server.ready()
        # Root sees it in full; another user sees only that it is there.
        mine = ls(server.pid)
        self.assertEqual(mine["processes"][0]["uid"], 65534)
        self.assertEqual(mine["processes"][0]["groups"][0]["peer_pid"], client.pid)
        theirs = ls(server.pid, client.pid, user=65533)
        self.assertEqual(theirs["processes"], [])
        self.assertEqual({h["pid"] for h in theirs["hidden"]}, {server.pid, client.pid})
        self.assertEqual({h["uid"] for h in theirs["hidden"]}, {65534, 0})
        # The table says so too, and top does not stumble.
        table = rtipc("ls", "-p", str(server.pid), user=65533).stdout
        self.assertIn("1 process(es) hidden", table)
        rtipc("top", "--once", "-d", "0", "-p", str(server.pid), user=65533)
        # The whole host as that user: no crash, whatever runs.
        rtipc("ls", user=65533)


class Handshakes(Base):
    def test_probe_reports_the_reason_and_the_server(self):
        sock = os.path.join(self.dir, "probe.sock")
        server = self.start(HOLDER_C + ["server", sock])
        server.expect("listening")
        r = rtipc("probe", "--json", "-p", "8:5000:0", sock, check=1)
        answer = json.loads(r.stdout)
        self.assertEqual((answer["accepted"], answer["code"]), (False, -7))  # -E2BIG: max_slots
        self.assertEqual((answer["server_pid"], answer["server_uid"]), (server.p.pid, os.geteuid()))
        self.assertEqual(server.p.wait(timeout=20), 2)  # its one accept failed
        server = self.start(HOLDER_C + ["server", sock])
        server.expect("listening")
        r = rtipc("probe", "-p", "8:1:1", "-c", "16", sock, check=0)
        self.assertIn("accepted", r.stdout)
        self.assertIn(f"server: pid {server.p.pid}", r.stdout)
        server.ready()
        self.assertEqual(rtipc("probe", os.path.join(self.dir, "none.sock"), check=1).returncode, 1)

    def example_request(self):
        """docs/protocol.md §9's request."""
        entries = [(0, 16, 1, 12), (0, 12, 1, 13), (10, 8, 1, 10)]
        out = struct.pack("=HHHHIII", 0x1f0c, 2, 64, 4, 0, 1, 2)
        for e in entries:
            out += struct.pack("=IIII", *e)
        return out + b"rpc command\0rpc response\0rpc event\0"

    def test_decode(self):
        r = subprocess.run([RTIPC, "decode", "--json", "-"], input=self.example_request(),
                           capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        d = json.loads(r.stdout)
        self.assertEqual((d["bytes"], d["cacheline"]), (103, 64))
        self.assertEqual([(c["msg_size"], c["add_msgs"], c["eventfd"], c["info"])
                          for c in d["client_produces"] + d["client_consumes"]],
                         [(16, 0, True, "rpc command"), (12, 0, True, "rpc response"),
                          (8, 10, True, "rpc event")])
        r = subprocess.run([RTIPC, "decode", "-"], input=self.example_request()[:-5],
                           capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"Bad message", r.stderr)

    def test_proxy_passes_the_handshake_through(self):
        upstream = os.path.join(self.dir, "up.sock")
        front = os.path.join(self.dir, "front.sock")
        server = self.start(HOLDER_C + ["server", upstream])
        server.expect("listening")
        proxy = subprocess.Popen([RTIPC, "proxy", "-n", "1", "--json", front, upstream],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            proxy.stderr.readline()  # listening
            client = self.start(HOLDER_C + ["client", front, "-p", "24:2:1", "-i", "via"]).ready()
            server.ready()
            out, _ = proxy.communicate(timeout=20)
        finally:
            if proxy.poll() is None:
                proxy.kill()
        self.assertEqual(proxy.returncode, 0)
        seen = json.loads(out)
        self.assertEqual(seen["client_pid"], client.pid)
        self.assertEqual(seen["answer"], 0)
        self.assertEqual(seen["request"]["info"], "via")
        self.assertEqual(seen["request"]["client_produces"][0]["msg_size"], 24)
        # The group works end to end through the descriptors passed along.
        self.assertEqual(client.do("produce", 0, 2), 2)
        self.assertEqual(server.do("consume", 0, 5), 2)


class Usage(unittest.TestCase):
    def test_exit_codes(self):
        self.assertEqual(rtipc("nosuch", check=2).returncode, 2)
        rtipc(check=2)
        rtipc("ls", "-x", check=2)
        rtipc("ls", "-p", "zero", check=2)
        rtipc("top", "--sort", "colour", check=2)
        rtipc("probe", check=2)
        rtipc("help", "nosuch", check=2)
        for verb in ("ls", "top", "probe", "decode", "proxy", "help"):
            self.assertIn("usage: rtipc " + verb, rtipc("help", verb).stdout)
        self.assertIn("rtipc ", rtipc("--version").stdout)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1] + sys.argv[3:], verbosity=2)

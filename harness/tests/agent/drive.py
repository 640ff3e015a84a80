#!/usr/bin/env python3
"""Plays the host's side of docs/protocol.md against portcheck-agent, for
agent.bats: the agent connects to a unix socket (--channel), and each
scenario checks the answers. Run it inside `unshare --net`.

    drive.py AGENT SCENARIO

Exit 0 when the scenario holds and the agent ended cleanly (exit 0, no
sanitizer report on its stderr); otherwise a traceback and the agent's
stderr."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

LINE_MAX = 65536
RUN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class Agent:
    def __init__(self, binary, *args, reopen=0):
        self.dir = tempfile.mkdtemp(prefix="portcheck-agent-test.")
        self.path = os.path.join(self.dir, "channel")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(1)
        self.listener.settimeout(30)
        self.errfile = open(os.path.join(self.dir, "stderr"), "w+b")
        self.proc = subprocess.Popen(
            [binary, "--channel", self.path, "--reopen", str(reopen), *args],
            stdin=subprocess.DEVNULL, stdout=self.errfile, stderr=self.errfile)
        self.accept()

    def accept(self):
        self.sock, _ = self.listener.accept()
        self.sock.settimeout(30)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def cmd(self, **obj):
        self.send(json.dumps(obj).encode() + b"\n")

    def recv(self):
        """The next message; checks it is one valid UTF-8 JSON line."""
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            assert chunk, "agent closed the channel; stderr:\n" + self.stderr()
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        assert len(line) + 1 <= LINE_MAX, "line of %d bytes" % len(line)
        assert b"\0" not in line
        msg = json.loads(line.decode("utf-8"))  # strict: invalid UTF-8 raises
        assert isinstance(msg, dict) and isinstance(msg.get("msg"), str), line
        return msg

    def expect(self, kind, id=None):
        msg = self.recv()
        assert msg["msg"] == kind, "wanted %s, got %r" % (kind, msg)
        if id is not None:
            assert msg.get("id") == id, "wanted id %r, got %r" % (id, msg)
        return msg

    def stderr(self):
        self.errfile.flush()
        self.errfile.seek(0)
        return self.errfile.read().decode("utf-8", "replace")

    def finish(self, timeout=15):
        """Close the channel: with --reopen 0 the agent must exit 0."""
        self.sock.close()
        self.listener.close()
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("agent still running after EOF; stderr:\n" + self.stderr())
        self.check_exit(rc, 0)

    def check_exit(self, rc, want):
        err = self.stderr()
        for bad in ("Sanitizer", "runtime error:", "LeakSanitizer"):
            assert bad not in err, "sanitizer report:\n" + err
        assert rc == want, "agent exit %r, wanted %r; stderr:\n%s" % (rc, want, err)

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def run(agent, id, argv, timeout=10, **extra):
    agent.cmd(cmd="run", id=id, argv=argv, timeout=timeout, **extra)
    return agent.expect("ran", id)


# --- scenarios ---------------------------------------------------------

def s_hello(a):
    m = a.expect("hello")
    assert m["agent"] == 1
    assert len(m["boot_id"]) == 36 and m["boot_id"].count("-") == 4, m
    assert m["kernel"] == os.uname().release, m
    assert isinstance(m["os"], str) and m["os"], m
    assert isinstance(m["init"], str) and m["init"], m
    assert isinstance(m["uptime"], (int, float)) and m["uptime"] > 0, m
    with open("/proc/sys/kernel/random/boot_id") as f:
        assert m["boot_id"] == f.read().strip()


def s_facts(a):
    hello = a.expect("hello")
    a.cmd(cmd="facts", id=2)
    m = a.expect("facts", 2)
    assert m["boot_id"] == hello["boot_id"]
    assert m["sysctl"] == "1024", m  # a fresh netns
    assert len(m["binds"]) == 28 and set(m["binds"].values()) == {"EACCES"}, m
    zero = "0000000000000000"
    assert m["proof"] == {"uid": 65534, "gid": 65534, "groups": 0,
                          "cap_prm": zero, "cap_inh": zero, "cap_eff": zero,
                          "cap_amb": zero, "cap_bnd": zero, "no_new_privs": 1}, m
    assert m["uptime"] >= hello["uptime"]


def s_run_exit(a):
    a.expect("hello")
    m = run(a, 3, ["sh", "-c", "echo hi; exit 3"])
    assert (m["exit"], m["signal"], m["timed_out"], m["output"]) == (3, 0, False, "hi\n"), m
    assert 0 <= m["seconds"] < 5, m
    m = run(a, 4, ["sh", "-c", "echo out; echo err >&2; kill -TERM $$"])
    assert (m["exit"], m["signal"], m["timed_out"]) == (-1, 15, False), m
    assert m["output"] == "out\nerr\n", m


def s_run_timeout(a):
    a.expect("hello")
    t0 = time.monotonic()
    m = run(a, 5, ["sleep", "30"], timeout=1)
    took = time.monotonic() - t0
    assert m["timed_out"] is True and m["exit"] == -1 and m["signal"] == 9, m
    assert took < 2.5 and 0.9 < m["seconds"] < 2.5, (took, m)
    # The whole process group goes, background children included: else
    # the pipe stays open and the answer would come only after the drain.
    t0 = time.monotonic()
    m = run(a, 6, ["sh", "-c", "sleep 30 & echo started; wait"], timeout=1)
    took = time.monotonic() - t0
    assert m["timed_out"] is True and m["output"] == "started\n", m
    assert took < 2.5, took
    # A background process that outlives a normal exit is not waited for.
    t0 = time.monotonic()
    m = run(a, 7, ["sh", "-c", "sleep 5 & echo quick"], timeout=10)
    assert m["exit"] == 0 and not m["timed_out"] and m["output"] == "quick\n", m
    assert time.monotonic() - t0 < 2.5


def s_run_missing(a):
    a.expect("hello")
    m = run(a, 8, ["/no/such/program", "x"])
    assert m["exit"] == -1 and m["signal"] == 0 and not m["timed_out"], m
    assert "execvp(/no/such/program)" in m["output"] and "No such file" in m["output"], m
    m = run(a, 9, ["no-such-program-portcheck"])
    assert m["exit"] == -1 and "No such file" in m["output"], m


def s_run_env(a):
    a.expect("hello")
    m = run(a, 10, ["env"])
    assert m["exit"] == 0, m
    assert sorted(m["output"].splitlines()) == sorted(
        ["PATH=" + RUN_PATH, "LANG=C.UTF-8", "HOME=/root"]), m
    # stdin is /dev/null, the working directory /, a session of its own.
    m = run(a, 11, ["sh", "-c", "cat; pwd; ps -o sid= -p $$ | tr -d ' '; echo $$"])
    lines = m["output"].splitlines()
    assert m["exit"] == 0 and lines[0] == "/" and lines[1] == lines[2], m


def s_run_user(a):
    a.expect("hello")
    m = run(a, 12, ["sh", "-c", "id -u; id -g; echo $HOME"], user="nobody")
    assert m["exit"] == 0, m
    uid, gid, home = m["output"].splitlines()
    assert uid == "65534" and home == "/nonexistent", m
    m = run(a, 13, ["id", "-u"], user="root")
    assert m["output"] == "0\n", m
    m = run(a, 14, ["true"], user="no-such-user-portcheck")
    assert m["exit"] == -1 and "no user 'no-such-user-portcheck'" in m["output"], m


def s_run_output(a):
    a.expect("hello")
    # Invalid UTF-8 and NUL: valid JSON, U+FFFD per bad byte, NUL dropped.
    m = run(a, 15, ["printf", r"\xff\xfeA\x00B\xc3\xa9\xe2\x82"])
    assert m["output"] == "\ufffd\ufffdAB\u00e9\ufffd\ufffd", repr(m["output"])
    m = run(a, 16, ["printf", r"\xed\xa0\x80|\xc0\xaf|\xf4\x90\x80\x80"])  # surrogate, overlong, >U+10FFFF
    assert m["output"] == "\ufffd" * 3 + "|" + "\ufffd" * 2 + "|" + "\ufffd" * 4, repr(m["output"])
    # Only the last 4096 bytes are kept.
    m = run(a, 17, ["seq", "1", "20000"])
    assert m["exit"] == 0 and len(m["output"].encode()) == 4096, len(m["output"])
    assert m["output"].endswith("\n19999\n20000\n"), m["output"][-20:]
    # A cut through a multi-byte character does not show as U+FFFD.
    # 1366 x U+20AC (3 bytes) = 4098 bytes: the tail starts 2 bytes into one.
    m = run(a, 18, ["sh", "-c", "i=0; while [ $i -lt 1366 ]; do printf '\\342\\202\\254'; i=$((i+1)); done"])
    assert m["output"] == "\u20ac" * 1365, (len(m["output"]), m["output"][:5])


def s_run_bad(a):
    a.expect("hello")
    for i, cmd in enumerate([
            {"cmd": "run"},
            {"cmd": "run", "argv": []},
            {"cmd": "run", "argv": ["true", 1]},
            {"cmd": "run", "argv": "true"},
            {"cmd": "run", "argv": ["true"], "timeout": 0},
            {"cmd": "run", "argv": ["true"], "timeout": "10"},
            {"cmd": "run", "argv": ["true"], "user": 0},
    ], start=20):
        a.cmd(id=i, **cmd)
        m = a.expect("error", i)
        assert m["text"].startswith("run:"), m
    m = run(a, 30, ["true"])
    assert m["exit"] == 0, m


def s_garbage(a):
    a.expect("hello")
    a.send(b"not json\n")
    assert a.expect("error", 0)["text"].startswith("invalid JSON")
    a.send(b"x" * 70000 + b"\n")
    assert "longer than 65536" in a.expect("error", 0)["text"]
    a.send(b'{"cmd":"facts","id":5}\0\n')
    assert "NUL" in a.expect("error", 0)["text"]
    a.send(b'{"cmd":"facts","id":5} {}\n')
    a.expect("error", 0)
    a.send(b"\xff\xfe\n")
    a.expect("error", 0)
    a.send(b"\n")
    a.expect("error", 0)
    a.send(b"[1,2]\n")
    a.expect("error", 0)
    a.send(b'{"cmd":"facts"}\n')
    a.expect("error", 0)
    a.send(b'{"cmd":"facts","id":-3}\n')
    a.expect("error", 0)
    a.send(b'{"cmd":"facts","id":1.5}\n')
    a.expect("error", 0)
    a.send(b'{"cmd":"facts","id":6,"id":7}\n')
    a.expect("error", 0)
    a.cmd(cmd="launch-missiles", id=7)
    assert a.expect("error", 7)["text"] == "unknown cmd 'launch-missiles'"
    a.cmd(cmd="x" * 1000, id=8)
    assert a.expect("error", 8)["text"] == "unknown cmd"
    a.cmd(id=8)
    a.expect("error", 8)
    a.cmd(cmd="facts", id=9)
    a.expect("facts", 9)


def s_line_limit(a):
    a.expect("hello")

    def padded(id, total):
        head = b'{"cmd":"facts","id":%d,"pad":"' % id
        tail = b'"}\n'
        return head + b"p" * (total - len(head) - len(tail)) + tail

    a.send(padded(10, LINE_MAX))          # exactly the limit: fine
    a.expect("facts", 10)
    a.send(padded(11, LINE_MAX + 1))      # one byte over
    a.expect("error", 0)
    # Several commands in one write, and a line split over several writes.
    a.send(b'{"cmd":"facts","id":12}\n{"cmd":"run","id":13,"argv":["true"]}\n{"cmd":"fa')
    a.expect("facts", 12)
    a.expect("ran", 13)
    time.sleep(0.2)
    a.send(b'cts","id":14}\n')
    a.expect("facts", 14)


def s_power(a, action):
    a.expect("hello")
    a.cmd(cmd=action, id=4)
    assert a.expect("bye", 4) == {"msg": "bye", "id": 4, "action": action}
    try:
        rc = a.proc.wait(10)
    except subprocess.TimeoutExpired:
        raise AssertionError("agent did not exit after bye with --dry-run-power")
    a.check_exit(rc, 0)


def s_reopen(a):
    a.expect("hello")
    a.sock.close()               # the host goes away and comes back
    a.accept()
    a.cmd(cmd="facts", id=2)     # no second hello: once per boot
    a.expect("facts", 2)


SCENARIOS = {
    "hello": s_hello, "facts": s_facts, "run-exit": s_run_exit,
    "run-timeout": s_run_timeout, "run-missing": s_run_missing,
    "run-env": s_run_env, "run-user": s_run_user, "run-output": s_run_output,
    "run-bad": s_run_bad, "garbage": s_garbage, "line-limit": s_line_limit,
    "reboot": lambda a: s_power(a, "reboot"),
    "poweroff": lambda a: s_power(a, "poweroff"),
    "reopen": s_reopen,
}


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in SCENARIOS:
        sys.exit("usage: drive.py AGENT {%s}" % ",".join(SCENARIOS))
    binary, name = sys.argv[1], sys.argv[2]
    args = ["--dry-run-power"] if name in ("reboot", "poweroff") else []
    agent = Agent(binary, *args, reopen=5 if name == "reopen" else 0)
    try:
        SCENARIOS[name](agent)
        if agent.proc.poll() is None:
            if name == "reopen":
                # Gone for good: the agent gives up after --reopen seconds.
                agent.sock.close()
                agent.listener.close()
                agent.check_exit(agent.proc.wait(20), 0)
            else:
                agent.finish()
    except Exception:
        sys.stderr.write("--- agent stderr ---\n" + agent.stderr())
        raise
    finally:
        agent.cleanup()
    print("ok", name)


if __name__ == "__main__":
    main()

"""tests/monitor/monitor.py: drive pvos's monitor from the host (the .t files here).

A Session boots QEMU with the guest's serial line on a pair of FIFOs (QEMU's
`-serial pipe:`), waits for the monitor's prompt, types one line, waits for
the next prompt, and so on: a person at a terminal, in lockstep, so that
nothing is typed faster than a console can take it (Xen's serial input
buffer is small).  Bytes go out a few at a time for the same reason.

parse() splits any transcript, live or not (the nested KVM run types
everything at once), into (typed line, answer lines) pairs at each prompt.
TAP helpers count and print the results.
"""
import os
import re
import select
import subprocess
import sys
import tempfile
import time

PROMPT = b'pvos> '
STORM = bytes(b for b in range(0x02, 0x100)
              if b < 0x20 and b not in (0x08, 0x0a, 0x0d, 0x15, 0x1b) or b >= 0x80)


class Session:
    def __init__(self, qemu_argv, log, timeout=60):
        self.log, self.timeout = log, timeout
        self.dir = tempfile.mkdtemp(prefix='pvos-monitor.')
        base = os.path.join(self.dir, 'serial')
        os.mkfifo(base + '.in')
        os.mkfifo(base + '.out')
        self.qemu = subprocess.Popen(qemu_argv + ['-serial', 'pipe:' + base],
                                     stdin=subprocess.DEVNULL, stdout=open(log + '.qemu', 'wb'),
                                     stderr=subprocess.STDOUT)
        # Read-write opens never block, whether or not QEMU has opened its ends.
        self.tx = os.open(base + '.in', os.O_RDWR)
        self.rx = os.open(base + '.out', os.O_RDWR | os.O_NONBLOCK)
        self.out = b''
        self.prompts = 0

    def _read(self, until):
        while time.time() < until:
            r, _, _ = select.select([self.rx], [], [], 0.2)
            if r:
                self.out += os.read(self.rx, 65536)
                return True
            if self.qemu.poll() is not None:
                return False
        return False

    def wait_prompt(self, timeout=None):
        """Wait for one more prompt than seen so far; False on timeout or exit."""
        until = time.time() + (timeout or self.timeout)
        while self.out.count(PROMPT) <= self.prompts:
            if not self._read(until) and (time.time() >= until or self.qemu.poll() is not None):
                return False
        self.prompts += 1
        return True

    def type(self, data, end=b'\r'):
        data = (data.encode() if isinstance(data, str) else data) + end
        for i in range(0, len(data), 16):
            os.write(self.tx, data[i:i + 16])
            time.sleep(0.02)

    def cmd(self, line, timeout=None):
        self.type(line)
        return self.wait_prompt(timeout)

    def finish(self, line='exit', timeout=30):
        """Type the last line, wait for QEMU to exit; its status (124: timeout)."""
        self.type(line)
        until = time.time() + timeout
        while self.qemu.poll() is None and time.time() < until:
            self._read(until)
        if self.qemu.poll() is None:
            self.qemu.kill()
            self.qemu.wait()
            status = 124
        else:
            status = self.qemu.returncode
        self._read(time.time() + 0.5)
        self.save()
        return status

    def save(self):
        with open(self.log, 'w') as f:
            f.write(text_of(self.out))
        os.close(self.tx)
        os.close(self.rx)
        for n in ('serial.in', 'serial.out'):
            os.unlink(os.path.join(self.dir, n))
        os.rmdir(self.dir)


def text_of(raw):
    """Bytes as the transcript keeps them: no CR, the echo's erasures applied."""
    text = raw.decode('latin-1').replace('\r', '')
    while '\b \b' in text:
        text = re.sub(r'[^\n]?\x08 \x08', '', text, count=1)
    return text


def parse(text):
    """[(typed line, [answer lines])] for every prompt that was answered."""
    parts = text.split(PROMPT.decode())
    out = []
    for part in parts[1:]:
        lines = part.split('\n')
        if len(lines) > 1:
            out.append((lines[0], [l for l in lines[1:] if l]))
    return out


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, what, diag=None):
        self.n += 1
        print('%s %d - %s' % ('ok' if cond else 'not ok', self.n, what))
        if not cond:
            self.failed += 1
            for l in (diag or '').split('\n')[:12]:
                if l:
                    print('# ' + l)
        sys.stdout.flush()
        return cond

    def done(self):
        print('1..%d' % self.n)
        sys.exit(1 if self.failed else 0)


def answer(pairs, typed, nth=0):
    """The answer lines to the nth time `typed` was typed (None if never)."""
    seen = [a for t, a in pairs if t == typed]
    return seen[nth] if len(seen) > nth else None


def count_lines(text):
    """The two count lines pvos prints after patching, in order."""
    return re.findall(r'^pvops: \d+ (?:sites|link-time calls): .*$', text, re.M)

#!/usr/bin/env python3
"""Check patched kernel text taken from a running pvos against the image.

    patched-text.py KERNEL.elf TEXT.bin TABLE.bin

TEXT.bin is the kernel's text (_stext.._etext) and TABLE.bin its live pv_ops
table, both dumped from the stopped machine by QEMU's monitor.  For every
recorded site (.pv_sites) this script works out, on its own and from the
image alone, what the patcher must have written there: the backend's inline
template (.pv_insns, the one whose `equiv` is the slot's function), padded in
front to the site's length, its closing call re-aimed from the site; or, if
there is no template that fits, a direct call to the slot's function that
ends where the site ends.  It is a second, independent statement of the rules
in pvops/patch.c, so a mistake in either shows here.

The link-time calls (.pv_calls) too, against pvops/call_patch.c's rules: a
call or tail-call jmp straight to the slot's function, or, when that
function is a bare `ret`, a 5-byte NOP for a call and the `ret` itself for
a jmp.

Prints one line per wrong site or call, then "N sites: I inline, D direct"
and "N link-time calls: D direct, P nop"; exits 1 if any holds anything
else.
"""
import struct
import subprocess
import sys

NOPS = {1: '90', 2: '6690', 3: '0f1f00', 4: '0f1f4000', 5: '0f1f440000', 6: '660f1f440000',
        7: '0f1f8000000000', 8: '0f1f840000000000', 9: '660f1f840000000000',
        10: '662e0f1f840000000000', 11: '66662e0f1f840000000000'}
CLB_C_ABI = 0x1ff


def padding(n):
    """One instruction of n bytes: a NOP up to 11, else a jmp over int3s."""
    if n == 0:
        return b''
    if n <= 11:
        return bytes.fromhex(NOPS[n])
    return bytes([0xeb, n - 2]) + b'\xcc' * (n - 2)


def call(frm, to, length=5):
    """call rel32 at frm, ending at frm + length (CS prefixes before it)."""
    rel = to - (frm + length)
    if not -2**31 <= rel < 2**31:
        return None
    return b'\x2e' * (length - 5) + b'\xe8' + struct.pack('<i', rel)


class Image:
    def __init__(self, path):
        self.data = open(path, 'rb').read()
        self.sections = {}
        out = subprocess.run(['readelf', '-SW', path], capture_output=True, text=True,
                             check=True).stdout
        for line in out.splitlines():
            f = line.replace('[ ', '[').split()
            if len(f) > 5 and f[0].startswith('[') and f[1].startswith('.'):
                self.sections[f[1]] = (int(f[3], 16), int(f[4], 16), int(f[5], 16))
        out = subprocess.run(['nm', path], capture_output=True, text=True, check=True).stdout
        self.syms = {f[2]: int(f[0], 16) for f in (l.split() for l in out.splitlines())
                     if len(f) == 3}

    def read(self, addr, size):
        for vaddr, off, length in self.sections.values():
            if vaddr <= addr and addr + size <= vaddr + length:
                return self.data[off + addr - vaddr:off + addr - vaddr + size]
        raise ValueError('%x: not in any section of the image' % addr)

    def sites(self):
        vaddr, off, length = self.sections['.pv_sites']
        for i in range(0, length, 16):
            addr, op, ln, _flags, clb = struct.unpack_from('<QHBBH', self.data, off + i)
            yield addr, op, ln, clb

    def calls(self):
        if '.pv_calls' not in self.sections:
            return
        vaddr, off, length = self.sections['.pv_calls']
        for i in range(0, length, 16):
            yield struct.unpack_from('<QHB', self.data, off + i)

    def insns(self):
        start, stop = self.syms['__start_pv_insns'], self.syms['__stop_pv_insns']
        raw = self.read(start, stop - start)
        for i in range(0, len(raw), 32):
            op, clb, calls, code, end, equiv = struct.unpack_from('<HHB3xQQQ', raw, i)
            yield {'op': op, 'clobbers': clb, 'calls': calls, 'code': code,
                   'bytes': self.read(code, end - code) if end > code else b'', 'equiv': equiv}


def expect(site, slot, templates):
    """(how, bytes) the site must hold for a table whose slot is `slot`."""
    addr, op, length, clb = site
    for t in templates:
        if t['op'] != op or t['equiv'] != slot:
            continue
        code = t['bytes']
        if len(code) > length or t['clobbers'] & ~clb:
            break
        if t['calls']:
            target = t['code'] + len(code) + struct.unpack('<i', code[-4:])[0]
            tail = call(addr + length - 5, target)
            if tail is None:
                break
            code = code[:-5] + tail
        return 'inline', padding(length - len(code)) + code
    spare = length - 5
    if spare <= 3:
        return 'direct', call(addr, slot, length)
    return 'direct', padding(spare) + call(addr + spare, slot)


def expect_call(call, slot, slot_first_byte):
    """(how, bytes) a link-time call must hold for that slot's function."""
    addr, _op, kind = call
    if slot_first_byte == 0xc3:          # a bare ret: nothing to call
        return 'nop', (b'\xc3' + padding(4)) if kind == 2 else padding(5)
    return 'direct', bytes([0xe8 if kind == 1 else 0xe9]) + struct.pack('<i', slot - (addr + 5))


def check_calls(img, text, table, stext):
    """Check every link-time call; returns the number of wrong ones."""
    counts, bad = {'direct': 0, 'nop': 0}, 0
    for call in img.calls():
        addr, op, _kind = call
        slot = struct.unpack_from('<Q', table, 8 * op)[0]
        first = text[slot - stext] if stext <= slot < stext + len(text) else None
        how, want = expect_call(call, slot, first)
        have = text[addr - stext:addr - stext + 5]
        if have != want:
            bad += 1
            print('call %x op %d: holds %s, want %s %s' % (addr, op, have.hex(' '), how,
                                                         want.hex(' ')))
            continue
        counts[how] += 1
    print('%d link-time calls: %d direct, %d nop' % (counts['direct'] + counts['nop'] + bad,
                                                      counts['direct'], counts['nop']))
    return bad


def main():
    elf, text_path, table_path = sys.argv[1:4]
    img = Image(elf)
    text, table = open(text_path, 'rb').read(), open(table_path, 'rb').read()
    stext = img.syms['_stext']
    templates = list(img.insns())
    counts = {'inline': 0, 'direct': 0}
    bad = 0
    for site in img.sites():
        addr, op, length, _ = site
        slot = struct.unpack_from('<Q', table, 8 * op)[0]
        how, want = expect(site, slot, templates)
        have = text[addr - stext:addr - stext + length]
        if want is None or have != want:
            bad += 1
            print('site %x op %d: holds %s, want %s %s' % (addr, op, have.hex(' '), how,
                                                         want.hex(' ') if want else '?'))
            continue
        counts[how] += 1
    print('%d sites: %d inline, %d direct' % (counts['inline'] + counts['direct'] + bad,
                                              counts['inline'], counts['direct']))
    bad += check_calls(img, text, table, stext)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())

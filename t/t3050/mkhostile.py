#!/usr/bin/env python3
# mkhostile.py CASE >archive.tar: a tar archive that tries to make an
# extraction write where it must not, built from hand-made headers so that
# no library tidies it up first.  "mkhostile.py list" names the cases.

import sys

BLOCK = 512


def octal(n, width):
    return b'%0*o' % (width - 1, n) + b'\0'


def header(name, typeflag, size=0, mode=0o644, linkname=b'',
           devmajor=0, devminor=0, size_field=None):
    assert len(name) <= 100 and len(linkname) <= 100
    h = bytearray(BLOCK)
    h[0:len(name)] = name
    h[100:108] = octal(mode, 8)
    h[108:116] = octal(0, 8)
    h[116:124] = octal(0, 8)
    h[124:136] = size_field if size_field is not None else octal(size, 12)
    h[136:148] = octal(1455036180, 12)
    h[148:156] = b' ' * 8
    h[156:157] = typeflag
    h[157:157 + len(linkname)] = linkname
    h[257:263] = b'ustar\0'
    h[263:265] = b'00'
    h[265:269] = b'root'
    h[297:301] = b'root'
    h[329:337] = octal(devmajor, 8)
    h[337:345] = octal(devminor, 8)
    h[148:156] = b'%06o\0 ' % sum(h)
    return bytes(h)


def pad(data):
    return data + b'\0' * (-len(data) % BLOCK)


def pax_record(key, value):
    body = b' ' + key + b'=' + value + b'\n'
    n = len(body) + 1
    while len(b'%d' % n) + len(body) != n:
        n = len(b'%d' % n) + len(body)
    return b'%d' % n + body


def member(name, kind=b'f', data=b'', link=b'', mode=None, dev=(0, 0)):
    typeflag = {b'f': b'0', b'd': b'5', b'l': b'2', b'h': b'1',
                b'c': b'3', b'b': b'4', b'p': b'6'}[kind]
    if mode is None:
        mode = 0o755 if kind == b'd' else 0o644
    out = b''
    pax = b''
    if len(name) > 100:
        pax += pax_record(b'path', name)
        name = name[:100]
    if len(link) > 100:
        pax += pax_record(b'linkpath', link)
        link = link[:100]
    if pax:
        out += header(b'PaxHeader', b'x', len(pax)) + pad(pax)
    out += header(name, typeflag, len(data), mode, link, dev[0], dev[1])
    return out + pad(data)


def end(out):
    out += b'\0' * (2 * BLOCK)
    return out + b'\0' * (-len(out) % 10240)


long_name = b'/'.join([b'd' * 200] * 25) + b'/file'

CASES = {
    'absolute': [(b'/tmp/kt-hostile-absolute', b'f', b'evil\n')],
    'dotdot-lead': [(b'../sentinel/evil', b'f', b'evil\n')],
    'dotdot-middle': [(b'a/', b'd'), (b'a/../../sentinel/evil', b'f',
                                        b'evil\n')],
    'dotdot-end': [(b'a/..', b'd')],
    'symlink-absolute': [(b's', b'l', b'', b'/etc')],
    'symlink-up': [(b's', b'l', b'', b'../sentinel')],
    'symlink-deep-up': [(b'a/', b'd'), (b'a/b/', b'd'),
                        (b'a/b/s', b'l', b'', b'../../../sentinel')],
    'symlink-name-dotdot': [(b'a/', b'd'),
                            (b's', b'l', b'', b'a/../../sentinel')],
    'symlink-empty': [(b's', b'l', b'', b'')],
    'through-symlink': [(b'd/', b'd'), (b's', b'l', b'', b'd'),
                        (b's/evil', b'f', b'evil\n')],
    'dir-then-symlink': [(b'd/', b'd'), (b'x/', b'd'),
                         (b'x', b'l', b'', b'd'),
                         (b'x/evil', b'f', b'evil\n')],
    'dir-then-symlink-out': [(b'x/', b'd'), (b'x', b'l', b'', b'../sentinel'),
                             (b'x/evil', b'f', b'evil\n')],
    'hardlink-absolute': [(b'h', b'h', b'', b'/etc/passwd')],
    'hardlink-up': [(b'h', b'h', b'', b'../sentinel/file')],
    'hardlink-missing': [(b'h', b'h', b'', b'not-in-the-archive')],
    'hardlink-symlink': [(b'f', b'f', b'data\n'), (b's', b'l', b'', b'f'),
                         (b'h', b'h', b'', b's')],
    'hardlink-dir': [(b'd/', b'd'), (b'h', b'h', b'', b'd')],
    'under-file': [(b'f', b'f', b'data\n'), (b'f/evil', b'f', b'evil\n')],
    'chardev': [(b'null', b'c', b'', b'', None, (1, 3))],
    'blockdev': [(b'disk', b'b', b'', b'', None, (8, 0))],
    'fifo': [(b'pipe', b'p')],
    'dot-symlink': [(b'.', b'l', b'', b'/')],
    'dot-file': [(b'.', b'f', b'evil\n')],
    'dot-hardlink': [(b'f', b'f', b'data\n'), (b'./', b'h', b'', b'f')],
    'replace-dir': [(b'existing-dir', b'f', b'evil\n')],
    'replace-file': [(b'existing-file', b'f', b'new\n')],
    'long-name': [(long_name, b'f', b'evil\n')],
    'modes': [(b'suid', b'f', b'x\n', b'', 0o4755),
              (b'sgid/', b'd', b'', b'', 0o2775),
              (b'sticky/', b'd', b'', b'', 0o1777),
              (b'all', b'f', b'x\n', b'', 0o7777)],
}


def build(case):
    if case == 'huge-size':
        # A size field of 2**62 bytes in base-256, then 1 KiB of data and
        # the end of the input.
        size = bytes([0x80]) + (2 ** 62).to_bytes(11, 'big')
        return header(b'big', b'0', size_field=size) + b'x' * 1024
    if case == 'huge-octal':
        return end(header(b'big', b'0', size=0o77777777777) + b'x' * 1024)
    out = b''
    for m in CASES[case]:
        name, kind = m[0], m[1]
        data = m[2] if len(m) > 2 else b''
        link = m[3] if len(m) > 3 else b''
        mode = m[4] if len(m) > 4 else None
        dev = m[5] if len(m) > 5 else (0, 0)
        out += member(name, kind, data, link, mode, dev)
    return end(out)


if sys.argv[1] == 'list':
    print('\n'.join(sorted(list(CASES) + ['huge-size', 'huge-octal'])))
else:
    sys.stdout.buffer.write(build(sys.argv[1]))

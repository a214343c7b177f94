#!/usr/bin/env python3
# mkambiguous.py [--kt] CASE >archive.tar: a tar archive with a header
# that tar readers read differently (or one they all read alike, which
# must be accepted), built by hand so that no library tidies it up.
# With --kt it is a kt-tar archive: start marker, and a manifest listing
# the members as kt-tar's stream check used to read them, so that the
# manifest "matches" while libarchive extracts something else.
# "mkambiguous.py list" names the cases.

import hashlib
import sys

BLOCK = 512
EMPTY = hashlib.sha256(b'').hexdigest()


def octal(n, width):
    return b'%0*o' % (width - 1, n) + b'\0'


def header(name, typeflag, size=0, mode=0o644, linkname=b'',
           magic=b'ustar\0', version=b'00', prefix=b'', mode_field=None):
    h = bytearray(BLOCK)
    h[0:len(name)] = name
    h[100:108] = mode_field if mode_field is not None else octal(mode, 8)
    h[108:116] = octal(0, 8)
    h[116:124] = octal(0, 8)
    h[124:136] = octal(size, 12)
    h[136:148] = octal(1455036180, 12)
    h[148:156] = b' ' * 8
    h[156:157] = typeflag
    h[157:157 + len(linkname)] = linkname
    h[257:263] = magic
    h[263:265] = version
    h[265:269] = b'root'
    h[297:301] = b'root'
    h[329:337] = octal(0, 8)
    h[337:345] = octal(0, 8)
    h[345:345 + len(prefix)] = prefix
    h[148:156] = b'%06o\0 ' % sum(h)
    return bytes(h)


def pad(data):
    return data + b'\0' * (-len(data) % BLOCK)


def record(key, value, digits=0):
    """A pax record; DIGITS > 0 writes its length with that many digits
    (leading zeros)."""
    body = b' ' + key + b'=' + value + b'\n'
    if digits:
        return b'%0*d' % (digits, digits + len(body)) + body
    n = len(body) + 1
    while len(b'%d' % n) + len(body) != n:
        n = len(b'%d' % n) + len(body)
    return b'%d' % n + body


def pax(records, typeflag=b'x', name=b'PaxHeader/x'):
    return header(name, typeflag, len(records)) + pad(records)


def line(kind, path, data=b'', size=0):
    """A manifest line: escaping as kt_manifest.h says (only the cases'
    bytes need it here)."""
    digest = hashlib.sha256(data).hexdigest() if kind in b'flh' else EMPTY
    esc = path.replace(b'\\', b'\\\\').replace(b'\0', b'\\x00')
    return b'%s %s %d %s\n' % (digest.encode(), kind, size, esc)


def file(name, data, **kw):
    return header(name, b'0', len(data), **kw) + pad(data), \
        line(b'f', name.rstrip(b'/') or name, data, len(data))


def cases():
    evil = b'evil\n'
    hidden = header(b'hidden', b'0', len(evil)) + pad(evil)
    sparse_data = b'A' * 512 + b'B' * 512
    return {
        # An unknown type: a file with data to libarchive.
        'type-z': [(header(b'z', b'Z', len(evil)) + pad(evil),
                    line(b'o', b'z'))],
        # The same with a name that makes libarchive create a directory.
        'type-z-dir': [(header(b'zd/', b'Z', len(evil)) + pad(evil),
                        line(b'o', b'zd'))],
        # Solaris ACL: attributes of the next member to libarchive, a
        # file named "acl" to GNU tar.
        'type-a': [(header(b'acl', b'A', 16) + pad(b'user::rw-\0' + b'\0' * 6),
                    None), file(b'f', b'data\n')],
        # A "file" named dir/ whose data is a header: a directory to
        # libarchive, which then finds the hidden member.
        'file-slash': [(header(b'dir/', b'0', len(hidden)) + hidden,
                        line(b'f', b'dir', hidden, len(hidden)))],
        # Magic "ustar" and a sixth byte neither NUL nor GNU's: ustar to
        # libarchive (name "evil/file"), v7 to the rest (name "file").
        'magic-ustarx': [file(b'file', evil, magic=b'ustarX',
                              prefix=b'evil')],
        'magic-ustar-space': [file(b'file', evil, magic=b'ustar ',
                                   version=b'00', prefix=b'evil')],
        # A valid checksum, a mode field that is not octal.
        'mode-nonoctal': [file(b'file', evil, mode_field=b'zzzzzzz\0')],
        # Go's pax-pos-size-file: a size record of 24 digits.
        'pax-size-24': [(pax(record(b'size', b'%024d' % 5)) +
                         header(b'file', b'0', 0) + pad(b'hello'),
                         line(b'f', b'file', b'hello', 5))],
        # 2^64, even with its leading zeros: out of range.
        'pax-size-huge': [(pax(record(b'size', b'%030d' % 2 ** 64)) +
                           header(b'file', b'0', 0) + pad(b'hello'),
                           line(b'f', b'file', b'hello', 5))],
        # Record lengths and sizes with leading zeros, by value.
        'pax-zeros': [(pax(record(b'path', b'long/name', 30) +
                           record(b'size', b'%040d' % 5, 50)) +
                       header(b'short', b'0', 5) + pad(b'hello'),
                       line(b'f', b'long/name', b'hello', 5))],
        # A NUL inside a pax path: the name ends there for libarchive.
        'pax-path-nul': [(pax(record(b'path', b'a\0evil')) +
                          header(b'b', b'0', len(evil)) + pad(evil),
                          line(b'f', b'a\0evil', evil, len(evil)))],
        # Solaris sparse file, as libarchive's test archive has them.
        # (GNU tar ignores the map and extracts the data as it is.)
        'sun-sparse': [(pax(record(b'SUN.holesdata', b' 0 512 1024 1536')) +
                        header(b'sparse', b'0', 1024) + pad(sparse_data),
                        line(b'f', b'sparse', sparse_data, 1024))],
        # A global size: applied to every member by GNU tar only.
        'global-size': [(pax(record(b'size', b'1024'), b'g',
                             b'GlobalHead') + header(b'g', b'0', 5) +
                         pad(b'hello'), line(b'f', b'g', b'hello', 5))],
    }


def main(argv):
    kt = '--kt' in argv
    argv = [a for a in argv if a != '--kt']
    all_cases = cases()
    if argv[1] == 'list':
        print('\n'.join(sorted(all_cases)))
        return
    members = all_cases[argv[1]] + [file(b'after', b'after\n')]
    out = b''
    if kt:
        out += pax(record(b'comment', b'kt-tar archive 1\n'), b'g',
                   b'kt-tools/start')
    out += b''.join(raw for raw, _ in members)
    out += b'\0' * (2 * BLOCK)
    if kt:
        lines = [ln for _, ln in members if ln is not None]
        body = b'kt-tar manifest 1\n' + b''.join(lines) + \
            b'members %d\n' % len(lines)
        out += pax(record(b'comment', body), b'g', b'kt-tools/manifest')
        out += b'\0' * (2 * BLOCK)
    out += b'\0' * (-len(out) % 10240)
    sys.stdout.buffer.write(out)


main(sys.argv)

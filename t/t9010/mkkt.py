#!/usr/bin/env python3
# mkkt.py: write a kt-tar style archive by hand, as an independent second
# implementation of the format that common/kt_manifest.h defines, so the
# checker is not only tested against its own writer.
#
#   mkkt.py [options] <paths >archive
#
# Reads the paths to archive from stdin, one a line, relative to the
# current directory (like kt-tar -c reading kt-collect's list), and writes
# the start marker, the members (ustar headers, a pax 'x' header for what
# does not fit), two zero blocks, the manifest (pax global headers), two
# zero blocks and zero padding to a multiple of 10240 bytes.
# Options shape the result, or damage it in ways the checker must notice:
#   --eoa-pad           pad the end-of-archive to 10240 bytes before the
#                       manifest, as libarchive's close does
#   --part-max N        at most N bytes of comment per manifest header
#                       (default 524288, as kt_manifest.h)
#   --no-start          no start marker (a foreign archive)
#   --no-manifest       drop the manifest
#   --manifest-inside   put the manifest before the end-of-archive marker
#                       (the old layout)
#   --after-manifest    put one more member after the manifest
#   --flip-data N       flip a bit in the first data byte of regular file N
#                       (0-based) after its manifest line was computed
#   --count-delta D     add D to the "members" line
#   --drop-line N       leave member N (0-based) out of the manifest
#   --extra-line        list one more member in the manifest than there is
#   --lines N           add N fake members "fill/NNNNNNN" (empty files)
#   --gnu-longname      long names as GNU 'L'/'K' headers instead of pax
#   --no-pad            do not pad to 10240 bytes
#   --null              paths on stdin end with NUL, not newline
#
#   mkkt.py --complete-at <archive
#   mkkt.py --manifest <archive
#
# read an archive instead: print the length at which it is complete (the
# offset after the zero blocks that end it, after its manifest if it has
# one), or the lines of its manifest.

import hashlib
import os
import stat
import sys

BLOCK = 512


def octal(n, width):
    s = b'%0*o' % (width - 1, n)
    if len(s) > width - 1:
        raise ValueError('%d does not fit' % n)
    return s + b'\0'


def number(n, width):
    if n < 8 ** (width - 1):
        return octal(n, width)
    # base-256: high bit of the first byte set, big-endian value
    b = n.to_bytes(width, 'big')
    return bytes([b[0] | 0x80]) + b[1:]


def header(name, typeflag, size=0, mode=0o644, linkname=b'', prefix=b''):
    if len(name) > 100 or len(linkname) > 100 or len(prefix) > 155:
        raise ValueError('name too long for a ustar header')
    h = bytearray(BLOCK)
    h[0:len(name)] = name
    h[100:108] = octal(mode, 8)
    h[108:116] = octal(0, 8)
    h[116:124] = octal(0, 8)
    h[124:136] = number(size, 12)
    h[136:148] = octal(0, 12)
    h[148:156] = b' ' * 8
    h[156:157] = typeflag
    h[157:157 + len(linkname)] = linkname
    h[257:263] = b'ustar\0'
    h[263:265] = b'00'
    h[329:337] = octal(0, 8)
    h[337:345] = octal(0, 8)
    h[345:345 + len(prefix)] = prefix
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


def global_header(name, comment):
    rec = pax_record(b'comment', comment)
    return header(name, b'g', len(rec)) + pad(rec)


def escape(path):
    out = bytearray()
    for c in path:
        if c == 0x5c:
            out += b'\\\\'
        elif c == 0x0a:
            out += b'\\n'
        elif c < 0x20 or c == 0x7f:
            out += b'\\x%02x' % c
        else:
            out.append(c)
    return bytes(out)


def manifest_line(digest, kind, size, path):
    while len(path) > 1 and path.endswith(b'/'):
        path = path[:-1]
    return b'%s %s %d %s\n' % (digest.encode(), kind, size, escape(path))


class Writer:
    def __init__(self, opts):
        self.opts = opts
        self.out = bytearray()
        self.lines = []
        self.nfiles = 0

    def member(self, path, kind, data=b'', link=b'', mode=0o644):
        typeflag = {b'f': b'0', b'd': b'5', b'l': b'2', b'h': b'1'}[kind]
        if kind == b'f':
            digest = hashlib.sha256(data).hexdigest()
        elif kind in (b'l', b'h'):
            digest = hashlib.sha256(link).hexdigest()
        else:
            digest = hashlib.sha256(b'').hexdigest()
        name = path + b'/' if kind == b'd' else path
        pax = b''
        gnu = b''
        if len(name) > 100:
            if self.opts.get('gnu-longname'):
                gnu += header(b'././@LongLink', b'L', len(name) + 1) + \
                    pad(name + b'\0')
            else:
                pax += pax_record(b'path', name)
            name = name[:100]
        if len(link) > 100:
            if self.opts.get('gnu-longname'):
                gnu += header(b'././@LongLink', b'K', len(link) + 1) + \
                    pad(link + b'\0')
            else:
                pax += pax_record(b'linkpath', link)
            link = link[:100]
        size = len(data) if kind == b'f' else 0
        if size >= 8 ** 11:
            pax += pax_record(b'size', b'%d' % size)
        if pax:
            self.out += header(b'PaxHeader/' + name[:90], b'x', len(pax)) + \
                pad(pax)
        self.out += gnu
        self.out += header(name, typeflag, size, mode, link)
        self.lines.append(manifest_line(digest, kind, size, path))
        if kind == b'f':
            if self.nfiles == self.opts.get('flip-data') and data:
                data = bytes([data[0] ^ 1]) + data[1:]
            self.nfiles += 1
        self.out += pad(data)


def manifest_headers(lines, count, part_max):
    """The manifest as kt_manifest.h defines it: comment parts of at most
    part_max bytes, whole lines each, "members N" in the last."""
    parts = []
    cur = b'kt-tar manifest 1\n'
    for line in lines:
        if len(cur) + len(line) > part_max:
            parts.append(cur)
            cur = b'kt-tar manifest 1 part %d\n' % (len(parts) + 1)
        cur += line
    last = b'members %d\n' % count
    if len(cur) + len(last) > part_max:
        parts.append(cur)
        cur = b'kt-tar manifest 1 part %d\n' % (len(parts) + 1)
    parts.append(cur + last)
    return b''.join(global_header(b'kt-tools/manifest', p) for p in parts)


def read_archive(data):
    """(offset after the end, manifest comment text) of an archive, read
    by tarfile up to its end-of-archive and by hand after it."""
    import io
    import re
    import tarfile
    t = tarfile.open(fileobj=io.BytesIO(data))
    t.getmembers()
    off = t.offset                      # the first zero block
    off += 2 * BLOCK
    while off < len(data) and data[off:off + BLOCK] == b'\0' * BLOCK:
        off += BLOCK
    comment = b''
    while off < len(data) and data[off + 156:off + 157] == b'g':
        size = int(data[off + 124:off + 136].strip(b'\0 ') or b'0', 8)
        rec = data[off + BLOCK:off + BLOCK + size]
        m = re.match(rb'(\d+) comment=', rec)
        body = rec[m.end():int(m.group(1)) - 1]
        comment += re.sub(rb'^kt-tar manifest 1( part \d+)?\n', b'', body)
        off += BLOCK + size + (-size % BLOCK)
    if comment:
        off += 2 * BLOCK
    else:
        off = t.offset + 2 * BLOCK
    return off, comment


def main(argv):
    if len(argv) == 2 and argv[1] in ('--complete-at', '--manifest'):
        off, comment = read_archive(sys.stdin.buffer.read())
        if argv[1] == '--complete-at':
            print(off)
        else:
            sys.stdout.buffer.write(comment)
        return
    opts = {'part-max': 512 * 1024}
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in ('--flip-data', '--count-delta', '--lines', '--part-max',
                 '--drop-line'):
            opts[a[2:]] = int(argv[i + 1])
            i += 2
        else:
            opts[a[2:]] = True
            i += 1
    w = Writer(opts)
    if not opts.get('no-start'):
        w.out += global_header(b'kt-tools/start', b'kt-tar archive 1\n')
    seen = {}
    sep = b'\0' if opts.get('null') else b'\n'
    for line in sys.stdin.buffer.read().split(sep):
        if not line:
            continue
        st = os.lstat(line)
        if stat.S_ISDIR(st.st_mode):
            w.member(line, b'd', mode=0o755)
        elif stat.S_ISLNK(st.st_mode):
            w.member(line, b'l', link=os.fsencode(os.readlink(line)))
        elif (st.st_dev, st.st_ino) in seen and st.st_nlink > 1:
            w.member(line, b'h', link=seen[(st.st_dev, st.st_ino)])
        else:
            seen[(st.st_dev, st.st_ino)] = line
            with open(line, 'rb') as f:
                w.member(line, b'f', data=f.read())
    for n in range(opts.get('lines', 0)):
        w.member(b'fill/%07d' % n, b'f')
    lines = list(w.lines)
    if 'drop-line' in opts:
        del lines[opts['drop-line']]
    if opts.get('extra-line'):
        lines.append(manifest_line(hashlib.sha256(b'').hexdigest(), b'd',
                                   0, b'ghost'))
    manifest = manifest_headers(lines,
                                len(lines) + opts.get('count-delta', 0),
                                opts['part-max'])
    if opts.get('manifest-inside'):
        w.out += manifest
    w.out += b'\0' * (2 * BLOCK)
    if opts.get('eoa-pad'):
        w.out += b'\0' * (-len(w.out) % 10240)
    if not opts.get('no-manifest') and not opts.get('manifest-inside'):
        w.out += manifest
    if opts.get('after-manifest'):
        w.member(b'late', b'f', data=b'late\n')
    w.out += b'\0' * (2 * BLOCK)
    if not opts.get('no-pad'):
        w.out += b'\0' * (-len(w.out) % 10240)
    sys.stdout.buffer.write(w.out)


main(sys.argv)

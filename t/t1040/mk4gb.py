#!/usr/bin/env python3
# Writes 4gb-zeros.gpg (on stdout): the shape of GnuPG's 4gb-packet test,
# a few KiB that gpg expands to 4 GiB.  A literal data packet of 4 GiB
# minus 8 zeros (a five-octet length), bzip2-compressed inside a
# compressed data packet of indeterminate length: not encrypted at all.
# Takes about a minute; the output is kept in t/t1040.
import bz2
import struct
import sys

n = 0xffffffff - 7
# tag 11, new format, length n + 6: format 'b', no name, date 0
lit = bytes([0xcb, 0xff]) + struct.pack(">I", n + 6) + b"b\0" + bytes(4)
c = bz2.BZ2Compressor(9)
out = [c.compress(lit)]
zeros = bytes(1 << 20)
left = n
while left > 0:
    k = min(left, len(zeros))
    out.append(c.compress(zeros[:k]))
    left -= k
out.append(c.flush())
# tag 8, old format, indeterminate length; algorithm 3 (BZip2)
sys.stdout.buffer.write(bytes([0xa3, 3]) + b"".join(out))

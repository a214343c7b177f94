#!/usr/bin/env python3
# chunks.py [--cuts N] FILE...: feeds every FILE, and N cuts of it, to
# kt-check-stream --compare-chunks, which runs the recogniser over it in
# chunks of 1, 7, 511, 512 and 4096 bytes and whole, with and without
# KT_CHECK_HASH, and prints every stream whose verdicts (format, manifest,
# members, message...) differ.  Exits 1 when there is one, 0 when all
# agree.

import subprocess
import sys

def differences(data):
    r = subprocess.run(['kt-check-stream', '--compare-chunks'], input=data,
                       capture_output=True)
    if r.returncode not in (0, 4):
        raise SystemExit('kt-check-stream failed: %r' % r.stderr)
    return r.stdout, r.stderr if r.returncode == 4 else b''


def cuts(data, n):
    """Where to cut DATA: inside the first header, at and after block
    boundaries, in the middle, one byte before the end."""
    at = []
    for i in (len(data) // 2, 511, len(data) - 1, 513, 512, 100,
              len(data) - 512, len(data) - 1124, 1):
        if 0 < i < len(data) and i not in at:
            at.append(i)
    return at[:n]


def main(argv):
    n = 0
    if argv[1] == '--cuts':
        n = int(argv[2])
        argv = argv[2:]
    bad = 0
    checked = 0
    for path in argv[1:]:
        data = open(path, 'rb').read()
        for size in [len(data)] + cuts(data, n):
            whole, diff = differences(data[:size])
            checked += 1
            if diff:
                bad += 1
                print('%s cut at %d: whole read says %s, but\n%s'
                      % (path, size, whole.decode(errors='replace'),
                         diff.decode(errors='replace')))
    print('%d streams compared, %d differ' % (checked, bad))
    return 1 if bad else 0


sys.exit(main(sys.argv))

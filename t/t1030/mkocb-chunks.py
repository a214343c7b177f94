#!/usr/bin/env python3
# Writes ocb-chunks.gpg (on stdout): "password" encrypts TEXT (the first
# argument, a file) into an SKESK v4 (AES-128, iterated and salted
# SHA-256 S2K) and an AEAD encrypted data packet (tag 20, version 1,
# OCB) of 2^(C+6)-octet chunks (C the second argument, 6 by default:
# the 4 KiB gpg 2.3 writes).  GnuPG ships no sample with more than one
# chunk.  gpg 2.2 decrypts it.  Needs the Python "cryptography" package;
# the output is kept in t/t1030:
#   printf 'row %s of the keytrustee dump\n' $(seq 1 800) >text
#   python3 mkocb-chunks.py text >ocb-chunks.gpg
import hashlib
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESOCB3


def length(n):
    if n < 192:
        return bytes([n])
    if n < 8384:
        n -= 192
        return bytes([(n >> 8) + 192, n & 0xff])
    return b"\xff" + struct.pack(">I", n)


def packet(tag, body):
    return bytes([0xc0 | tag]) + length(len(body)) + body


text = open(sys.argv[1], "rb").read()
salt = os.urandom(8)
coded = 0x60                    # 65536 octets hashed
count = (16 + (coded & 15)) << ((coded >> 4) + 6)
sp = salt + b"password"
key = hashlib.sha256((sp * (count // len(sp) + 1))[:count]).digest()[:16]
skesk = packet(3, bytes([4, 7, 3, 8]) + salt + bytes([coded]))

literal = packet(11, b"b\0" + bytes(4) + text)
c = int(sys.argv[2]) if len(sys.argv) > 2 else 6
size = 1 << (c + 6)
iv = os.urandom(15)
ocb = AESOCB3(key)
ad = bytes([0xd4, 1, 7, 2, c])  # tag, version, AES-128, OCB, c


def nonce(i):
    return iv[:7] + bytes(a ^ b for a, b in zip(iv[7:], struct.pack(">Q", i)))


body = bytes([1, 7, 2, c]) + iv
n = 0
for off in range(0, len(literal), size):
    body += ocb.encrypt(nonce(n), literal[off:off + size],
                        ad + struct.pack(">Q", n))
    n += 1
body += ocb.encrypt(nonce(n), b"",
                    ad + struct.pack(">QQ", n, len(literal)))
sys.stdout.buffer.write(skesk + packet(20, body))

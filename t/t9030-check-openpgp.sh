#!/bin/sh

test_description='the stream recogniser on OpenPGP messages

What gpg writes, binary and armored, encrypted to a key or a passphrase,
signed or not, from a pipe (partial body lengths) and from a file, is
complete; cut anywhere it is not, and a message that stops at a packet
boundary is refused too.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t9010/lib-check.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"

if ! test_have_prereq GPG
then
	skip_all='gpg 2.2 or later not found'
	test_done
fi

if test_have_prereq SANITIZED
then
	TRIES=30
else
	TRIES=120
fi

# cuts_refused FILE: about $TRIES cuts from byte 12 to the last byte,
# each refused (exit 3) as the format FILE has.
cuts_refused () {
	python3 - "$1" "$TRIES" <<-\EOF
	import subprocess, sys
	d = open(sys.argv[1], "rb").read()
	step = len(d) // int(sys.argv[2]) + 1
	for i in sorted(set(list(range(12, len(d), step)) +
	                    [len(d) - 1, len(d) - 2, len(d) - 30])):
	    # Armor: the END line needs no newline after it.
	    if i < 12 or (d.endswith(b"-----\n") and i == len(d) - 1):
	        continue
	    r = subprocess.run(["kt-check-stream"], input=d[:i],
	                       capture_output=True)
	    if r.returncode != 3 or not r.stdout.startswith(b"format=openpgp"):
	        sys.exit("cut of %s at %d: exit %d, %s%s" % (sys.argv[1], i,
	                 r.returncode, r.stdout.decode(), r.stderr.decode()))
	EOF
}

# packet_offset FILE TAG: where the first top-level packet with TAG
# starts (gpg --list-packets does not show them all).
packet_offset () {
	python3 - "$1" "$2" <<-\EOF
	import sys
	d = open(sys.argv[1], "rb").read()
	i = 0
	while i < len(d):
	    b = d[i]
	    start = i
	    if b & 0x40:
	        tag = b & 0x3f
	        i += 1
	        while True:
	            o = d[i]
	            if o < 192:
	                n, i, more = o, i + 1, False
	            elif o < 224:
	                n, i, more = ((o - 192) << 8) + d[i + 1] + 192, i + 2, False
	            elif o < 255:
	                n, i, more = 1 << (o & 0x1f), i + 1, True
	            else:
	                n, i, more = int.from_bytes(d[i + 1:i + 5], "big"), i + 5, False
	            i += n
	            if not more:
	                break
	    else:
	        tag = (b >> 2) & 0xf
	        lt = b & 3
	        w = {0: 1, 1: 2, 2: 4}[lt]
	        n = int.from_bytes(d[i + 1:i + 1 + w], "big")
	        i += 1 + w + n
	    if tag == int(sys.argv[2]):
	        print(start)
	        break
	EOF
}

test_expect_success 'setup: keys and messages of every kind' '
	gpg_setup &&
	gpg_setup_backup_key &&
	head -c 300000 /dev/urandom >plain &&
	cat plain | gpg --batch -e -r "$BACKUP_FPR" >pipe.gpg &&
	gpg --batch -e -r "$BACKUP_FPR" -o file-z.gpg plain &&
	gpg --batch -e -z 0 -r "$BACKUP_FPR" -o file.gpg plain &&
	cat plain | gpg --batch -e -r "$BACKUP_FPR" -r "$ESCROW_FPR" >two.gpg &&
	cat plain | gpg --batch --pinentry-mode loopback --passphrase secret \
		-c >sym.gpg &&
	cat plain | gpg --batch -e -a -r "$BACKUP_FPR" >armor.asc &&
	cat plain | gpg --batch -se -r "$BACKUP_FPR" -u "$BACKUP_FPR" >signed.gpg &&
	cat plain | gpg --batch -s -u "$BACKUP_FPR" >signonly.gpg &&
	cat plain | gpg --batch -s -z0 -u "$BACKUP_FPR" >signonly0.gpg &&
	gpg --batch --detach-sign -u "$BACKUP_FPR" -o detached.sig plain &&
	echo short | gpg --batch --pinentry-mode loopback --passphrase secret \
		-c --rfc2440 >nomdc.gpg 2>/dev/null &&
	# From a pipe gpg writes partial body lengths; from a file too
	# when it compresses, not when it need not.
	gpg --batch --list-packets pipe.gpg 2>/dev/null >packets &&
	grep "tag=18 .*partial" packets &&
	gpg --batch --list-packets file.gpg 2>/dev/null >packets &&
	! grep partial packets
'

test_expect_success 'what gpg writes is complete' '
	for f in pipe file file-z two sym signed signonly signonly0 nomdc
	do
		kt-check-stream <$f.gpg >actual &&
		echo "format=openpgp inner=none suffix=.gpg manifest=none" >expect &&
		test_cmp expect actual &&
		kt-check-stream --hash <$f.gpg >actual &&
		test_cmp expect actual || return 1
	done &&
	kt-check-stream --describe <armor.asc >actual &&
	cat >expect <<-\EOF &&
	format=openpgp-armor inner=none suffix=.asc manifest=none
	ASCII-armored OpenPGP message
	EOF
	test_cmp expect actual
'

test_expect_success 'a message without MDC says so' '
	kt-check-stream --describe <nomdc.gpg >actual &&
	cat >expect <<-\EOF &&
	format=openpgp inner=none suffix=.gpg manifest=none
	OpenPGP message (no MDC)
	EOF
	test_cmp expect actual &&
	kt-check-stream --describe <pipe.gpg >actual &&
	grep "^OpenPGP message$" actual
'

test_expect_success 'a detached signature is a signature, and whole' '
	kt-check-stream --describe <detached.sig >actual &&
	cat >expect <<-\EOF &&
	format=openpgp inner=none suffix=.gpg manifest=none
	OpenPGP signature
	EOF
	test_cmp expect actual
'

test_expect_success 'every cut is refused' '
	for f in pipe.gpg file.gpg file-z.gpg two.gpg sym.gpg armor.asc \
		signed.gpg signonly.gpg signonly0.gpg
	do
		cuts_refused $f || return 1
	done
'

test_expect_success 'cuts at packet boundaries say what is missing' '
	seipd=$(packet_offset file.gpg 18) &&
	test -n "$seipd" &&
	head -c $seipd file.gpg >esk-only.gpg &&
	refuses --grep "ends at byte $seipd after its session key packets, without the encrypted data" esk-only.gpg &&
	sig=$(packet_offset signonly0.gpg 2) &&
	test -n "$sig" &&
	head -c $sig signonly0.gpg >no-sig.gpg &&
	refuses --grep "ends at byte $sig before the signature its one-pass signature packet announces" no-sig.gpg &&
	seipd=$(packet_offset pipe.gpg 18) &&
	head -c 5000 pipe.gpg >in-packet.gpg &&
	refuses --grep "cut inside the encrypted data packet that starts at byte $seipd" in-packet.gpg &&
	size=$(wc -c <file.gpg) &&
	head -c $((size - 1)) file.gpg >last-byte.gpg &&
	refuses --grep "1 more bytes expected at byte $((size - 1))" last-byte.gpg
'

test_expect_success 'a compressed packet without length is inflated to find its end' '
	gpg --batch --list-packets signonly.gpg 2>/dev/null |
		grep "tag=8 .*indeterminate" &&
	head -c 100000 signonly.gpg >cut-compressed.gpg &&
	refuses --grep "the compressed packet at byte 0 ends before its compressed data does" cut-compressed.gpg
'

test_expect_success 'anything after the message is refused' '
	cp file.gpg junk.gpg &&
	printf "junk" >>junk.gpg &&
	refuses --grep "no packet header at byte $(wc -c <file.gpg)" junk.gpg &&
	cat file.gpg file.gpg >twice.gpg &&
	refuses --grep "unexpected public-key encrypted session key packet at byte $(wc -c <file.gpg) after the end of the message" twice.gpg
'

test_expect_success 'packets that cannot be are refused' '
	python3 - <<-\EOF &&
	d = bytearray(open("file.gpg", "rb").read())
	d[2] = 9              # PKESK version 9
	open("badver.gpg", "wb").write(d)
	EOF
	# The first packet decides the format: with a bad version there,
	# it is not OpenPGP at all.
	kt-check-stream <badver.gpg >actual &&
	grep "^format=unknown" actual &&
	seipd=$(packet_offset file.gpg 18) &&
	python3 - $seipd <<-\EOF &&
	import sys
	d = bytearray(open("file.gpg", "rb").read())
	i = int(sys.argv[1])
	d[i] = 0xc6           # a public key packet where the data should be
	open("badtag.gpg", "wb").write(d)
	EOF
	refuses --grep "session key packets are followed by a type 6 packet at byte $seipd" badtag.gpg
'

test_expect_success 'armor: checksum, END line, base64 and headers are checked' '
	python3 -c "if 1:
		import re
		d = open(\"armor.asc\").read()
		m = re.search(r\"\n=(....)\n\", d)
		c = \"B\" if m.group(1)[0] == \"A\" else \"A\"
		d = d[:m.start(1)] + c + d[m.start(1) + 1:]
		open(\"badcrc.asc\", \"w\").write(d)
		" &&
	! cmp armor.asc badcrc.asc &&
	refuses --grep "CRC-24 checksum does not match" badcrc.asc &&
	grep -v "^-----END" armor.asc >noend.asc &&
	refuses --grep "no \"-----END PGP MESSAGE-----\" line" noend.asc &&
	cp armor.asc after.asc &&
	echo "more text" >>after.asc &&
	refuses --grep "data after the END line" after.asc &&
	cp armor.asc blank.asc &&
	printf "\n\n" >>blank.asc &&
	kt-check-stream <blank.asc &&
	sed "3s/^./*/" armor.asc >badchar.asc &&
	refuses --grep "not base64" badchar.asc &&
	sed "2s/^$/not a header/" armor.asc >badhdr.asc &&
	refuses --grep "armor header" badhdr.asc &&
	tr -d "\r" <armor.asc | sed "s/$/\r/" >crlf.asc &&
	kt-check-stream <crlf.asc &&
	sed "/^=/d" armor.asc >nocrc.asc &&
	kt-check-stream <nocrc.asc
'

# with_prose FILE...: each FILE as p-FILE, after two lines of text.
with_prose () {
	for f
	do
		{ printf "Backup of kts01, as mailed.\n\n" && cat $f; } >p-$f ||
		return 1
	done
}

test_expect_success 'armor after lines of text is a message, as gpg reads it' '
	with_prose armor.asc blank.asc crlf.asc nocrc.asc &&
	for f in p-armor.asc p-blank.asc p-crlf.asc p-nocrc.asc
	do
		kt-check-stream --describe <$f >actual &&
		cat >expect <<-\EOF &&
		format=openpgp-armor inner=none suffix=.asc manifest=none
		ASCII-armored OpenPGP message
		EOF
		test_cmp expect actual || return 1
	done
'

test_expect_success 'armor after text is checked as strictly as at byte 0' '
	with_prose badcrc.asc noend.asc after.asc badchar.asc badhdr.asc &&
	refuses --grep "CRC-24 checksum does not match" p-badcrc.asc &&
	refuses --grep "no \"-----END PGP MESSAGE-----\" line" p-noend.asc &&
	refuses --grep "data after the END line" p-after.asc &&
	refuses --grep "not base64" p-badchar.asc &&
	refuses --grep "armor header" p-badhdr.asc &&
	size=$(wc -c <p-armor.asc) &&
	head -c $((size / 2)) p-armor.asc >p-cut.asc &&
	refuses --grep "armored OpenPGP message cut at byte" p-cut.asc &&
	printf "Backup\n-----BEGIN PGP MESS" >p-cutbegin.asc &&
	refuses --grep "armored OpenPGP message cut" p-cutbegin.asc
'

test_expect_success 'text is not a message when another armor comes first, or NULs, or 512 bytes' '
	{ printf "%s\n" "-----BEGIN PGP SIGNED MESSAGE-----" "" && cat armor.asc; } >p-other.asc &&
	{ printf "text\0\n" && cat armor.asc; } >p-nul.asc &&
	{ head -c 600 /dev/zero | tr "\0" x && echo && cat armor.asc; } >p-long.asc &&
	for f in p-other.asc p-nul.asc p-long.asc
	do
		kt-check-stream <$f >actual &&
		grep "^format=unknown" actual || return 1
	done
'

# gpg (is_armored() in g10/armor.c) looks for armor only when the first
# bytes are no packet header it knows, whatever text follows them.
test_expect_success 'text that starts like a packet header to gpg is binary, armor or not' '
	# a comment packet, UTF-8 text (0xc3: a session key packet), an
	# old-format signature header, a control packet (0xff)
	for first in "\320\001x" "\303\251t\351" "\211\001\003" "\377\001"
	do
		{ printf "$first\n" && cat armor.asc; } >p-bin.asc &&
		refuses --grep ": OpenPGP message: " p-bin.asc ||
		{ echo "first bytes $first"; return 1; }
	done
'

test_expect_success 'text with the high bit set that gpg reads as text: armor after it' '
	# tag 0, tag 15 (old format), tag 48 (new), a session key packet
	# with a partial length (only data packets have one)
	for first in "\200" "\274" "\360" "\301\345"
	do
		{ printf "$first text\n" && cat armor.asc; } >p-text.asc &&
		kt-check-stream --describe <p-text.asc >actual &&
		grep "^format=openpgp-armor " actual ||
		{ echo "first bytes $first"; return 1; }
	done
'

test_expect_success 'AEAD packets: RFC 4880bis OCB (tag 20) and RFC 9580 SEIPD v2 (tag 18 v2)' '
	for n in enc-sym-ocb-1 enc-sym-ocb-2 enc-9580-a-8-5
	do
		cp "$TEST_DIRECTORY/t1030/$n.asc" $n.asc &&
		gpg --batch --dearmor <$n.asc >$n.gpg &&
		kt-check-stream --describe <$n.asc >actual &&
		grep "^format=openpgp-armor " actual &&
		grep "^ASCII-armored OpenPGP message$" actual &&
		kt-check-stream <$n.gpg >actual &&
		grep "^format=openpgp " actual &&
		cuts_refused $n.gpg || return 1
	done
'

test_expect_success 'the chunk size changes no verdict and no message' '
	for f in pipe.gpg file.gpg sym.gpg armor.asc signonly.gpg nomdc.gpg \
		esk-only.gpg no-sig.gpg in-packet.gpg cut-compressed.gpg \
		junk.gpg twice.gpg badtag.gpg badcrc.asc noend.asc after.asc \
		badchar.asc detached.sig p-armor.asc p-badcrc.asc p-noend.asc \
		p-after.asc p-cut.asc p-cutbegin.asc p-other.asc p-long.asc \
		enc-sym-ocb-1.asc enc-sym-ocb-2.gpg enc-9580-a-8-5.asc
	do
		kt-check-stream --describe <$f >a 2>&1; echo $? >>a
		for c in 1 3 4096
		do
			kt-check-stream --describe --chunk $c <$f >b 2>&1
			echo $? >>b
			test_cmp a b || return 1
		done
	done
'

test_done

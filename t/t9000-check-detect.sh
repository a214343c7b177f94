#!/bin/sh

test_description='the stream recogniser tells formats apart from their first bytes

kt-check-stream runs common/kt_check.c over its input: which format, as
early as possible, and what an input too short to tell becomes.'

. "$(dirname "$0")/test-lib.sh"

# verdict FILE [OPTIONS]: "format=... rc=N" for FILE.
verdict () {
	verdict_f_=$1
	shift
	kt-check-stream "$@" <"$verdict_f_" >verdict.out 2>verdict.err
	echo "$(head -n 1 verdict.out) rc=$?"
}

# bytes PRINTF-FORMAT: exactly those bytes on stdout.
bytes () {
	printf "$@"
}

test_expect_success 'usage errors exit 2' '
	test_expect_code 2 kt-check-stream --chunk 0 </dev/null &&
	test_expect_code 2 kt-check-stream --chunk x </dev/null &&
	test_expect_code 2 kt-check-stream --bogus </dev/null &&
	test_expect_code 2 kt-check-stream extra </dev/null &&
	kt-check-stream --help >out &&
	grep "^usage: kt-check-stream" out
'

test_expect_success 'empty input is empty, and no error' '
	kt-check-stream </dev/null >actual &&
	echo "format=empty inner=none suffix= manifest=none" >expect &&
	test_cmp expect actual
'

test_expect_success 'text and random data are unknown, and accepted' '
	printf "hello, world\n" >text &&
	kt-check-stream <text >actual &&
	echo "format=unknown inner=none suffix= manifest=none" >expect &&
	test_cmp expect actual &&
	# Random bytes with the top bit clear in the first byte.
	head -c 4096 /dev/urandom | tr "\200-\377" "\000-\177" >random &&
	kt-check-stream <random >actual &&
	test_cmp expect actual &&
	printf -- "-- a plain SQL script\nSELECT 1;\n" >script.sql &&
	kt-check-stream <script.sql >actual &&
	test_cmp expect actual
'

test_expect_success 'gzip is known from three bytes' '
	printf "some text\n" | gzip -n >text.gz &&
	kt-check-stream --peek 2 <text.gz >actual &&
	head -n 1 actual >peek2 &&
	echo "peek 2 format=pending" >expect &&
	test_cmp expect peek2 &&
	kt-check-stream --peek 3 <text.gz >actual &&
	cat >expect <<-\EOF &&
	peek 3 format=gzip
	format=gzip inner=unknown suffix=.gz manifest=none
	EOF
	test_cmp expect actual
'

test_expect_success 'a tar is known from its first header, at 512 bytes' '
	mkdir tree &&
	echo data >tree/file &&
	tar cf plain.tar tree &&
	kt-check-stream --peek 511 <plain.tar >actual &&
	grep "^peek 511 format=pending$" actual &&
	kt-check-stream --peek 512 <plain.tar >actual &&
	grep "^peek 512 format=tar$" actual &&
	grep "^format=tar inner=none suffix=.tar manifest=none$" actual
'

test_expect_success 'a tar whose first name is not ASCII is a tar' '
	mkdir -p u &&
	echo x >"u/$(printf "\303\251t\303\251")" &&
	(cd u && tar cf ../utf8.tar "$(printf "\303\251t\303\251")") &&
	test "$(head -c 1 utf8.tar | od -An -tx1 | tr -d " ")" = c3 &&
	kt-check-stream <utf8.tar >actual &&
	grep "^format=tar " actual
'

test_expect_success 'PostgreSQL dump headers are known, plain and cluster' '
	printf -- "--\n-- PostgreSQL database dump\n--\n\nSELECT 1;\n" >db.sql &&
	kt-check-stream --peek 34 <db.sql >actual ;
	grep "^peek 34 format=pgdump$" actual &&
	printf -- "--\n-- PostgreSQL database cluster dump\n--\n\n" >all.sql &&
	kt-check-stream --peek 42 --describe <all.sql >actual ;
	grep "^peek 42 format=pgdump$" actual &&
	grep "^PostgreSQL cluster dump$" actual
'

test_expect_success 'armored OpenPGP is known from its BEGIN line' '
	printf -- "-----BEGIN PGP MESSAGE-----\n\nhQ==\n" >msg.asc &&
	kt-check-stream --peek 27 <msg.asc >actual ;
	grep "^peek 27 format=openpgp-armor$" actual &&
	printf -- "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n" >key.asc &&
	kt-check-stream <key.asc >actual &&
	grep "^format=unknown " actual
'

test_expect_success 'binary OpenPGP is known from its first packet' '
	# A symmetric-key session key packet (v4, AES-128, iterated and
	# salted S2K), then an encrypted data packet (SEIPD v1).
	bytes "\214\015\004\007\003\002\001\002\003\004\005\006\007\010\377" >msg.gpg &&
	bytes "\322\051\001" >>msg.gpg &&
	head -c 40 /dev/zero >>msg.gpg &&
	kt-check-stream --describe <msg.gpg >actual &&
	cat >expect <<-\EOF &&
	format=openpgp inner=none suffix=.gpg manifest=none
	OpenPGP message
	EOF
	test_cmp expect actual
'

test_expect_success 'a first byte with the top bit set is not enough' '
	# PNG: 0x89 reads as an old signature packet header, but "G" is
	# no signature version.
	bytes "\211PNG\r\n\032\n\000\000\000\015IHDR" >x.png &&
	head -c 600 /dev/zero >>x.png &&
	kt-check-stream <x.png >actual &&
	grep "^format=unknown " actual &&
	# An exported public key (tag 6) is no message.
	bytes "\231\001\015\004" >key.pgp &&
	head -c 300 /dev/urandom >>key.pgp &&
	kt-check-stream <key.pgp >actual &&
	grep "^format=unknown " actual
'

test_expect_success 'inputs shorter than detection needs' '
	bytes "\037" >gz1 &&
	test "$(verdict gz1)" = "format=unknown inner=none suffix= manifest=none rc=0" &&
	bytes "\037\213" >gz2 &&
	test "$(verdict gz2)" = "format=gzip inner=empty suffix=.gz manifest=none rc=3" &&
	grep "gzip stream cut at byte 2" verdict.err &&
	printf -- "--" >dash2 &&
	test "$(verdict dash2)" = "format=unknown inner=none suffix= manifest=none rc=0" &&
	printf -- "--\n-- Postgre" >pg &&
	test "$(verdict pg)" = "format=pgdump inner=none suffix=.sql manifest=none rc=3" &&
	grep "without its completion trailer" verdict.err &&
	printf -- "-----BEGIN PGP" >arm &&
	test "$(verdict arm)" = "format=openpgp-armor inner=none suffix=.asc manifest=none rc=3" &&
	head -c 300 plain.tar >tar300 &&
	test "$(verdict tar300)" = "format=tar inner=none suffix=.tar manifest=none rc=3" &&
	grep "cut inside a header at byte 300" verdict.err &&
	printf "kt-tools/start" >kt14 &&
	test "$(verdict kt14)" = "format=tar inner=none suffix=.tar manifest=none rc=3" &&
	head -c 5 msg.gpg >gpg5 &&
	test "$(verdict gpg5)" = "format=openpgp inner=none suffix=.gpg manifest=none rc=3" &&
	grep "cut inside" verdict.err
'

test_expect_success 'gzip inside gzip is followed, one level deeper no more' '
	gzip -n <plain.tar >plain.tar.gz &&
	gzip -n <plain.tar.gz >plain.tar.gz.gz &&
	gzip -n <plain.tar.gz.gz >plain.tar.gz.gz.gz &&
	kt-check-stream --describe <plain.tar.gz >actual &&
	cat >expect <<-\EOF &&
	format=gzip inner=tar suffix=.tar.gz manifest=none
	gzip-compressed tar archive
	EOF
	test_cmp expect actual &&
	kt-check-stream --describe <plain.tar.gz.gz >actual &&
	cat >expect <<-\EOF &&
	format=gzip inner=gzip suffix=.gz manifest=none
	gzip-compressed gzip-compressed data
	EOF
	test_cmp expect actual &&
	kt-check-stream <plain.tar.gz.gz.gz >actual &&
	grep "^format=gzip inner=gzip " actual
'

test_expect_success 'suffixes and descriptions' '
	gzip -n <db.sql >db.sql.gz &&
	kt-check-stream --describe <db.sql.gz >actual ;
	grep "^format=gzip inner=pgdump suffix=.sql.gz " actual &&
	grep "^gzip-compressed PostgreSQL dump$" actual &&
	kt-check-stream --describe <plain.tar >actual &&
	grep "^tar archive$" actual &&
	kt-check-stream --describe </dev/null >actual &&
	grep "^empty input$" actual &&
	kt-check-stream --describe <text >actual &&
	grep "^unrecognised data$" actual
'

test_expect_success 'chunk size does not change any verdict' '
	for f in text random plain.tar utf8.tar db.sql all.sql msg.asc \
		msg.gpg x.png key.pgp gz1 gz2 pg arm tar300 kt14 gpg5 \
		plain.tar.gz plain.tar.gz.gz text.gz
	do
		kt-check-stream <$f >a 2>ae; echo $? >>a
		for c in 1 3 511 513
		do
			kt-check-stream --chunk $c <$f >b 2>be; echo $? >>b
			test_cmp a b && test_cmp ae be || return 1
		done
	done
'

test_done

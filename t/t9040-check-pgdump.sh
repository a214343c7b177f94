#!/bin/sh

test_description='the stream recogniser on PostgreSQL plain dumps

Real pg_dump, pg_dump -c and pg_dumpall output is complete; cut anywhere,
inside its completion trailer or at a statement boundary, it is not; the
\unrestrict key must be the \restrict key, and a cluster dump must end
as one.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t9010/lib-check.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

if ! test_have_prereq PG
then
	skip_all='PostgreSQL server binaries not found'
	test_done
fi

if test_have_prereq SANITIZED
then
	TRIES=30
else
	TRIES=150
fi

# cuts_refused FILE: about $TRIES cuts, and every one of the last 200
# bytes, each refused as a cut dump.
cuts_refused () {
	python3 - "$1" "$TRIES" <<-\EOF
	import subprocess, sys
	d = open(sys.argv[1], "rb").read()
	step = len(d) // int(sys.argv[2]) + 1
	cuts = set(range(6, len(d), step)) | set(range(len(d) - 200, len(d)))
	for i in sorted(cuts):
	    r = subprocess.run(["kt-check-stream"], input=d[:i],
	                       capture_output=True)
	    if r.returncode != 3 or not r.stdout.startswith(b"format=pgdump"):
	        sys.exit("cut of %s at %d: exit %d, %s%s" % (sys.argv[1], i,
	                 r.returncode, r.stdout.decode(), r.stderr.decode()))
	EOF
}

test_expect_success 'setup: a cluster with a Key Trustee like database' '
	pg_setup &&
	pg_load_sample_schema keytrustee &&
	pg_psql -d postgres -c "CREATE DATABASE second" &&
	pg_psql -d second -c "CREATE TABLE t (x int); INSERT INTO t VALUES (1)" &&
	pg_dump keytrustee >plain.sql &&
	pg_dump -c keytrustee >clean.sql &&
	pg_dumpall >all.sql &&
	grep "^\\\\restrict " plain.sql &&
	test "$(grep -c "^\\\\restrict " all.sql)" -ge 3
'

test_expect_success 'real dumps are complete' '
	for f in plain clean
	do
		kt-check-stream --describe <$f.sql >actual &&
		cat >expect <<-\EOF &&
		format=pgdump inner=none suffix=.sql manifest=none
		PostgreSQL dump
		EOF
		test_cmp expect actual || return 1
	done &&
	kt-check-stream --describe <all.sql >actual &&
	cat >expect <<-\EOF &&
	format=pgdump inner=none suffix=.sql manifest=none
	PostgreSQL cluster dump
	EOF
	test_cmp expect actual
'

test_expect_success 'every cut is refused' '
	cuts_refused plain.sql &&
	cuts_refused clean.sql &&
	cuts_refused all.sql
'

test_expect_success 'a cut at a statement boundary is refused' '
	n=$(grep -n "^CREATE TABLE public.keys" plain.sql | cut -d: -f1) &&
	head -n $((n + 5)) plain.sql >statement.sql &&
	tail -n 1 statement.sql | grep ";$" &&
	refuses --grep "without its completion trailer" statement.sql &&
	n=$(grep -n "^\\\\\\.$" plain.sql | tail -n 1 | cut -d: -f1) &&
	head -n $n plain.sql >copy.sql &&
	refuses --grep "without its completion trailer" copy.sql
'

test_expect_success 'a cut inside the trailer is named' '
	size=$(wc -c <plain.sql) &&
	head -c $((size - 10)) plain.sql >t1.sql &&
	refuses --grep "PostgreSQL dump cut inside its completion trailer (input ends at byte $((size - 10)))" t1.sql &&
	head -c $((size - 100)) plain.sql >t2.sql &&
	refuses --grep "cut inside its completion trailer" t2.sql &&
	key=$(sed -n "s/^\\\\restrict //p" plain.sql) &&
	head -c $((size - ${#key} - 15)) plain.sql >t3.sql &&
	tail -c 20 t3.sql | grep "complete" &&
	refuses --grep "cut inside its completion trailer" t3.sql
'

test_expect_success 'the unrestrict key must be the restrict key' '
	sed "s/^\\\\unrestrict .*/\\\\unrestrict SomeOtherKey123/" plain.sql >otherkey.sql &&
	refuses --grep "its \\\\unrestrict key does not match its \\\\restrict key" otherkey.sql &&
	key=$(sed -n "s/^\\\\restrict //p" plain.sql) &&
	sed "s/^\\\\unrestrict .*/\\\\unrestrict ${key}x/" plain.sql >longer.sql &&
	refuses --grep "does not match" longer.sql
'

test_expect_success 'a cluster dump cut between two databases is refused' '
	# Right after one database dump of pg_dumpall, complete in itself.
	n=$(grep -n "^\\\\unrestrict " all.sql | sed -n 2p | cut -d: -f1) &&
	head -n $((n + 1)) all.sql >between.sql &&
	tail -n 5 between.sql | grep "PostgreSQL database dump complete" &&
	refuses --grep "PostgreSQL cluster dump ends at byte $(wc -c <between.sql) with the trailer of a single database.s dump" between.sql
'

test_expect_success 'a dump from before restrict keys ends without unrestrict' '
	sed -e "/^\\\\restrict /,+1d" -e "/^\\\\unrestrict /,+1d" plain.sql >old.sql &&
	! grep restrict old.sql &&
	kt-check-stream <old.sql &&
	cat old.sql >old-extra.sql &&
	tail -n 2 plain.sql >>old-extra.sql &&
	refuses --grep "ends with an \\\\unrestrict line, but started without \\\\restrict" old-extra.sql &&
	head -c $(($(wc -c <old.sql) - 3)) old.sql >old-cut.sql &&
	refuses --grep "cut inside its completion trailer" old-cut.sql
'

test_expect_success 'data after the trailer is refused' '
	cp plain.sql after.sql &&
	echo "DROP TABLE keys;" >>after.sql &&
	refuses --grep "without its completion trailer" after.sql
'

test_expect_success 'kt_pgdump_trailer_start finds the trailer in the tail' '
	for f in plain clean all old
	do
		kt-check-stream --trailer <$f.sql >actual &&
		want=$(grep -b "^-- PostgreSQL database.* dump complete$" $f.sql |
			tail -n 1 | cut -d: -f1) &&
		grep "^trailer=$((want - 3))$" actual || return 1
	done &&
	kt-check-stream --trailer <t1.sql >actual ;
	grep "^trailer=none$" actual &&
	kt-check-stream --trailer <statement.sql >actual ;
	grep "^trailer=none$" actual &&
	# The whole trailer always fits what kt-pgdump-wrap holds back.
	at=$(sed -n "s/^trailer=//p" <<-EOF
	$(kt-check-stream --trailer <plain.sql)
	EOF
	) &&
	test $(($(wc -c <plain.sql) - at)) -lt 512
'

test_expect_success 'a restrict key too long to be real is refused' '
	key=$(printf "%0300d" 0) &&
	printf -- "--\n-- PostgreSQL database dump\n--\n\n\\\\restrict %s\n\nSELECT 1;\n" "$key" >longkey.sql &&
	refuses --grep "restrict key is longer than 256" longkey.sql
'

test_expect_success 'the chunk size changes no verdict and no message' '
	for f in plain.sql all.sql statement.sql t1.sql t3.sql otherkey.sql \
		between.sql old.sql old-extra.sql after.sql longkey.sql
	do
		kt-check-stream <$f >a 2>&1; echo $? >>a
		for c in 1 5 4096
		do
			kt-check-stream --chunk $c <$f >b 2>&1; echo $? >>b
			test_cmp a b || return 1
		done
	done
'

test_done

#!/bin/sh

test_description='kt-pgdump-wrap: the SQL filter splits a dump as psql does, or refuses it

The statements the filter splits out (t/helper/kt-sqlf-split) are compared
with those psql itself sends (psql -L) for every dump the suite makes and
for crafted ones.  Dumps that psql and the server could read otherwise than
the filter (standard_conforming_strings changed behind its back, strings
continued across lines, client encodings that hide bytes, psql variables,
a carriage return in a comment, COPY FROM STDOUT, NUL bytes, \restrict
with a backquote, a function named begin) are refused: nothing is
committed and no shell command runs.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

if ! test_have_prereq PG
then
	skip_all='PostgreSQL server binaries not found'
	test_done
fi

T5070=$TEST_DIRECTORY/t5070
ndb=0

# psql_split FILE: the statements psql sends for FILE, one a line, white
# space removed, from psql's own log (-L); errors do not stop it.  Each
# run gets a fresh database, so that statements find what they expect.
psql_split () {
	ndb=$((ndb + 1)) &&
	pg_psql -d postgres -c "CREATE DATABASE split$ndb" &&
	rm -f psql.log &&
	{ psql -X -q -v ON_ERROR_STOP=0 -L psql.log -o /dev/null \
		-d "split$ndb" <"$1" >/dev/null 2>&1 || :; } &&
	test -f psql.log &&
	awk '$0 == "********* QUERY **********" { q = 1; s = ""; next }
		q && $0 == "**************************" { q = 0; print s; next }
		q { s = s $0 }' psql.log | tr -d " \t\r\f"
}

# agree FILE: the filter accepts FILE and splits it as psql does.
agree () {
	kt-sqlf-split filtered <"$1" >filter.stmts &&
	psql_split "$1" >psql.stmts &&
	test_line_count -gt 0 psql.stmts &&
	test_cmp psql.stmts filter.stmts
}

# refused_early FILE: the filter refuses FILE, and up to there, in what
# psql gets of it (its whole lines: a restore then kills psql), psql and
# the filter see the same statements.  "\q" ends psql without sending
# what it holds.
refused_early () {
	test_must_fail kt-sqlf-split filtered <"$1" >filter.stmts 2>err &&
	grep "^kt-sqlf-split: line [0-9]*: refusing" err &&
	head -n "$(wc -l <filtered)" filtered >whole &&
	printf "\\\\q\\n" >>whole &&
	psql_split whole >psql.stmts &&
	head -n "$(wc -l <psql.stmts)" filter.stmts >expect &&
	test_cmp expect psql.stmts
}

# attack NAME [DIR]: the sample dump with t5070/NAME.sql (or DIR/NAME.sql)
# inserted after its SET lines and cut before its trailer, as an attacker
# who can write a backup would make it; its shell commands touch
# NAME.pwned.  NAME.split: an offset well past the attack.
attack () {
	rm -f "$1.pwned" &&
	key=$(sed -n "s/^\\\\restrict //p" sample.sql) &&
	sed -n "1,/^SET standard_conforming_strings/p" sample.sql >"$1.dump" &&
	sed -e "s/@KEY@/$key/" -e "s|@FILE@|$PWD/$1.pwned|" \
		"${2:-$T5070}/$1.sql" >>"$1.dump" &&
	echo $(($(wc -c <"$1.dump") + 10000)) >"$1.split" &&
	sed -e "1,/^SET standard_conforming_strings/d" \
		-e "/^-- PostgreSQL database dump complete/,\$d" \
		sample.sql >>"$1.dump" &&
	test "$(wc -c <"$1.dump")" -gt 20000
}

# slowly FILE SPLIT: FILE, with a pause after its first SPLIT bytes, as
# from kt-unseal or ssh: psql has time to run what it got before the end
# shows the dump cut.
slowly () {
	head -c "$2" "$1" &&
	sleep 2 &&
	tail -c +"$(($2 + 1))" "$1"
}

# refuses NAME [DIR]: kt-pgdump-wrap --restore refuses the attack, names its
# line, commits nothing and runs nothing.
refuses () {
	attack "$1" $2 &&
	ndb=$((ndb + 1)) &&
	pg_psql -d postgres -c "CREATE DATABASE victim$ndb TEMPLATE keytrustee" &&
	{
		slowly "$1.dump" "$(cat "$1.split")" |
		kt-pgdump-wrap --restore "victim$ndb" 2>err
		echo $? >rc
	} &&
	cat err &&
	pg_table_digest "victim$ndb" >after &&
	test_cmp before after &&
	test_path_is_missing "$1.pwned" &&
	echo 1 >expect &&
	test_cmp expect rc &&
	grep "^kt-pgdump-wrap: .*line [0-9]*: refusing" err &&
	grep "nothing restored, database victim$ndb unchanged" err
}

test_expect_success 'setup: a cluster, the sample schema, its dumps' '
	pg_setup &&
	pg_load_sample_schema keytrustee &&
	pg_table_digest keytrustee >before &&
	kt-pgdump-wrap >sample.sql &&
	pg_dump -c keytrustee >plain-c.sql &&
	pg_dump -s keytrustee >schema.sql
'

test_expect_success 'psql and the filter split kt-pgdump-wrap dumps alike' '
	agree sample.sql
'

test_expect_success 'psql and the filter split plain pg_dump -c and -s dumps alike' '
	agree plain-c.sql &&
	agree schema.sql
'

test_expect_success 'psql and the filter split the tricky fixture alike' '
	agree "$TEST_DIRECTORY/t5010/tricky.sql"
'

test_expect_success 'psql and the filter split crafted SQL alike: strings,
continuations, comments, casts, BEGIN ATOMIC, COPY, UTF-8' '
	agree "$T5070/agree.sql"
'

test_expect_success 'a dump with a large object, odd names and values splits alike' '
	pg_psql -d postgres -c "CREATE DATABASE odd" &&
	pg_psql -d odd -f "$T5070/odd-schema.sql" >/dev/null &&
	kt-pgdump-wrap odd >odd.sql &&
	grep "lo_open" odd.sql &&
	agree odd.sql
'

for name in std-quoted cr-comment continued sjis begin-function copy-stdout \
	restrict-backtick nul
do
	test_expect_success "crafted $name: refused where psql would part from the filter" '
		sed -e "s/@KEY@/0123456789abcdef/" -e "s|@FILE@|$name.pwned|" \
			"$T5070/$name.sql" >"$name.in" &&
		refused_early "$name.in"
	'

done

test_expect_success 'the attack works against psql alone: two tables committed, a shell command run' '
	attack std-quoted &&
	pg_psql -d postgres -c "CREATE DATABASE victim" &&
	pg_psql -d victim -c "CREATE TABLE before_attack ()" &&
	{ psql -X -q -v ON_ERROR_STOP=1 -d victim -c BEGIN \
		-f std-quoted.dump >/dev/null 2>&1 || :; } &&
	test_path_is_file std-quoted.pwned &&
	pg_psql -d victim -At -c "SELECT count(*) FROM pg_tables
		WHERE tablename IN ('"'"'pwn1'"'"', '"'"'pwn2'"'"')" >count &&
	echo 2 >expect &&
	test_cmp expect count &&
	rm std-quoted.pwned
'

test_expect_success 'restore refuses the attack: quoted SET, a backslash string, COMMIT, \! (exit 1, nothing committed, nothing run)' '
	refuses std-quoted
'

for set in "SET standard_conforming_strings = true;" \
	"SET standard_conforming_strings TO '1';" \
	"SET SESSION \"standard_conforming_strings\" = 'yes';" \
	"SELECT set_config('standard_conforming_strings', 'on', false);" \
	"RESET standard_conforming_strings;" \
	"RESET ALL;"
do
	test_expect_success "restore refuses the attack after: $set" '
		mkdir -p v &&
		awk -v set="$set" "NR == 3 { print set; next } { print }" \
			"$T5070/std-quoted.sql" >v/std-quoted.sql &&
		grep -F -x "$set" v/std-quoted.sql &&
		refuses std-quoted v
	'
done

for name in cr-comment continued sjis begin-function copy-stdout \
	restrict-backtick nul
do
	test_expect_success "restore refuses the crafted $name dump" '
		refuses "$name"
	'

done

# In SJIS (and BIG5, GBK, UHC, GB18030, JOHAB) psql lexes the byte after
# a lead byte as 0xFF: "$\201A$" and "$\201B$" are one tag to psql, two
# to the filter and the server.  psql closes the quote at once and runs
# the \r, the COMMIT and the \! the filter took for its contents.
test_expect_success 'setup: a dollar-quote tag with a byte SJIS hides' '
	mkdir -p tag &&
	printf "%s\\n" "\\\\unrestrict @KEY@" "CREATE TABLE pwn1 (a int);" \
		"SET client_encoding = '"'"'SJIS'"'"';" \
		"DO \$\\201A\$ \$\\201B\$ \\\\r" "COMMIT;" "\\\\! touch @FILE@" \
		"\$\\201A\$; -- \$\\201B\$ \\\\r" \
		"SET client_encoding = '"'"'UTF8'"'"';" >tag/sjis-tag.fmt &&
	printf "$(cat tag/sjis-tag.fmt)\\n" >tag/sjis-tag.sql &&
	grep -c "^\\\\! touch @FILE@\$" tag/sjis-tag.sql &&
	test "$(od -An -tx1 tag/sjis-tag.sql | grep -c " 81 41 ")" -ge 1
'

test_expect_success 'crafted sjis-tag: refused where psql would part from the filter' '
	sed -e "s/@KEY@/0123456789abcdef/" -e "s|@FILE@|sjis-tag.pwned|" \
		tag/sjis-tag.sql >sjis-tag.in &&
	refused_early sjis-tag.in &&
	grep "line 4: refusing a dollar-quote tag with a non-ASCII byte" err
'

test_expect_success 'restore refuses the sjis-tag dump, cut (exit 1, nothing committed, nothing run)' '
	refuses sjis-tag tag
'

test_expect_success 'restore refuses the sjis-tag dump, complete (exit 1, nothing committed, nothing run)' '
	attack sjis-tag tag &&
	sed -n "/^-- PostgreSQL database dump complete/,\$p" sample.sql >trailer &&
	test_line_count -gt 0 trailer &&
	cat trailer >>sjis-tag.dump &&
	pg_psql -d postgres -c "CREATE DATABASE victim_tag TEMPLATE keytrustee" &&
	test_expect_code 1 kt-pgdump-wrap --restore victim_tag \
		<sjis-tag.dump 2>err &&
	cat err &&
	pg_table_digest victim_tag >after &&
	test_cmp before after &&
	test_path_is_missing sjis-tag.pwned &&
	grep "^kt-pgdump-wrap: .*line [0-9]*: refusing a dollar-quote tag" err &&
	grep "nothing restored, database victim_tag unchanged" err
'

test_expect_success 'any dollar-quote tag with a non-ASCII byte is refused: SJIS, UTF-8' '
	for tag in "\\201A" "\\303\\251" "\\377a" "\\217AB"
	do
		printf "SELECT \$$tag\$ x \$$tag\$;\\n" >tag.sql &&
		test_must_fail kt-sqlf-split filtered <tag.sql 2>err &&
		grep "line 1: refusing a dollar-quote tag with a non-ASCII" err ||
		return 1
	done
'

test_expect_success 'psql and the filter split SJIS text with hidden letters alike' '
	printf "%s\\n" "SET client_encoding = '"'"'SJIS'"'"';" \
		"SELECT \$a\$ \\201A\$a \\201B \$a\$ AS \\201Ax, '"'"'\\201A'"'"' AS \"\\201B\";" \
		"SELECT 1 AS \\201BEGIN, \$\\201A AS y; SELECT \$_\$\$\\201A\$_\$;" \
		"COMMENT ON TABLE \\201COMMIT IS NULL; -- \\201A\$ \\201B\$" \
		"SELECT :\\201A; SELECT 2;" \
		"SET client_encoding = '"'"'UTF8'"'"';" >hid.fmt &&
	printf "$(cat hid.fmt)\\n" >hid.sql &&
	agree hid.sql &&
	grep -c "SELECT2;" psql.stmts
'

test_expect_success 'restore refuses psql variables psql defines, not others' '
	printf "SELECT :DBNAME;\\n" >var.sql &&
	test_must_fail kt-sqlf-split filtered <var.sql 2>err &&
	grep "line 1: refusing :NAME" err &&
	printf "SELECT :lower, :1, a[1:2], :\"X\", :'"'"'Y'"'"' FROM t;\\n" >var2.sql &&
	kt-sqlf-split filtered <var2.sql
'

test_expect_success 'a number run into BEGIN in a function is refused (psql 14 counts it)' '
	printf "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1begin; END;\\n" >num.sql &&
	test_must_fail kt-sqlf-split filtered <num.sql 2>err &&
	grep "line 1: refusing a number run into a word" err
'

test_expect_success 'a string ending in a backslash is refused, whatever the SET before it' '
	printf "SET standard_conforming_strings = on;\\nSELECT '"'"'C:\\\\'"'"';\\n" >bs.sql &&
	cat bs.sql &&
	test_must_fail kt-sqlf-split filtered <bs.sql 2>err &&
	grep "line 2: refusing a string whose end depends" err
'

test_done

/*
 * The filter between a plain-text dump and psql that keeps a restore in
 * ONE transaction, whatever the dump says.
 *
 * psql --single-transaction is not enough: a dump with large objects
 * wraps their data in its own "BEGIN; ... COMMIT;", and that COMMIT
 * commits everything before it; and psql commits whatever it read when
 * its input simply ends.  So the caller sends BEGIN and, only for a
 * complete dump, COMMIT; and this filter, which splits the stream into
 * statements the way psql does (quotes, dollar quotes, comments,
 * parentheses, BEGIN ATOMIC bodies, COPY data), makes sure nothing in
 * between can end that transaction:
 *
 *  - the dump's own "BEGIN;" and "COMMIT;" statements are dropped;
 *  - any other statement that ends or starts a transaction (COMMIT ...,
 *    ROLLBACK, END, ABORT, START, PREPARE TRANSACTION) is refused;
 *  - psql meta-commands are refused (\connect would leave the
 *    transaction, \! runs a shell), except \restrict and \unrestrict,
 *    pg_dump's own guard against exactly those;
 *  - the DROP statements pg_dump -c writes before the first object
 *    ("the clean section") are made tolerant of objects that do not
 *    exist, as pg_dump --if-exists would have written them, so that a
 *    stock "pg_dump -c" dump also loads into a fresh database under
 *    ON_ERROR_STOP.  Each runs in a DO block that ignores only the
 *    "does not exist" errors; any other error still stops the restore.
 *
 * Everything else passes byte for byte, on the same lines, so psql's
 * "psql:<stdin>:LINE:" messages name the dump's own line numbers.
 * Memory is bounded: at most one statement head (64 KiB) is held.
 *
 * The lexer must never hold a state that psql (or the server, for what
 * psql sends it as one statement) does not hold; what it cannot know, it
 * refuses:
 *
 *  - psql reads '...' as a standard string or as an escape string as
 *    the server's standard_conforming_strings says at that moment, which
 *    any function of the dump can change (set_config()).  So every
 *    string is read both ways (and, continued across lines, also the way
 *    the server continues it), and a string whose end differs between
 *    the readings is refused.  No SET needs to be tracked.
 *  - In the client encodings SJIS, BIG5, GBK, UHC, GB18030 and JOHAB,
 *    psql hides the bytes that follow a non-ASCII lead byte; a hidden
 *    byte that would matter where it stands (a quote, a backslash, ...)
 *    is refused, whatever the encoding in force.  A hidden letter,
 *    digit or '_' keeps every boundary (0xFF is a word byte too) and
 *    only changes a word that already holds its non-ASCII lead byte,
 *    which no keyword, psql variable psql defines or \restrict key
 *    does; but dollar-quote tags are compared as psql sees them, so a
 *    tag with a non-ASCII byte is refused.
 *  - psql replaces :NAME by the value of a psql variable and lexes it:
 *    a name psql itself may define (upper case) is refused.
 *  - psql's "BEGIN ... END" heuristic for CREATE FUNCTION bodies joins
 *    statements that the server runs one by one: BEGIN there must be
 *    BEGIN ATOMIC.
 *  - A line comment ends at a carriage return, as in psql; NUL bytes,
 *    vertical tabs outside quotes, and COPY ... FROM stdin in any form
 *    but pg_dump's are refused.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt-pgdump-wrap.h"
#include "kt_err.h"

#define HOLD_MAX	(64 * 1024)
#define OUT_MAX		(128 * 1024)
#define NWORDS		6
#define WORDLEN		32
#define TAG_MAX		128
#define META_MAX	256
#define COMMENT_HEAD	24

enum lex {
	L_NORMAL,	/* SQL outside quotes and comments */
	L_DASH,		/* after '-': a comment, or not */
	L_SLASH,	/* after '/' */
	L_COLON,	/* after ':': a cast, or a psql variable */
	L_VAR,		/* the name of :NAME */
	L_LINE_COMMENT,
	L_BLOCK,	/* inside a block comment (they nest) */
	L_BLOCK_STAR,
	L_BLOCK_SLASH,
	L_STRING,	/* '...', in every reading still possible (strs) */
	L_DQUOTE,	/* "..." */
	L_DQUOTE_END,
	L_DOLLAR_OPEN,	/* after '$': a dollar-quote tag, or not */
	L_DOLLAR,	/* inside $tag$...$tag$ */
	L_META,		/* a backslash command, to the end of its line */
	L_COPY		/* the data lines of COPY ... FROM stdin */
};

/*
 * The readings of a '...' string, as bits of struct sqlf's strs: a
 * standard string (backslash is a character), an escape string (backslash
 * escapes the next byte) and a bit or hex string (B'', X'': the first quote
 * ends it).  _IN: inside; _QT: after a quote, the end unless another quote
 * follows; _BS: after a backslash.
 */
#define S_Q_IN	0x01
#define S_Q_QT	0x02
#define S_E_IN	0x04
#define S_E_BS	0x08
#define S_E_QT	0x10
#define S_B_IN	0x20
#define S_B_QT	0x40
#define S_E_ANY	(S_E_IN | S_E_BS | S_E_QT)
#define S_PLAIN	(S_Q_IN | S_E_IN)	/* '...' when the setting is unknown */

/* The client encodings in which psql hides the bytes after a lead byte
   (those that are not server encodings). */
enum { ENC_SJIS, ENC_BIG5, ENC_GBK, ENC_UHC, ENC_GB18030, ENC_JOHAB, NENC };
static const char *const enc_names[NENC] = {
	"SJIS", "BIG5", "GBK", "UHC", "GB18030", "JOHAB"
};

enum kind {
	K_PASS,		/* stream it */
	K_UNDECIDED,	/* first word not complete yet */
	K_TXN,		/* starts with a transaction-control word */
	K_CLEAN		/* a DROP-like statement of the clean section */
};

struct sqlf {
	sqlf_sink sink;
	void *arg;
	int keep_restrict;
	int failed;		/* 0, SQLF_REFUSED or SQLF_SINK */
	char error[512];

	enum lex lex;
	int block_depth;
	unsigned long long line;
	unsigned char last, last2;	/* the last two bytes fed */

	/* Strings. */
	unsigned strs;		/* S_* readings of the current string */
	int cont;		/* after a string: a continuation may follow */
	int cont_nl;		/* 1: a '\r' since; 2: a line end since */
	unsigned cont_strs;	/* the readings the string ended in */

	/* Bytes psql hides, per encoding: how many more to hide. */
	unsigned char hide[NENC];
	int hiding;		/* some hide[] is not 0 */
	int gb_lead;		/* GB18030: after a lead byte */

	/* The statement being read. */
	int in_stmt;
	unsigned long long stmt_line;
	enum kind kind;
	int paren_depth, begin_depth;
	unsigned identifier_count;
	char identifiers[4];	/* psql's CREATE [OR REPLACE] FUNCTION test */
	char words[NWORDS][WORDLEN];
	int nwords;
	char word[WORDLEN];	/* the word being read */
	int wordlen;		/* -1: not in a word */
	int word_number;	/* the word being read started with a digit */
	int word_kw;		/* ... and a BEGIN, CASE or END since */
	char word_tail[6];	/* its last 5 bytes, upper case */
	int word_after_num;	/* the word follows "<digit>." */
	char word_last;		/* its last byte, upper case */
	int want_atomic;	/* after BEGIN in a function's header */
	int after_from;		/* the previous word was FROM */
	int copy_stdin;		/* COPY ... FROM STDIN */
	int copy_extra;		/* something after STDIN, or BINARY */
	int lo_unlink;		/* a word LO_UNLINK */
	int drops;		/* a word DROP or DETACH after the first */
	int pending_copy;	/* data starts on the next line */

	/* psql variables. */
	int var_upper, var_other;	/* upper-case letters; others */

	/* Dollar quotes. */
	char tag[TAG_MAX + 2];	/* "$tag$" */
	size_t taglen, tagmatch;
	int tag_high;		/* the tag has a non-ASCII byte */

	/* Meta-commands and comments. */
	char meta[META_MAX];
	size_t metalen;
	int meta_in_stmt;
	int meta_bol;		/* the backslash began its line */
	char chead[COMMENT_HEAD];
	size_t cheadlen;
	int comment_top;	/* the comment is between statements */
	int clean_done;		/* past pg_dump's clean section */

	/* COPY data. */
	int copy_bol;		/* at the beginning of a line */
	int copy_match;		/* how much of "\\.\r\n" was seen */
	unsigned long long copy_line;

	/* Output. */
	int holding;
	char *hold;
	size_t holdlen;
	char *out;
	size_t outlen;

	/* Statements as psql sends them, for sqlf_trace(). */
	sqlf_trace_fn trace;
	void *trace_arg;
	char *tbuf;
	size_t tlen, tcap;
	int tcomment;		/* inside a "--" comment */

	struct sqlf_stats stats;
};

static const char *const txn_words[] = {
	"ABORT", "BEGIN", "COMMIT", "END", "PREPARE", "ROLLBACK", "START",
	NULL
};

/* ASCII classes: the filter must not depend on the locale. */
static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static char
to_upper(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : (char)c;
}

static int
in_list(const char *w, const char *const list[])
{
	for (; *list != NULL; list++)
		if (strcmp(w, *list) == 0)
			return 1;
	return 0;
}

static void
refuse(struct sqlf *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
refuse(struct sqlf *f, const char *fmt, ...)
{
	va_list ap;

	if (f->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(f->error, sizeof(f->error), fmt, ap);
	va_end(ap);
	f->failed = SQLF_REFUSED;
}

/* --- the trace of statements (tests) -------------------------------------- */

static void
trace_add(struct sqlf *f, const char *p, size_t n)
{
	size_t k;

	if (f->trace == NULL || f->tcomment)
		return;
	/* psql drops the blanks before a statement. */
	for (k = 0; f->tlen == 0 && k < n; k++)
		if (!strchr(" \t\n\r\f", p[k]))
			break;
	p += k;
	n -= k;
	if (n == 0)
		return;
	if (f->tlen + n > f->tcap) {
		f->tcap = (f->tlen + n) * 2;
		if ((f->tbuf = realloc(f->tbuf, f->tcap)) == NULL)
			err(KT_EXIT_FAIL, NULL);
	}
	memcpy(f->tbuf + f->tlen, p, n);
	f->tlen += n;
}

static void
trace_emit(struct sqlf *f)
{
	if (f->trace != NULL && f->tlen > 0)
		f->trace(f->trace_arg, f->tbuf, f->tlen);
	f->tlen = 0;
}

/* --- output ------------------------------------------------------------ */

static void
out_flush(struct sqlf *f)
{
	if (f->outlen == 0 || f->failed == SQLF_SINK)
		return;
	if (f->sink(f->arg, f->out, f->outlen) == -1)
		f->failed = SQLF_SINK;
	f->outlen = 0;
}

static void
out_n(struct sqlf *f, const char *p, size_t n)
{
	size_t k;

	while (n > 0) {
		if (f->outlen == OUT_MAX)
			out_flush(f);
		k = OUT_MAX - f->outlen;
		if (k > n)
			k = n;
		memcpy(f->out + f->outlen, p, k);
		f->outlen += k;
		p += k;
		n -= k;
	}
}

static void
out_s(struct sqlf *f, const char *s)
{
	out_n(f, s, strlen(s));
}

/* Stops holding the statement: what was held goes out as it was. */
static void
release(struct sqlf *f)
{
	if (!f->holding)
		return;
	out_n(f, f->hold, f->holdlen);
	f->holdlen = 0;
	f->holding = 0;
	f->kind = K_PASS;
}

static void
put_n(struct sqlf *f, const char *p, size_t n)
{
	trace_add(f, p, n);
	if (!f->holding) {
		out_n(f, p, n);
		return;
	}
	if (f->holdlen + n > HOLD_MAX) {
		/* A transaction-control statement is a few words; one this
		   long is not pg_dump's, and we cannot look at it whole. */
		if (f->kind == K_TXN) {
			refuse(f, "line %llu: refusing a %s statement longer "
			    "than %d KiB", f->stmt_line, f->words[0],
			    HOLD_MAX / 1024);
			return;
		}
		release(f);
		out_n(f, p, n);
		return;
	}
	memcpy(f->hold + f->holdlen, p, n);
	f->holdlen += n;
}

static void
put(struct sqlf *f, char c)
{
	put_n(f, &c, 1);
}

/* --- statements -------------------------------------------------------- */

static void
stmt_reset(struct sqlf *f)
{
	f->in_stmt = 0;
	f->kind = K_PASS;
	f->paren_depth = f->begin_depth = 0;
	f->identifier_count = 0;
	memset(f->identifiers, 0, sizeof(f->identifiers));
	f->nwords = 0;
	f->wordlen = -1;
	f->want_atomic = 0;
	f->after_from = 0;
	f->copy_stdin = 0;
	f->copy_extra = 0;
	f->lo_unlink = 0;
	f->drops = 0;
	f->holding = 0;
	f->holdlen = 0;
}

static void
stmt_start(struct sqlf *f)
{
	stmt_reset(f);
	f->in_stmt = 1;
	f->stmt_line = f->line;
	f->kind = K_UNDECIDED;
	f->holding = 1;
	f->stats.statements++;
}

/* The first word is known (or the statement starts with no word). */
static void
decide(struct sqlf *f)
{
	const char *w = f->nwords > 0 ? f->words[0] : "";

	if (f->kind != K_UNDECIDED)
		return;
	if (in_list(w, txn_words)) {
		f->kind = K_TXN;
		return;
	}
	if (!f->clean_done && (strcmp(w, "DROP") == 0 ||
	    strcmp(w, "ALTER") == 0 || strcmp(w, "SELECT") == 0)) {
		f->kind = K_CLEAN;
		return;
	}
	release(f);
}

/* Whether the statement starts CREATE [OR REPLACE] FUNCTION|PROCEDURE,
   where psql counts BEGIN and END. */
static int
in_routine_header(const struct sqlf *f)
{
	const char *id = f->identifiers;

	return id[0] == 'c' && (id[1] == 'f' || id[1] == 'p' ||
	    (id[1] == 'o' && id[2] == 'r' && (id[3] == 'f' || id[3] == 'p')));
}

/* psql's heuristic (psqlscan.l) for BEGIN ... END bodies of CREATE
   [OR REPLACE] FUNCTION/PROCEDURE, whose semicolons end nothing. */
static void
track_begin_atomic(struct sqlf *f, const char *w)
{
	static const char *const marks[] = {
		"CREATE", "FUNCTION", "PROCEDURE", "OR", "REPLACE", NULL
	};

	if (f->identifier_count == 0)
		memset(f->identifiers, 0, sizeof(f->identifiers));
	if (in_list(w, marks) && f->identifier_count < sizeof(f->identifiers))
		f->identifiers[f->identifier_count] =
		    (char)(w[0] - 'A' + 'a');
	f->identifier_count++;
	if (!in_routine_header(f) || f->paren_depth != 0)
		return;
	if (strcmp(w, "BEGIN") == 0) {
		/* Only BEGIN ATOMIC opens what the server ends with END;
		   psql would join the statements after any other BEGIN
		   (a function named begin) into one. */
		f->begin_depth++;
		f->want_atomic = 1;
	} else if (strcmp(w, "CASE") == 0) {
		if (f->begin_depth >= 1)
			f->begin_depth++;
	} else if (strcmp(w, "END") == 0) {
		if (f->begin_depth > 0)
			f->begin_depth--;
	}
}

static void
no_atomic(struct sqlf *f)
{
	refuse(f, "line %llu: refusing BEGIN without ATOMIC in a CREATE "
	    "FUNCTION or PROCEDURE: psql would send the statements after it "
	    "as one", f->line);
}

static void
word_end(struct sqlf *f)
{
	char *w = f->word;

	if (f->wordlen < 0)
		return;
	w[f->wordlen] = '\0';
	f->wordlen = -1;
	if (f->word_number) {
		/* "1begin" is a number and a word to psql 14, one token to
		   psql 15: whether BEGIN or END counts differs. */
		if (f->word_kw && in_routine_header(f))
			refuse(f, "line %llu: refusing a number run into a "
			    "word in a CREATE FUNCTION or PROCEDURE", f->line);
		return;
	}
	if (f->want_atomic) {
		if (strcmp(w, "ATOMIC") != 0) {
			no_atomic(f);
			return;
		}
		f->want_atomic = 0;
	}
	if (f->nwords < NWORDS)
		strcpy(f->words[f->nwords], w);
	f->nwords++;
	track_begin_atomic(f, w);
	if (strcmp(f->words[0], "COPY") == 0) {
		/* COPY ... FROM STDIN or STDOUT (the same to the server):
		   psql then sends the lines that follow as data. */
		if (f->copy_stdin)
			f->copy_extra = 1;
		else if (f->after_from && (strcmp(w, "STDIN") == 0 ||
		    strcmp(w, "STDOUT") == 0))
			f->copy_stdin = 1;
		f->after_from = strcmp(w, "FROM") == 0 && f->paren_depth == 0;
		if (f->nwords == 2 && strcmp(w, "BINARY") == 0)
			f->copy_extra = 1;
	}
	if (strcmp(w, "LO_UNLINK") == 0)
		f->lo_unlink = 1;
	if (f->nwords > 1 && (strcmp(w, "DROP") == 0 ||
	    strcmp(w, "DETACH") == 0))
		f->drops = 1;
	if (f->nwords == 1)
		decide(f);
}

static int
is_word_start(unsigned char c)
{
	return is_alpha(c) || c == '_' || c >= 0x80;
}

static int
is_word_char(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '_' || c == '$' ||
	    c >= 0x80;
}

static void
word_char(struct sqlf *f, unsigned char c)
{
	if (f->wordlen < 0) {
		f->wordlen = 0;
		f->word_number = !is_word_start(c);
		f->word_kw = 0;
		memset(f->word_tail, 0, sizeof(f->word_tail));
		f->word_after_num = f->last == '.' && is_digit(f->last2);
	}
	if (f->word_number && c == '$') {
		/* "1$a$": a dollar quote after a number to psql, but
		   "$1$a$" is not one. */
		refuse(f, "line %llu: refusing a dollar sign right after a "
		    "number", f->line);
		return;
	}
	if (f->word_number) {
		memmove(f->word_tail, f->word_tail + 1, 4);
		f->word_tail[4] = to_upper(c);
		if (strcmp(f->word_tail, "BEGIN") == 0 ||
		    strcmp(f->word_tail + 1, "CASE") == 0 ||
		    strcmp(f->word_tail + 2, "END") == 0)
			f->word_kw = 1;
	}
	if (f->wordlen < WORDLEN - 1)
		f->word[f->wordlen++] = to_upper(c);
	f->word_last = to_upper(c);
}

static void
emit_wrapped(struct sqlf *f)
{
	out_s(f, "DO $kt_pgdump_wrap$BEGIN EXECUTE $kt_stmt$");
	out_n(f, f->hold, f->holdlen);
	out_s(f, "$kt_stmt$; EXCEPTION WHEN undefined_table OR "
	    "undefined_object OR undefined_function OR undefined_column OR "
	    "invalid_schema_name THEN NULL; END$kt_pgdump_wrap$;");
	f->stats.wrapped++;
}

static int
hold_contains(const struct sqlf *f, const char *s)
{
	return memmem(f->hold, f->holdlen, s, strlen(s)) != NULL;
}

/* The statement's semicolon. */
static void
stmt_end(struct sqlf *f)
{
	const char *w0, *w1;

	word_end(f);
	if (f->failed)
		return;
	if (f->want_atomic) {
		no_atomic(f);
		return;
	}
	decide(f);
	trace_add(f, ";", 1);
	trace_emit(f);
	w0 = f->nwords > 0 ? f->words[0] : "";
	w1 = f->nwords > 1 ? f->words[1] : "";
	if (f->copy_stdin && f->copy_extra) {
		refuse(f, "line %llu: refusing a COPY ... FROM stdin with "
		    "options or BINARY: a dump's COPY has none", f->stmt_line);
		return;
	}
	switch (f->kind) {
	case K_TXN:
		if (f->nwords == 1 && (strcmp(w0, "BEGIN") == 0 ||
		    strcmp(w0, "COMMIT") == 0)) {
			/* pg_dump's wrapper around large-object data. */
			f->stats.dropped_txn++;
			break;
		}
		if ((strcmp(w0, "ROLLBACK") == 0 && strcmp(w1, "TO") == 0) ||
		    (strcmp(w0, "PREPARE") == 0 &&
		    strcmp(w1, "TRANSACTION") != 0)) {
			release(f);
			out_n(f, ";", 1);
			break;
		}
		refuse(f, "line %llu: refusing \"%s%s%s\": it would end the "
		    "restore's single transaction", f->stmt_line, w0,
		    *w1 != '\0' ? " " : "", w1);
		return;
	case K_CLEAN:
		/* DROP ..., ALTER ... DROP ..., SELECT lo_unlink(...): what
		   pg_dump -c writes there.  Nothing else may have its errors
		   ignored. */
		if ((strcmp(w0, "DROP") == 0 ||
		    (strcmp(w0, "ALTER") == 0 && f->drops) ||
		    (strcmp(w0, "SELECT") == 0 && f->lo_unlink)) &&
		    !hold_contains(f, "$kt_")) {
			emit_wrapped(f);
			break;
		}
		/* FALLTHROUGH */
	default:
		release(f);
		out_n(f, ";", 1);
		break;
	}
	if (f->copy_stdin) {
		f->pending_copy = 1;
		f->copy_line = f->stmt_line;
	}
	stmt_reset(f);
}

/* A character of SQL text that is not blank, not a comment: the start of
   a statement if none is open. */
static void
significant(struct sqlf *f, char c)
{
	if (!f->in_stmt) {
		if (f->pending_copy) {
			refuse(f, "line %llu: text after COPY ... FROM stdin "
			    "on the same line", f->line);
			return;
		}
		stmt_start(f);
	}
	put(f, c);
}

/* --- meta-commands and comments ----------------------------------------- */

/* "\restrict KEY" exactly, KEY made of letters and digits as pg_dump
   makes it: psql would evaluate `...`, :var and more in an argument. */
static int
meta_is_restrict(const char *m, const char *cmd)
{
	size_t n = strlen(cmd);

	if (strncmp(m, cmd, n) != 0 || m[n] != ' ' || m[n + 1] == '\0')
		return 0;
	for (m += n + 1; *m != '\0'; m++)
		if (!is_alpha((unsigned char)*m) && !is_digit((unsigned char)*m))
			return 0;
	return 1;
}

/* The meta-command line is complete (without its newline). */
static void
meta_end(struct sqlf *f)
{
	char *m = f->meta;
	size_t n;

	m[f->metalen] = '\0';
	if (!f->meta_in_stmt && !f->pending_copy && f->meta_bol &&
	    f->metalen < META_MAX - 1 &&
	    (meta_is_restrict(m, "\\restrict") ||
	    meta_is_restrict(m, "\\unrestrict"))) {
		if (f->keep_restrict)
			out_s(f, m);
		return;
	}
	n = strcspn(m + 1, " \t\r\\") + 1;
	if (n > 32)
		n = 32;
	refuse(f, "line %llu: refusing the psql meta-command %.*s: a dump "
	    "to restore in one transaction runs SQL only", f->line,
	    (int)n, m);
}

static int
comment_is(const struct sqlf *f, const char *s)
{
	size_t n = strlen(s);

	return f->cheadlen >= n && memcmp(f->chead, s, n) == 0;
}

/* End of a line comment: pg_dump's first object header ends the clean
   section. */
static void
comment_end(struct sqlf *f)
{
	f->tcomment = 0;
	if (f->comment_top && (comment_is(f, " Name: ") ||
	    comment_is(f, " Data for Name: ") || comment_is(f, " TOC entry ")))
		f->clean_done = 1;
}

/* --- bytes psql hides in some client encodings ---------------------------- */

/*
 * psqlscan_prepare_buffer() replaces, in the encodings that are not
 * server encodings, the bytes after a lead byte by 0xFF, as far as
 * PQmblen() says from the lead byte alone; each line anew.  Returns the
 * encoding (ENC_*) in which byte C is hidden, or -1.
 */
static int
hidden_in(struct sqlf *f, unsigned char c)
{
	int i, in = -1, more = 0;

	if (c == '\n') {
		memset(f->hide, 0, sizeof(f->hide));
		f->hiding = f->gb_lead = 0;
		return -1;
	}
	if (!f->hiding && c < 0x80)
		return -1;
	for (i = 0; i < NENC; i++) {
		if (f->hide[i] > 0) {
			if (in < 0)
				in = i;
			f->hide[i]--;
			/* GB18030: a digit after the lead makes it 4 bytes. */
			if (i == ENC_GB18030 && f->gb_lead) {
				f->gb_lead = 0;
				if (is_digit(c))
					f->hide[i] += 2;
			}
		} else if (c >= 0x80) {
			switch (i) {
			case ENC_SJIS:	/* half-width katakana: one byte */
				f->hide[i] = c >= 0xa1 && c <= 0xdf ? 0 : 1;
				break;
			case ENC_JOHAB:	/* pg_euc_mblen(): SS3 makes 3 */
				f->hide[i] = c == 0x8f ? 2 : 1;
				break;
			case ENC_GB18030:
				f->hide[i] = 1;
				f->gb_lead = 1;
				break;
			default:
				f->hide[i] = 1;
				break;
			}
		}
		more |= f->hide[i];
	}
	f->hiding = more != 0;
	return in;
}

/* Whether psql, reading 0xFF instead of ASCII byte C where the lexer
   stands, could lex differently.  Letters, digits and '_' keep the
   boundaries; what they change in a dollar-quote tag, L_DOLLAR_OPEN
   refuses. */
static int
hidden_matters(const struct sqlf *f, unsigned char c)
{
	if (is_alpha(c) || is_digit(c) || c == '_')
		return 0;
	switch (f->lex) {
	case L_STRING:
		return c == '\'' || (c == '\\' && (f->strs & S_E_ANY));
	case L_DQUOTE:
		return c == '"';
	case L_DOLLAR:
		return c == '$';
	case L_BLOCK: case L_BLOCK_STAR: case L_BLOCK_SLASH:
		return c == '*' || c == '/';
	case L_LINE_COMMENT:
		return c == '\r';
	default:
		return 1;
	}
}

/* --- the lexer ----------------------------------------------------------- */

static void
newline(struct sqlf *f)
{
	f->line++;
}

/* COPY data: whole lines up to the "\." line, found with memchr. */
static size_t
copy_data(struct sqlf *f, const char *p, size_t n)
{
	const char *nl;
	size_t k;

	if (!f->copy_bol && f->copy_match == 0) {
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) + 1 : n;
		out_n(f, p, k);
		if (nl != NULL) {
			newline(f);
			f->copy_bol = 1;
		}
		return k;
	}
	/* At the beginning of a line: is it "\." alone? */
	out_n(f, p, 1);
	switch (f->copy_match) {
	case 0:
		f->copy_match = p[0] == '\\' ? 1 : 0;
		break;
	case 1:
		f->copy_match = p[0] == '.' ? 2 : 0;
		break;
	case 2:
		if (p[0] == '\n') {
			newline(f);
			f->lex = L_NORMAL;
			f->copy_match = 0;
			return 1;
		}
		f->copy_match = p[0] == '\r' ? 3 : 0;
		break;
	case 3:
		if (p[0] == '\n') {
			newline(f);
			f->lex = L_NORMAL;
			f->copy_match = 0;
			return 1;
		}
		f->copy_match = 0;
		break;
	}
	f->copy_bol = 0;
	if (p[0] == '\n') {
		newline(f);
		f->copy_bol = 1;
		f->copy_match = 0;
	}
	return 1;
}

/* The readings of a string that starts at this quote. */
static unsigned
string_readings(const struct sqlf *f)
{
	unsigned prefix = S_PLAIN;
	char c = f->word_last;

	if (f->cont && f->cont_nl > 0)
		/* A continuation: the server goes on in the readings the
		   string ended in; psql, past a line end, starts a new one
		   (it lexes line by line). */
		return f->cont_strs | (f->cont_nl == 2 ? S_PLAIN : 0);
	if (f->wordlen < 0)
		return S_PLAIN;
	if (c == 'E')
		prefix = S_E_IN;
	else if (c == 'B' || c == 'X')
		prefix = S_B_IN;
	if (f->word_number)
		/* "1e'": psql 14 reads 1 and E'', psql 15 1e and ''. */
		return S_PLAIN | prefix;
	if (f->wordlen != 1)
		return S_PLAIN;
	return f->word_after_num ? S_PLAIN | prefix : prefix;
}

/* A quote in SQL text: a string begins. */
static void
string_open(struct sqlf *f)
{
	int prefix = f->wordlen == 1 && !f->word_number &&
	    strchr("EBXN", f->word[0]) != NULL;

	f->strs = string_readings(f);
	/* E'', B'', X'', N'': the letter is part of the literal, not a
	   word. */
	if (prefix)
		f->wordlen = -1;
	word_end(f);
	if (f->want_atomic)
		no_atomic(f);
	f->cont = 0;
	f->lex = L_STRING;
}

/* One byte inside a string, in every reading. */
static size_t
string_byte(struct sqlf *f, char c)
{
	unsigned s = f->strs, n = 0, ended = 0;

	if (s & S_Q_IN)
		n |= c == '\'' ? S_Q_QT : S_Q_IN;
	if (s & S_Q_QT) {
		if (c == '\'')
			n |= S_Q_IN;
		else
			ended |= S_Q_IN;
	}
	if (s & S_E_IN)
		n |= c == '\'' ? S_E_QT : c == '\\' ? S_E_BS : S_E_IN;
	if (s & S_E_BS)
		n |= S_E_IN;
	if (s & S_E_QT) {
		if (c == '\'')
			n |= S_E_IN;
		else
			ended |= S_E_IN;
	}
	if (s & S_B_IN)
		n |= c == '\'' ? S_B_QT : S_B_IN;
	if (s & S_B_QT) {
		if (c == '\'')
			n |= S_PLAIN;	/* B'1''...': a new string */
		else
			ended |= S_B_IN;
	}
	if (ended != 0 && n != 0) {
		refuse(f, "line %llu: refusing a string whose end depends on "
		    "how it is read (a backslash before a quote, or a string "
		    "continued on the next line): psql and the server could "
		    "end it elsewhere", f->line);
		return 1;
	}
	if (ended != 0) {
		f->lex = L_NORMAL;
		f->cont = 1;
		f->cont_nl = 0;
		f->cont_strs = ended;
		return 0;	/* C again, after the string */
	}
	f->strs = n;
	put(f, c);
	if (c == '\n')
		newline(f);
	return 1;
}

/* One byte of SQL outside quotes and comments. */
static void
normal(struct sqlf *f, char c)
{
	unsigned char u = (unsigned char)c;

	if (c == '\'') {
		if (f->want_atomic) {
			no_atomic(f);
			return;
		}
		if (!f->in_stmt)
			significant(f, c);
		else
			put(f, c);
		if (f->failed)
			return;
		if (f->copy_stdin)
			f->copy_extra = 1;
		string_open(f);
		if (f->kind == K_UNDECIDED)
			decide(f);
		return;
	}
	if (f->wordlen >= 0 && is_word_char(u)) {
		word_char(f, u);
		put(f, c);
		return;
	}
	if (c == '&' && f->wordlen == 1 && !f->word_number &&
	    f->word[0] == 'U')
		/* U&: psql lexes U&'', U&"" and a failed U& without a
		   word U. */
		f->wordlen = -1;
	if (is_word_start(u) || is_digit(u)) {
		word_end(f);
		if (f->failed)
			return;
		if (!f->in_stmt)
			significant(f, c);
		else
			put(f, c);
		word_char(f, u);
		f->cont = 0;
		return;
	}
	word_end(f);
	if (f->failed)
		return;
	switch (c) {
	case '\n':
		newline(f);
		if (f->cont)
			f->cont_nl = 2;
		if (f->pending_copy && !f->in_stmt) {
			out_n(f, "\n", 1);
			f->pending_copy = 0;
			f->lex = L_COPY;
			f->copy_bol = 1;
			f->copy_match = 0;
			f->stats.copies++;
			return;
		}
		put(f, c);
		return;
	case '\r':
		if (f->cont && f->cont_nl == 0)
			f->cont_nl = 1;
		/* FALLTHROUGH */
	case ' ': case '\t': case '\f':
		put(f, c);
		return;
	case '\v':
		/* Other, or white space, depending on the version. */
		refuse(f, "line %llu: refusing a vertical tab outside quotes",
		    f->line);
		return;
	case '-':
		f->lex = L_DASH;
		return;
	case '/':
		f->cont = 0;
		f->lex = L_SLASH;
		return;
	case '\\':
		f->lex = L_META;
		f->metalen = 0;
		f->meta[f->metalen++] = c;
		f->meta_in_stmt = f->in_stmt;
		f->meta_bol = f->last == '\n';
		return;
	case ';':
		f->cont = 0;
		if (!f->in_stmt) {
			put(f, c);
			trace_emit(f);
			return;
		}
		if (f->paren_depth == 0 && f->begin_depth == 0) {
			stmt_end(f);
			return;
		}
		if (f->want_atomic) {
			no_atomic(f);
			return;
		}
		put(f, c);
		return;
	}
	f->cont = 0;
	if (f->want_atomic) {
		no_atomic(f);
		return;
	}
	significant(f, c);
	if (f->failed)
		return;
	if (f->copy_stdin)
		f->copy_extra = 1;
	if (f->kind == K_UNDECIDED)
		decide(f);
	switch (c) {
	case '(':
		f->paren_depth++;
		break;
	case ')':
		if (f->paren_depth > 0)
			f->paren_depth--;
		break;
	case '"':
		f->lex = L_DQUOTE;
		break;
	case '$':
		f->taglen = 0;
		f->tag_high = 0;
		f->lex = L_DOLLAR_OPEN;
		break;
	case ':':
		f->lex = L_COLON;
		break;
	}
}

/* The name of :NAME is complete. */
static void
var_end(struct sqlf *f)
{
	/* psql defines upper-case names (DBNAME, HOST, VERSION, ...) and
	   we set ON_ERROR_STOP; none has a lower-case letter. */
	if (f->var_upper && !f->var_other)
		refuse(f, "line %llu: refusing :NAME, which psql replaces by "
		    "the value of its variable NAME and reads as SQL", f->line);
}

/* Feeds one byte, or a run of bytes when the state allows; returns how
   many were consumed. */
static size_t
step(struct sqlf *f, const char *p, size_t n, int enc)
{
	char c = p[0];
	unsigned char u = (unsigned char)c;

	if (f->lex == L_COPY)
		return copy_data(f, p, n);
	if (enc >= 0 && u < 0x80 && hidden_matters(f, u)) {
		refuse(f, "line %llu: refusing byte 0x%02x after a non-ASCII "
		    "byte: psql would not see it in client encoding %s",
		    f->line, u, enc_names[enc]);
		return 1;
	}
	switch (f->lex) {
	case L_COPY:
		break;
	case L_NORMAL:
		normal(f, c);
		return 1;
	case L_DASH:
		if (c == '-') {
			word_end(f);
			f->tcomment = f->tlen == 0;
			put_n(f, "--", 2);
			f->lex = L_LINE_COMMENT;
			f->cheadlen = 0;
			f->comment_top = !f->in_stmt;
			return 1;
		}
		f->lex = L_NORMAL;
		f->cont = 0;
		if (f->want_atomic) {
			no_atomic(f);
			return 1;
		}
		significant(f, '-');
		if (f->copy_stdin)
			f->copy_extra = 1;
		return 0;	/* C again, in L_NORMAL */
	case L_SLASH:
		if (c == '*') {
			if (f->pending_copy && !f->in_stmt) {
				/* psql lexes it after the data. */
				refuse(f, "line %llu: a comment after COPY ... "
				    "FROM stdin on the same line", f->line);
				return 1;
			}
			word_end(f);
			put_n(f, "/*", 2);
			f->lex = L_BLOCK;
			f->block_depth = 1;
			return 1;
		}
		f->lex = L_NORMAL;
		if (f->want_atomic) {
			no_atomic(f);
			return 1;
		}
		significant(f, '/');
		if (f->copy_stdin)
			f->copy_extra = 1;
		return 0;
	case L_COLON:
		f->lex = L_NORMAL;
		if (c == ':') {		/* a cast */
			put(f, c);
			return 1;
		}
		if (c == '{') {
			refuse(f, "line %llu: refusing psql's :{?name}",
			    f->line);
			return 1;
		}
		if (is_alpha(u) || is_digit(u) || c == '_' || u >= 0x80) {
			f->lex = L_VAR;
			f->var_upper = f->var_other = 0;
		}
		return 0;
	case L_VAR:
		if (is_alpha(u) || is_digit(u) || c == '_' || u >= 0x80) {
			if (c >= 'A' && c <= 'Z')
				f->var_upper = 1;
			else if (!is_digit(u) && c != '_')
				f->var_other = 1;
			put(f, c);
			return 1;
		}
		var_end(f);
		f->lex = L_NORMAL;
		return 0;
	case L_LINE_COMMENT:
		/* psqlscan.l: a comment ends at \n or \r. */
		if (c == '\n' || c == '\r') {
			comment_end(f);
			f->lex = L_NORMAL;
			normal(f, c);
			return 1;
		}
		if (f->cheadlen < COMMENT_HEAD)
			f->chead[f->cheadlen++] = c;
		put(f, c);
		return 1;
	case L_BLOCK:
		if (c == '*')
			f->lex = L_BLOCK_STAR;
		else if (c == '/')
			f->lex = L_BLOCK_SLASH;
		else if (c == '\n')
			newline(f);
		put(f, c);
		return 1;
	case L_BLOCK_STAR:
		put(f, c);
		if (c == '/') {
			f->lex = --f->block_depth == 0 ? L_NORMAL : L_BLOCK;
			return 1;
		}
		if (c == '\n')
			newline(f);
		f->lex = c == '*' ? L_BLOCK_STAR : c == '/' ? L_BLOCK_SLASH :
		    L_BLOCK;
		return 1;
	case L_BLOCK_SLASH:
		put(f, c);
		if (c == '*') {
			f->block_depth++;
			f->lex = L_BLOCK;
			return 1;
		}
		if (c == '\n')
			newline(f);
		f->lex = c == '/' ? L_BLOCK_SLASH : L_BLOCK;
		return 1;
	case L_STRING:
		return string_byte(f, c);
	case L_DQUOTE:
		put(f, c);
		if (c == '"')
			f->lex = L_DQUOTE_END;
		else if (c == '\n')
			newline(f);
		return 1;
	case L_DQUOTE_END:
		if (c == '"') {
			put(f, c);
			f->lex = L_DQUOTE;
			return 1;
		}
		f->lex = L_NORMAL;
		return 0;
	case L_DOLLAR_OPEN:
		if (c == '$') {
			if (f->tag_high) {
				/* psql compares tags as it sees them, hidden
				   bytes as 0xFF: "$\x81A$" closes "$\x81B$"
				   in SJIS, not for the server. */
				refuse(f, "line %llu: refusing a dollar-quote "
				    "tag with a non-ASCII byte: psql could "
				    "read it as another tag", f->line);
				return 1;
			}
			put(f, c);
			f->tag[0] = '$';
			f->tag[f->taglen + 1] = '$';
			f->taglen += 2;		/* now the length of "$tag$" */
			f->tagmatch = 0;
			f->lex = L_DOLLAR;
			return 1;
		}
		if (f->taglen == 0 ? is_word_start(u) :
		    (is_word_char(u) && c != '$')) {
			if (f->taglen == TAG_MAX) {
				refuse(f, "line %llu: a dollar-quote tag longer "
				    "than %d bytes", f->line, TAG_MAX);
				return 1;
			}
			f->tag[1 + f->taglen++] = c;
			f->tag_high |= u >= 0x80;
			put(f, c);
			return 1;
		}
		/* Not a dollar quote ($1, or a '$' of an operator): psql
		   lexes the tag's characters as a word. */
		f->lex = L_NORMAL;
		if (f->taglen > 0) {
			size_t i;

			f->wordlen = 0;
			f->word_number = 0;
			f->word_after_num = 0;
			for (i = 0; i < f->taglen; i++)
				word_char(f, (unsigned char)f->tag[1 + i]);
		}
		return 0;
	case L_DOLLAR:
		put(f, c);
		if (c == f->tag[f->tagmatch]) {
			if (++f->tagmatch == f->taglen)
				f->lex = L_NORMAL;
		} else
			f->tagmatch = c == '$' ? 1 : 0;
		if (c == '\n')
			newline(f);
		return 1;
	case L_META:
		if (c == '\n') {
			meta_end(f);
			f->lex = L_NORMAL;
			if (!f->failed)
				normal(f, c);
			return 1;
		}
		if (f->metalen < META_MAX - 1)
			f->meta[f->metalen++] = c;
		return 1;
	}
	return 1;
}

struct sqlf *
sqlf_new(sqlf_sink sink, void *arg, int keep_restrict)
{
	struct sqlf *f;

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->hold = malloc(HOLD_MAX)) == NULL ||
	    (f->out = malloc(OUT_MAX)) == NULL)
		err(KT_EXIT_FAIL, NULL);
	f->sink = sink;
	f->arg = arg;
	f->keep_restrict = keep_restrict;
	f->line = 1;
	f->last = '\n';
	f->lex = L_NORMAL;
	stmt_reset(f);
	return f;
}

void
sqlf_trace(struct sqlf *f, sqlf_trace_fn fn, void *arg)
{
	f->trace = fn;
	f->trace_arg = arg;
}

void
sqlf_free(struct sqlf *f)
{
	if (f == NULL)
		return;
	free(f->hold);
	free(f->out);
	free(f->tbuf);
	free(f);
}

int
sqlf_feed(struct sqlf *f, const char *buf, size_t len)
{
	const char *nul;
	size_t k = 1, n;
	int enc = -1;

	/* psql reads lines with fgets() and strlen(): a NUL hides the
	   rest of its line, in SQL as in COPY data.  What comes before it
	   is filtered as usual, so that the verdict and the output do not
	   depend on how the input was split. */
	nul = memchr(buf, '\0', len);
	n = nul != NULL ? (size_t)(nul - buf) : len;
	while (n > 0 && !f->failed) {
		/* Once per byte, however often the lexer looks at it. */
		if (k > 0)
			enc = f->lex == L_COPY ? -1 :
			    hidden_in(f, (unsigned char)buf[0]);
		k = step(f, buf, n, enc);
		if (k == 1) {
			f->last2 = f->last;
			f->last = (unsigned char)buf[0];
		} else if (k > 1) {
			f->last2 = (unsigned char)buf[k - 2];
			f->last = (unsigned char)buf[k - 1];
		}
		buf += k;
		n -= k;
	}
	if (nul != NULL)
		refuse(f, "line %llu: refusing a NUL byte", f->line);
	return f->failed;
}

int
sqlf_flush(struct sqlf *f)
{
	out_flush(f);
	return f->failed;
}

int
sqlf_inject(struct sqlf *f, const char *text)
{
	if (f->failed)
		return f->failed;
	out_s(f, text);
	return sqlf_flush(f);
}

int
sqlf_at_boundary(const struct sqlf *f)
{
	return !f->failed && !f->in_stmt && !f->pending_copy &&
	    (f->lex == L_NORMAL || f->lex == L_LINE_COMMENT);
}

int
sqlf_end(struct sqlf *f)
{
	const char *where = NULL;

	if (f->failed)
		return -1;
	/* What the input's end completes. */
	switch (f->lex) {
	case L_DASH: case L_SLASH:	/* a lone '-' or '/' */
		significant(f, f->lex == L_DASH ? '-' : '/');
		f->lex = L_NORMAL;
		break;
	case L_VAR:
		var_end(f);
		/* FALLTHROUGH */
	case L_COLON:
		f->lex = L_NORMAL;
		break;
	case L_STRING:
		if ((f->strs & ~(S_Q_QT | S_E_QT | S_B_QT)) == 0)
			f->lex = L_NORMAL;
		break;
	case L_DQUOTE_END:
		f->lex = L_NORMAL;
		break;
	case L_LINE_COMMENT:
		comment_end(f);
		break;
	default:
		break;
	}
	if (f->failed)
		return -1;
	/* psql sends what it holds when its input ends. */
	trace_emit(f);
	switch (f->lex) {
	case L_COPY:
		where = "inside the COPY data of the statement";
		break;
	case L_STRING:
		where = "inside a quoted string of the statement";
		break;
	case L_DQUOTE:
		where = "inside a quoted identifier of the statement";
		break;
	case L_DOLLAR: case L_DOLLAR_OPEN:
		where = "inside a dollar-quoted string of the statement";
		break;
	case L_BLOCK: case L_BLOCK_STAR: case L_BLOCK_SLASH:
		where = "inside a comment of the statement";
		break;
	case L_META:
		where = "inside a meta-command of the statement";
		break;
	default:
		break;
	}
	if (where == NULL && f->pending_copy)
		where = "before the COPY data of the statement";
	if (where == NULL && f->in_stmt)
		where = "inside the statement";
	if (where == NULL)
		return 0;
	snprintf(f->error, sizeof(f->error), "the input ends %s that "
	    "starts at line %llu", where, f->lex == L_COPY || f->pending_copy ?
	    f->copy_line : f->stmt_line);
	return -1;
}

const char *
sqlf_error(const struct sqlf *f)
{
	return f->error[0] != '\0' ? f->error : "no error";
}

void
sqlf_stats(const struct sqlf *f, struct sqlf_stats *st)
{
	*st = f->stats;
	st->lines = f->line;
}

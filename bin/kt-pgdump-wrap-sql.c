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
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
	L_LINE_COMMENT,
	L_BLOCK,	/* inside a block comment (they nest) */
	L_BLOCK_STAR,
	L_BLOCK_SLASH,
	L_SQUOTE,	/* '...' */
	L_SQUOTE_END,	/* after a quote inside '...': '' or the end */
	L_SQUOTE_BS,	/* after a backslash in an escape string */
	L_DQUOTE,	/* "..." */
	L_DQUOTE_END,
	L_DOLLAR_OPEN,	/* after '$': a dollar-quote tag, or not */
	L_DOLLAR,	/* inside $tag$...$tag$ */
	L_META,		/* a backslash command, to the end of its line */
	L_COPY		/* the data lines of COPY ... FROM stdin */
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
	int std_strings;	/* standard_conforming_strings */
	int escapes;		/* the current '...' takes backslash escapes */
	int block_depth;
	unsigned long long line;
	char last;		/* the last byte fed */

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
	int after_from;		/* the previous word was FROM */
	int copy_stdin;		/* COPY ... FROM STDIN */
	int lo_unlink;		/* a word LO_UNLINK */
	int drops;		/* a word DROP or DETACH after the first */
	int pending_copy;	/* data starts on the next line */

	/* Dollar quotes. */
	char tag[TAG_MAX + 2];	/* "$tag$" */
	size_t taglen, tagmatch;

	/* Meta-commands and comments. */
	char meta[META_MAX];
	size_t metalen;
	int meta_in_stmt;
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

	struct sqlf_stats stats;
};

static const char *const txn_words[] = {
	"ABORT", "BEGIN", "COMMIT", "END", "PREPARE", "ROLLBACK", "START",
	NULL
};

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
	f->after_from = 0;
	f->copy_stdin = 0;
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

/* psql's heuristic (psqlscan.l) for BEGIN ... END bodies of CREATE
   [OR REPLACE] FUNCTION/PROCEDURE, whose semicolons end nothing. */
static void
track_begin_atomic(struct sqlf *f, const char *w)
{
	static const char *const marks[] = {
		"CREATE", "FUNCTION", "PROCEDURE", "OR", "REPLACE", NULL
	};
	const char *id = f->identifiers;

	if (f->identifier_count == 0)
		memset(f->identifiers, 0, sizeof(f->identifiers));
	if (in_list(w, marks) && f->identifier_count < sizeof(f->identifiers))
		f->identifiers[f->identifier_count] =
		    (char)tolower((unsigned char)w[0]);
	f->identifier_count++;
	if (id[0] == 'c' && (id[1] == 'f' || id[1] == 'p' ||
	    (id[1] == 'o' && id[2] == 'r' && (id[3] == 'f' || id[3] == 'p'))) &&
	    f->paren_depth == 0) {
		if (strcmp(w, "BEGIN") == 0)
			f->begin_depth++;
		else if (strcmp(w, "CASE") == 0) {
			if (f->begin_depth >= 1)
				f->begin_depth++;
		} else if (strcmp(w, "END") == 0) {
			if (f->begin_depth > 0)
				f->begin_depth--;
		}
	}
}

static void
word_end(struct sqlf *f)
{
	char *w = f->word;

	if (f->wordlen < 0)
		return;
	w[f->wordlen] = '\0';
	f->wordlen = -1;
	if (f->word_number)
		return;
	if (f->nwords < NWORDS)
		strcpy(f->words[f->nwords], w);
	f->nwords++;
	track_begin_atomic(f, w);
	if (strcmp(f->words[0], "COPY") == 0) {
		if (f->after_from && strcmp(w, "STDIN") == 0)
			f->copy_stdin = 1;
		f->after_from = strcmp(w, "FROM") == 0;
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
	return isalpha(c) || c == '_' || c >= 0x80;
}

static int
is_word_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

static void
word_char(struct sqlf *f, unsigned char c)
{
	if (f->wordlen < 0) {
		f->wordlen = 0;
		f->word_number = !is_word_start(c);
	}
	if (f->wordlen < WORDLEN - 1)
		f->word[f->wordlen++] = (char)toupper(c);
}

/* SET [SESSION|LOCAL] standard_conforming_strings {TO|=} on|off, and
   RESET: psql lexes the statements after it accordingly. */
static void
track_std_strings(struct sqlf *f)
{
	int i = 1, n = f->nwords < NWORDS ? f->nwords : NWORDS;

	if (n >= 2 && strcmp(f->words[0], "RESET") == 0 &&
	    (strcmp(f->words[1], "STANDARD_CONFORMING_STRINGS") == 0 ||
	    strcmp(f->words[1], "ALL") == 0)) {
		f->std_strings = 1;
		return;
	}
	if (n < 3 || strcmp(f->words[0], "SET") != 0)
		return;
	if (strcmp(f->words[i], "SESSION") == 0 ||
	    strcmp(f->words[i], "LOCAL") == 0)
		i++;
	if (i >= n || strcmp(f->words[i], "STANDARD_CONFORMING_STRINGS") != 0)
		return;
	if (++i < n && strcmp(f->words[i], "TO") == 0)
		i++;
	if (i >= n)
		return;
	if (strcmp(f->words[i], "ON") == 0)
		f->std_strings = 1;
	else if (strcmp(f->words[i], "OFF") == 0)
		f->std_strings = 0;
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
	decide(f);
	w0 = f->nwords > 0 ? f->words[0] : "";
	w1 = f->nwords > 1 ? f->words[1] : "";
	track_std_strings(f);
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

static int
meta_is(const char *m, const char *cmd)
{
	size_t n = strlen(cmd);

	return strncmp(m, cmd, n) == 0 &&
	    (m[n] == '\0' || m[n] == ' ' || m[n] == '\t' || m[n] == '\r');
}

/* The meta-command line is complete (without its newline). */
static void
meta_end(struct sqlf *f)
{
	char *m = f->meta;
	size_t n;

	m[f->metalen] = '\0';
	if (!f->meta_in_stmt && !f->pending_copy &&
	    (meta_is(m, "\\restrict") || meta_is(m, "\\unrestrict"))) {
		if (f->keep_restrict)
			out_s(f, m);
		return;
	}
	n = strcspn(m, " \t\r");
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
	if (f->comment_top && (comment_is(f, " Name: ") ||
	    comment_is(f, " Data for Name: ") || comment_is(f, " TOC entry ")))
		f->clean_done = 1;
}

/* --- the lexer ----------------------------------------------------------- */

static void
newline(struct sqlf *f)
{
	f->line++;
}

/* Copies the run of bytes of P (up to N) up to the first S1 or S2, the
   bytes that can end the current quote or comment, and returns its
   length.  The caller has checked that P[0] is neither. */
static size_t
span(struct sqlf *f, const char *p, size_t n, char s1, char s2)
{
	size_t k;
	char c;

	for (k = 0; k < n; k++) {
		c = p[k];
		if (c == s1 || c == s2)
			break;
		if (c == '\n')
			newline(f);
	}
	put_n(f, p, k);
	return k;
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

/* One byte of SQL outside quotes and comments. */
static void
normal(struct sqlf *f, char c)
{
	unsigned char u = (unsigned char)c;

	if (f->wordlen >= 0 && is_word_char(u)) {
		word_char(f, u);
		put(f, c);
		return;
	}
	if (is_word_start(u) || isdigit(u)) {
		word_end(f);
		if (!f->in_stmt)
			significant(f, c);
		else
			put(f, c);
		word_char(f, u);
		return;
	}
	/* An E right before the quote makes an escape string; the word
	   E is then not a word. */
	if (c == '\'' && f->wordlen == 1 && f->word[0] == 'E') {
		f->wordlen = -1;
		put(f, c);
		f->escapes = 1;
		f->lex = L_SQUOTE;
		return;
	}
	word_end(f);
	switch (c) {
	case '\n':
		newline(f);
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
	case ' ': case '\t': case '\r': case '\f': case '\v':
		put(f, c);
		return;
	case '-':
		f->lex = L_DASH;
		return;
	case '/':
		f->lex = L_SLASH;
		return;
	case '\\':
		f->lex = L_META;
		f->metalen = 0;
		f->meta[f->metalen++] = c;
		f->meta_in_stmt = f->in_stmt;
		return;
	case ';':
		if (!f->in_stmt) {
			put(f, c);
			return;
		}
		if (f->paren_depth == 0 && f->begin_depth == 0) {
			stmt_end(f);
			return;
		}
		put(f, c);
		return;
	}
	significant(f, c);
	if (f->failed)
		return;
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
	case '\'':
		f->escapes = !f->std_strings;
		f->lex = L_SQUOTE;
		break;
	case '"':
		f->lex = L_DQUOTE;
		break;
	case '$':
		f->taglen = 0;
		f->lex = L_DOLLAR_OPEN;
		break;
	}
}

/* Feeds one byte, or a run of bytes when the state allows; returns how
   many were consumed. */
static size_t
step(struct sqlf *f, const char *p, size_t n)
{
	char c = p[0];
	unsigned char u = (unsigned char)c;

	switch (f->lex) {
	case L_COPY:
		return copy_data(f, p, n);
	case L_NORMAL:
		normal(f, c);
		return 1;
	case L_DASH:
		if (c == '-') {
			word_end(f);
			put_n(f, "--", 2);
			f->lex = L_LINE_COMMENT;
			f->cheadlen = 0;
			f->comment_top = !f->in_stmt;
			return 1;
		}
		f->lex = L_NORMAL;
		significant(f, '-');
		return 0;	/* C again, in L_NORMAL */
	case L_SLASH:
		if (c == '*') {
			word_end(f);
			put_n(f, "/*", 2);
			f->lex = L_BLOCK;
			f->block_depth = 1;
			return 1;
		}
		f->lex = L_NORMAL;
		significant(f, '/');
		return 0;
	case L_LINE_COMMENT:
		if (c == '\n') {
			comment_end(f);
			f->lex = L_NORMAL;
			normal(f, c);
			return 1;
		}
		if (f->cheadlen < COMMENT_HEAD)
			f->chead[f->cheadlen++] = c;
		if (f->cheadlen < COMMENT_HEAD) {
			put(f, c);
			return 1;
		}
		return span(f, p, n, '\n', '\n');
	case L_BLOCK:
		if (c == '*')
			f->lex = L_BLOCK_STAR;
		else if (c == '/')
			f->lex = L_BLOCK_SLASH;
		else
			return span(f, p, n, '*', '/');
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
	case L_SQUOTE:
		if (c == '\'')
			f->lex = L_SQUOTE_END;
		else if (c == '\\' && f->escapes)
			f->lex = L_SQUOTE_BS;
		else
			return span(f, p, n, '\'', f->escapes ? '\\' : '\'');
		put(f, c);
		return 1;
	case L_SQUOTE_BS:
		if (c == '\n')
			newline(f);
		put(f, c);
		f->lex = L_SQUOTE;
		return 1;
	case L_SQUOTE_END:
		if (c == '\'') {
			put(f, c);
			f->lex = L_SQUOTE;
			return 1;
		}
		f->lex = L_NORMAL;
		return 0;
	case L_DQUOTE:
		if (c != '"')
			return span(f, p, n, '"', '"');
		put(f, c);
		f->lex = L_DQUOTE_END;
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
			put(f, c);
			return 1;
		}
		/* Not a dollar quote ($1, or a '$' of an operator): the
		   tag's characters were a word. */
		f->lex = L_NORMAL;
		return 0;
	case L_DOLLAR:
		if (f->tagmatch == 0 && c != '$')
			return span(f, p, n, '$', '$');
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
	f->std_strings = 1;
	f->line = 1;
	f->lex = L_NORMAL;
	stmt_reset(f);
	return f;
}

void
sqlf_free(struct sqlf *f)
{
	if (f == NULL)
		return;
	free(f->hold);
	free(f->out);
	free(f);
}

int
sqlf_feed(struct sqlf *f, const char *buf, size_t len)
{
	size_t k;

	while (len > 0 && !f->failed) {
		k = step(f, buf, len);
		if (k > 0)
			f->last = buf[k - 1];
		buf += k;
		len -= k;
	}
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
	/* A lone '-' or '/' at the very end is a statement of its own. */
	if (f->lex == L_DASH || f->lex == L_SLASH) {
		significant(f, f->lex == L_DASH ? '-' : '/');
		f->lex = L_NORMAL;
	}
	if (f->lex == L_LINE_COMMENT)
		comment_end(f);
	switch (f->lex) {
	case L_COPY:
		where = "inside the COPY data of the statement";
		break;
	case L_SQUOTE: case L_SQUOTE_BS:
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

/*
 * Inside the stream recogniser: the state every format keeps, shared by
 * kt_check.c (detection, dispatch, messages) and one file per format.
 * Not for programs: they use kt_check.h.
 */
#ifndef KT_CHECK_IMPL_H
#define KT_CHECK_IMPL_H

#include <stdint.h>

#include "kt_check.h"

/* Bytes kept while the format is not known yet: one tar header. */
#define KTC_HEAD	512
/* Longest error message. */
#define KTC_ERRMAX	1024
/* gzip inside gzip is followed this deep, no deeper. */
#define KTC_MAX_DEPTH	2

struct ktc_tar;
struct ktc_gzip;
struct ktc_walker;
struct ktc_armor;
struct ktc_pgdump;

struct kt_check {
	unsigned flags;
	int depth;		/* 0, or how deep inside gzip */
	enum kt_format fmt;
	int failed;
	int ended;
	int end_result;
	uint64_t off;		/* bytes fed */
	size_t headlen;
	unsigned char head[KTC_HEAD];
	struct ktc_tar *tar;
	struct ktc_gzip *gzip;
	struct ktc_walker *pgp;
	struct ktc_armor *armor;
	struct ktc_pgdump *pgdump;
	char error[KTC_ERRMAX];
};

/* Records why the stream is malformed; returns -1. */
int ktc_fail(struct kt_check *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A recogniser for data nested in another format (gzip's content). */
struct kt_check *ktc_new_nested(unsigned flags, int depth);

/* Each format: start (allocate), feed, end, free, and what it says about
   itself.  feed and end return 0 or -1 (through ktc_fail). */
int ktc_tar_start(struct kt_check *);
int ktc_tar_feed(struct kt_check *, const unsigned char *, size_t);
int ktc_tar_end(struct kt_check *);
void ktc_tar_free(struct kt_check *);
int ktc_tar_is_kt(const struct kt_check *);
enum kt_manifest_state ktc_tar_manifest(const struct kt_check *);
uint64_t ktc_tar_members(const struct kt_check *);
/* The members as the tar parser read them (KT_CHECK_HASH only), or NULL. */
struct kt_manifest_reader *ktc_tar_view(const struct kt_check *);

int ktc_gzip_start(struct kt_check *);
int ktc_gzip_feed(struct kt_check *, const unsigned char *, size_t);
int ktc_gzip_end(struct kt_check *);
void ktc_gzip_free(struct kt_check *);
const struct kt_check *ktc_gzip_inner(const struct kt_check *);

/* OpenPGP packets, binary (c->pgp) or decoded from armor: the walker.
   WHAT names the stream in messages. */
struct ktc_walker *ktc_walker_new(const char *what);
void ktc_walker_free(struct ktc_walker *);
int ktc_walker_feed(struct kt_check *, struct ktc_walker *,
    const unsigned char *, size_t);
int ktc_walker_end(struct kt_check *, struct ktc_walker *);
int ktc_walker_nomdc(const struct ktc_walker *);
/* Only signature packets: a detached signature, not a message. */
int ktc_walker_signature_only(const struct ktc_walker *);
/* Detection: 1 when BUF starts like an OpenPGP message, 0 when it cannot
   be one, -1 when more bytes are needed (never when EOF is set). */
int ktc_pgp_probe(const unsigned char *buf, size_t len, int eof);
/* Whether gpg reads BUF as binary OpenPGP, never looking for armor. */
int ktc_pgp_gpg_binary(const unsigned char *buf, size_t len);

/* Detection of an armored message after lines of text, as gpg reads
   one: 1, 0 or -1 as ktc_pgp_probe(). */
int ktc_armor_probe(const unsigned char *buf, size_t len, int eof);
int ktc_armor_start(struct kt_check *);
int ktc_armor_feed(struct kt_check *, const unsigned char *, size_t);
int ktc_armor_end(struct kt_check *);
void ktc_armor_free(struct kt_check *);
const struct ktc_walker *ktc_armor_walker(const struct kt_check *);

int ktc_pgdump_start(struct kt_check *);
int ktc_pgdump_feed(struct kt_check *, const unsigned char *, size_t);
int ktc_pgdump_end(struct kt_check *);
void ktc_pgdump_free(struct kt_check *);
int ktc_pgdump_cluster(const struct kt_check *);

#endif

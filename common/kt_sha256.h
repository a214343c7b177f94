/*
 * SHA-256, a thin layer over libgcrypt's message digests.
 *
 * libgcrypt is initialised once, on first use, in the way that lets it
 * live beside gpgme in the same process: the version is checked, secure
 * memory is not used (nothing secret is hashed here) and initialisation
 * is declared finished.  If the program initialised libgcrypt itself
 * before, that is left alone.
 */
#ifndef KT_SHA256_H
#define KT_SHA256_H

#include <stddef.h>

#define KT_SHA256_LEN	32
#define KT_SHA256_HEXLEN 64

struct gcry_md_handle;

struct kt_sha256 {
	struct gcry_md_handle *md;
};

/* Initialises libgcrypt if nobody has; returns 0, or -1 when the library
   is older than the build requires. */
int kt_sha256_library_init(void);

/* Returns 0, or -1 with errno set (ENOMEM, or ENOSYS when libgcrypt is
   unusable). */
int kt_sha256_init(struct kt_sha256 *);

/* Hashes LEN bytes straight from BUF: libgcrypt copies nothing but the
   last partial 64-byte block. */
void kt_sha256_update(struct kt_sha256 *, const void *buf, size_t len);

/* Writes the digest of everything hashed since init or the last final,
   and starts over with an empty message. */
void kt_sha256_final(struct kt_sha256 *, unsigned char out[KT_SHA256_LEN]);

void kt_sha256_free(struct kt_sha256 *);

/* One call: the digest of BUF.  Returns 0, or -1 with errno set. */
int kt_sha256_buf(const void *buf, size_t len,
    unsigned char out[KT_SHA256_LEN]);

/* Lowercase hex, NUL-terminated (65 bytes). */
void kt_sha256_hex(const unsigned char digest[KT_SHA256_LEN],
    char hex[KT_SHA256_HEXLEN + 1]);

#endif

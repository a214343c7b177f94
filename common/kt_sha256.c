#include "config.h"

#include <errno.h>
#include <gcrypt.h>

#include "kt_sha256.h"

/* The oldest libgcrypt configure accepts. */
#define KT_GCRYPT_MIN	"1.8.0"

int
kt_sha256_library_init(void)
{
	static int state;	/* 0 not yet, 1 ready, -1 unusable */

	if (state != 0)
		return state == 1 ? 0 : -1;
	/* Another part of the program (or a library) may have set it up
	   already; initialising twice is not allowed. */
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		state = 1;
		return 0;
	}
	if (gcry_check_version(KT_GCRYPT_MIN) == NULL) {
		state = -1;
		return -1;
	}
	/* Hashing needs no secure memory: do not mlock a pool (and warn
	   about it) for nothing. */
	gcry_control(GCRYCTL_DISABLE_SECMEM_WARN);
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	state = 1;
	return 0;
}

int
kt_sha256_init(struct kt_sha256 *h)
{
	gcry_md_hd_t md;

	h->md = NULL;
	if (kt_sha256_library_init() == -1) {
		errno = ENOSYS;
		return -1;
	}
	if (gcry_md_open(&md, GCRY_MD_SHA256, 0) != 0) {
		errno = ENOMEM;
		return -1;
	}
	h->md = md;
	return 0;
}

void
kt_sha256_update(struct kt_sha256 *h, const void *buf, size_t len)
{
	if (len > 0)
		gcry_md_write(h->md, buf, len);
}

void
kt_sha256_final(struct kt_sha256 *h, unsigned char out[KT_SHA256_LEN])
{
	const unsigned char *d;
	int i;

	d = gcry_md_read(h->md, GCRY_MD_SHA256);
	for (i = 0; i < KT_SHA256_LEN; i++)
		out[i] = d[i];
	gcry_md_reset(h->md);
}

void
kt_sha256_free(struct kt_sha256 *h)
{
	if (h->md != NULL)
		gcry_md_close(h->md);
	h->md = NULL;
}

int
kt_sha256_buf(const void *buf, size_t len, unsigned char out[KT_SHA256_LEN])
{
	if (kt_sha256_library_init() == -1) {
		errno = ENOSYS;
		return -1;
	}
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, buf, len);
	return 0;
}

void
kt_sha256_hex(const unsigned char digest[KT_SHA256_LEN],
    char hex[KT_SHA256_HEXLEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < KT_SHA256_LEN; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 0xf];
	}
	hex[KT_SHA256_HEXLEN] = '\0';
}

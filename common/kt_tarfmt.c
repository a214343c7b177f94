#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kt_tarfmt.h"

/* No pax record is longer: libarchive's limit for a whole extended
   header is 1 MiB; this leaves room and cannot overflow. */
#define KT_PAX_RECLEN_MAX	(UINT64_C(1) << 40)

int
kt_tar_block_is_zero(const unsigned char *blk)
{
	size_t i;

	for (i = 0; i < KT_TAR_BLOCK; i++)
		if (blk[i] != 0)
			return 0;
	return 1;
}

int
kt_tar_mode_ok(const unsigned char *blk, size_t n)
{
	size_t i;

	for (i = KT_TAR_MODE_OFF; i < n && i < KT_TAR_MODE_OFF + 8; i++)
		if (blk[i] != ' ' && blk[i] != '\0' &&
		    (blk[i] < '0' || blk[i] > '7'))
			return 0;
	return 1;
}

int
kt_tar_checksum_ok(const unsigned char *blk)
{
	const unsigned char *f = blk + KT_TAR_CHKSUM_OFF;
	long want = 0, usum = 0, ssum = 0;
	int i, digits = 0;

	/* Octal digits, maybe led by spaces, ended by NUL or space. */
	for (i = 0; i < KT_TAR_CHKSUM_LEN && f[i] == ' '; i++)
		;
	for (; i < KT_TAR_CHKSUM_LEN && f[i] >= '0' && f[i] <= '7'; i++) {
		want = want * 8 + (f[i] - '0');
		digits++;
	}
	if (digits == 0 || (i < KT_TAR_CHKSUM_LEN && f[i] != ' ' &&
	    f[i] != '\0'))
		return 0;
	for (i = 0; i < KT_TAR_BLOCK; i++) {
		if (i >= KT_TAR_CHKSUM_OFF &&
		    i < KT_TAR_CHKSUM_OFF + KT_TAR_CHKSUM_LEN) {
			usum += ' ';
			ssum += ' ';
		} else {
			usum += blk[i];
			ssum += (signed char)blk[i];
		}
	}
	/* An all-zero block sums to 256 but its field reads as nothing. */
	return want == usum || want == ssum;
}

int
kt_tar_number(const unsigned char *f, size_t width, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (width == 0)
		return KT_TAR_ENUMBER;
	if (f[0] == 0x80) {
		/* GNU base-256, positive: big-endian in the other bytes. */
		for (i = 1; i < width; i++) {
			if (v >> 56)
				return KT_TAR_ERANGE;
			v = v << 8 | f[i];
		}
		*out = v;
		return KT_TAR_OK;
	}
	if (f[0] & 0x80)
		return KT_TAR_ERANGE;	/* 0xff: negative base-256 */
	for (i = 0; i < width && f[i] == ' '; i++)
		;
	for (; i < width && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 61)
			return KT_TAR_ERANGE;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	/* An empty field is 0, as every tar reads it. */
	for (; i < width; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return KT_TAR_ENUMBER;
	*out = v;
	return KT_TAR_OK;
}

static size_t
field_len(const unsigned char *f, size_t width)
{
	const unsigned char *nul = memchr(f, '\0', width);

	return nul != NULL ? (size_t)(nul - f) : width;
}

int
kt_tar_parse_header(const unsigned char *blk, struct kt_tar_header *h)
{
	const unsigned char *magic = blk + KT_TAR_MAGIC_OFF;
	size_t plen, nlen;
	int r;

	if (!kt_tar_checksum_ok(blk))
		return KT_TAR_ECHECKSUM;
	h->typeflag = (char)blk[KT_TAR_TYPE_OFF];
	if (memcmp(magic, "ustar\0", 6) == 0)
		h->magic = KT_TAR_USTAR;
	else if (memcmp(magic, "ustar  \0", 8) == 0)
		h->magic = KT_TAR_GNU;
	else if (memcmp(magic, "ustar", 5) == 0)
		return KT_TAR_EMAGIC;
	else
		h->magic = KT_TAR_V7;
	if ((r = kt_tar_number(blk + KT_TAR_SIZE_OFF, KT_TAR_SIZE_LEN,
	    &h->size)) != KT_TAR_OK)
		return r;
	if (!kt_tar_mode_ok(blk, KT_TAR_BLOCK))
		return KT_TAR_EMODE;
	h->gnu_extended = h->magic == KT_TAR_GNU && h->typeflag == 'S' &&
	    blk[KT_TAR_GNU_EXT_OFF] != 0;

	nlen = field_len(blk + KT_TAR_NAME_OFF, KT_TAR_NAME_LEN);
	plen = h->magic == KT_TAR_USTAR ?
	    field_len(blk + KT_TAR_PREFIX_OFF, KT_TAR_PREFIX_LEN) : 0;
	h->namelen = 0;
	if (plen > 0) {
		memcpy(h->name, blk + KT_TAR_PREFIX_OFF, plen);
		h->namelen = plen;
		if (h->name[plen - 1] != '/')
			h->name[h->namelen++] = '/';
	}
	memcpy(h->name + h->namelen, blk + KT_TAR_NAME_OFF, nlen);
	h->namelen += nlen;
	h->name[h->namelen] = '\0';
	h->linklen = field_len(blk + KT_TAR_LINK_OFF, KT_TAR_LINK_LEN);
	memcpy(h->linkname, blk + KT_TAR_LINK_OFF, h->linklen);
	h->linkname[h->linklen] = '\0';
	return KT_TAR_OK;
}

uint64_t
kt_tar_padding(uint64_t size)
{
	return (KT_TAR_BLOCK - size % KT_TAR_BLOCK) % KT_TAR_BLOCK;
}

/* --- pax records ------------------------------------------------------ */

enum { PAX_LEN, PAX_KEY, PAX_VALUE, PAX_NEWLINE, PAX_ZEROS };

void
kt_pax_init(struct kt_pax_reader *p, kt_pax_value_fn value, void *cookie)
{
	memset(p, 0, sizeof(*p));
	p->state = PAX_LEN;
	p->value = value;
	p->cookie = cookie;
}

static int
pax_fail(struct kt_pax_reader *p, const char *why)
{
	p->error = why;
	return -1;
}

static int
pax_deliver(struct kt_pax_reader *p, const unsigned char *buf, size_t len,
    unsigned flags)
{
	if (p->keylong || p->value == NULL)
		return 0;
	if (!p->begun)
		flags |= KT_PAX_BEGIN;
	p->begun = 1;
	if (p->value(p->cookie, p->key, buf, len, flags) != 0) {
		p->error = NULL;
		return -1;
	}
	return 0;
}

int
kt_pax_feed(struct kt_pax_reader *p, const void *vbuf, size_t len)
{
	const unsigned char *buf = vbuf, *end = buf + len;
	size_t n;

	if (p->error != NULL)
		return -1;
	while (buf < end) {
		switch (p->state) {
		case PAX_LEN:
			if (*buf == '\0' && p->ndigits == 0) {
				p->state = PAX_ZEROS;
				break;
			}
			p->off++;
			if (*buf == ' ') {
				if (p->ndigits == 0)
					return pax_fail(p, "a record without "
					    "its length");
				p->done = p->ndigits + 1;
				p->state = PAX_KEY;
				p->keylen = 0;
				p->keylong = 0;
				buf++;
				break;
			}
			if (*buf < '0' || *buf > '9')
				return pax_fail(p, "a record length that is "
				    "not a number");
			/* By value: leading zeros are no reason to refuse. */
			p->ndigits++;
			if (p->reclen > KT_PAX_RECLEN_MAX / 10)
				return pax_fail(p, "a record length that is "
				    "too large");
			p->reclen = p->reclen * 10 + (uint64_t)(*buf - '0');
			buf++;
			break;
		case PAX_KEY:
			p->off++;
			if (++p->done >= p->reclen)
				return pax_fail(p, "a record shorter than its "
				    "key");
			if (*buf == '=') {
				if (p->keylen == 0)
					return pax_fail(p, "a record with an "
					    "empty key");
				p->key[p->keylen] = '\0';
				p->valleft = p->reclen - p->done - 1;
				p->begun = 0;
				p->state = PAX_VALUE;
				buf++;
				break;
			}
			if (*buf == '\n' || *buf == '\0')
				return pax_fail(p, "a record without '='");
			if (p->keylen < KT_PAX_KEY_MAX)
				p->key[p->keylen++] = (char)*buf;
			else
				p->keylong = 1;
			buf++;
			break;
		case PAX_VALUE:
			if (p->valleft == 0) {
				p->state = PAX_NEWLINE;
				break;
			}
			n = (size_t)(end - buf);
			if (n > p->valleft)
				n = (size_t)p->valleft;
			if (pax_deliver(p, buf, n, 0) == -1)
				return -1;
			buf += n;
			p->off += n;
			p->done += n;
			p->valleft -= n;
			break;
		case PAX_NEWLINE:
			if (*buf != '\n')
				return pax_fail(p, "a record whose length "
				    "does not match its end");
			p->off++;
			buf++;
			if (pax_deliver(p, (const unsigned char *)"", 0, KT_PAX_END) == -1)
				return -1;
			p->state = PAX_LEN;
			p->ndigits = 0;
			p->reclen = 0;
			break;
		case PAX_ZEROS:
			if (*buf != '\0')
				return pax_fail(p, "data after zero padding");
			p->off++;
			buf++;
			break;
		}
	}
	return 0;
}

int
kt_pax_finish(struct kt_pax_reader *p)
{
	if (p->error != NULL)
		return -1;
	if (p->state == PAX_VALUE && p->valleft == 0)
		return pax_fail(p, "a record without its newline");
	if ((p->state != PAX_LEN || p->ndigits != 0) && p->state != PAX_ZEROS)
		return pax_fail(p, "a record that runs past the end of the "
		    "header's data");
	return 0;
}

int
kt_pax_parse(const void *buf, size_t len, kt_pax_value_fn value,
    void *cookie, const char **error)
{
	struct kt_pax_reader p;
	int r;

	kt_pax_init(&p, value, cookie);
	r = kt_pax_feed(&p, buf, len) == 0 ? kt_pax_finish(&p) : -1;
	if (error != NULL)
		*error = p.error;
	return r;
}

static int
decimal_len(uint64_t n)
{
	int d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

uint64_t
kt_pax_record_len(size_t keylen, uint64_t vallen)
{
	/* " key=value\n" plus the digits of the total, which count
	   themselves. */
	uint64_t body = 1 + keylen + 1 + vallen + 1;
	uint64_t n = body + (uint64_t)decimal_len(body);

	while ((uint64_t)decimal_len(n) + body != n)
		n = body + (uint64_t)decimal_len(n);
	return n;
}

size_t
kt_pax_record_prefix(char *out, const char *key, uint64_t vallen)
{
	size_t keylen = strlen(key);

	if (keylen > KT_PAX_KEY_MAX)
		keylen = KT_PAX_KEY_MAX;
	return (size_t)snprintf(out, KT_PAX_KEY_MAX + 32, "%llu %.*s=",
	    (unsigned long long)kt_pax_record_len(keylen, vallen),
	    (int)keylen, key);
}

/* An octal field of WIDTH bytes: WIDTH-1 digits and a NUL. */
static void
put_octal(unsigned char *f, size_t width, uint64_t v)
{
	size_t i;

	f[width - 1] = '\0';
	for (i = width - 1; i > 0; i--) {
		f[i - 1] = (unsigned char)('0' + (v & 7));
		v >>= 3;
	}
}

void
kt_tar_global_header(unsigned char blk[KT_TAR_BLOCK], const char *name,
    uint64_t size)
{
	unsigned sum = 0;
	size_t i, nlen = strlen(name);

	memset(blk, 0, KT_TAR_BLOCK);
	if (nlen > KT_TAR_NAME_LEN)
		nlen = KT_TAR_NAME_LEN;
	memcpy(blk, name, nlen);
	put_octal(blk + 100, 8, 0644);		/* mode */
	put_octal(blk + 108, 8, 0);		/* uid */
	put_octal(blk + 116, 8, 0);		/* gid */
	if (size < (UINT64_C(1) << 33))
		put_octal(blk + KT_TAR_SIZE_OFF, KT_TAR_SIZE_LEN, size);
	else {
		blk[KT_TAR_SIZE_OFF] = 0x80;
		for (i = KT_TAR_SIZE_LEN - 1; i > 0; i--) {
			blk[KT_TAR_SIZE_OFF + i] = (unsigned char)size;
			size >>= 8;
		}
	}
	put_octal(blk + 136, 12, 0);		/* mtime */
	blk[KT_TAR_TYPE_OFF] = 'g';
	memcpy(blk + KT_TAR_MAGIC_OFF, "ustar\0" "00", 8);
	put_octal(blk + 329, 8, 0);		/* devmajor */
	put_octal(blk + 337, 8, 0);		/* devminor */
	memset(blk + KT_TAR_CHKSUM_OFF, ' ', KT_TAR_CHKSUM_LEN);
	for (i = 0; i < KT_TAR_BLOCK; i++)
		sum += blk[i];
	/* "%06o\0 ", as GNU tar and libarchive write it. */
	put_octal(blk + KT_TAR_CHKSUM_OFF, 7, sum);
	blk[KT_TAR_CHKSUM_OFF + 7] = ' ';
}

int
kt_tar_write_zeros(kt_tar_write_fn write, void *cookie, uint64_t len)
{
	static const unsigned char zeros[KT_TAR_BLOCK * 4];
	size_t n;

	while (len > 0) {
		n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
		if (write(cookie, zeros, n) == -1)
			return -1;
		len -= n;
	}
	return 0;
}

int
kt_tar_write_global_comment(kt_tar_write_fn write, void *cookie,
    const char *name, const void *comment, size_t len)
{
	unsigned char blk[KT_TAR_BLOCK];
	char prefix[KT_PAX_KEY_MAX + 32];
	uint64_t reclen = kt_pax_record_len(7, len);
	size_t plen;

	if (strlen(name) > KT_TAR_NAME_LEN) {
		errno = EINVAL;
		return -1;
	}
	kt_tar_global_header(blk, name, reclen);
	plen = kt_pax_record_prefix(prefix, "comment", len);
	if (write(cookie, blk, sizeof(blk)) == -1 ||
	    write(cookie, prefix, plen) == -1 ||
	    (len > 0 && write(cookie, comment, len) == -1) ||
	    write(cookie, "\n", 1) == -1)
		return -1;
	return kt_tar_write_zeros(write, cookie, kt_tar_padding(reclen));
}

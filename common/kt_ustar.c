#include "config.h"

#include <string.h>

#include "kt_ustar.h"

/* What libarchive's pax writer stores in a bare ustar header; past these
   it writes a pax extended header first. */
#define NAME_LEN	100
#define PREFIX_LEN	155
#define LINK_LEN	100
#define OWNER_NAME_MAX	31
#define ID_LIMIT	(UINT64_C(1) << 18)
#define SIZE_LIMIT	(UINT64_C(1) << 33)
#define MTIME_LIMIT	INT64_C(0x7fffffff)

static int
ascii(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* V in S octal digits at P, as libarchive's format_octal() (V fits). */
static void
octal(uint64_t v, unsigned char *p, int s)
{
	while (s-- > 0) {
		p[s] = (unsigned char)('0' + (v & 7));
		v >>= 3;
	}
}

/* A user or group name: empty, or up to 31 ASCII bytes. */
static int
owner_name(unsigned char *field, const char *name)
{
	size_t len = name != NULL ? strlen(name) : 0;

	if (len > OWNER_NAME_MAX || !ascii(name, len))
		return -1;
	if (len > 0)
		memcpy(field, name, len);
	return 0;
}

int
kt_ustar_header(unsigned char h[512], const struct kt_ustar_member *m)
{
	/* The fixed parts of libarchive's template header. */
	static const unsigned char zero7[] = "000000 ";	/* then NUL */
	char path[PREFIX_LEN + 1 + NAME_LEN + 2];
	const char *split;
	size_t len, linklen = 0;
	unsigned int sum;
	uint64_t size = 0;
	int i;

	/* The name, a directory's with its trailing slash. */
	len = strlen(m->path);
	if (len == 0 || len + 2 > sizeof(path) || !ascii(m->path, len))
		return -1;
	memcpy(path, m->path, len);
	if (m->type == KT_USTAR_DIR && path[len - 1] != '/')
		path[len++] = '/';
	path[len] = '\0';
	split = NULL;
	if (len > NAME_LEN) {
		/* The largest name that fits, after a slash; never an empty
		   prefix or an empty name. */
		split = strchr(path + len - NAME_LEN - 1, '/');
		if (split == path)
			split = strchr(split + 1, '/');
		if (split == NULL || split[1] == '\0' ||
		    split - path > PREFIX_LEN)
			return -1;
	}

	if (m->type == KT_USTAR_SYMLINK || m->type == KT_USTAR_HARDLINK) {
		if (m->link == NULL)
			return -1;
		linklen = strlen(m->link);
		if (linklen > LINK_LEN || !ascii(m->link, linklen))
			return -1;
	} else if (m->type == KT_USTAR_FILE)
		size = m->size;
	else if (m->type != KT_USTAR_DIR)
		return -1;
	if (size >= SIZE_LIMIT || m->uid >= ID_LIMIT || m->gid >= ID_LIMIT ||
	    m->mtime < 0 || m->mtime >= MTIME_LIMIT)
		return -1;

	memset(h, 0, 512);
	if (owner_name(h + 265, m->uname) == -1 ||
	    owner_name(h + 297, m->gname) == -1)
		return -1;
	if (split == NULL)
		memcpy(h, path, len);
	else {
		memcpy(h + 345, path, (size_t)(split - path));
		memcpy(h, split + 1, len - (size_t)(split - path) - 1);
	}
	memcpy(h + 100, zero7, 8);
	memcpy(h + 108, zero7, 8);
	memcpy(h + 116, zero7, 8);
	octal((uint64_t)(m->mode & 07777), h + 100, 6);
	octal(m->uid, h + 108, 6);
	octal(m->gid, h + 116, 6);
	octal(size, h + 124, 11);
	h[135] = ' ';
	octal((uint64_t)m->mtime, h + 136, 11);
	h[147] = ' ';
	memset(h + 148, ' ', 8);
	h[156] = (unsigned char)m->type;
	if (linklen > 0)
		memcpy(h + 157, m->link, linklen);
	memcpy(h + 257, "ustar\0" "00", 8);
	memcpy(h + 329, zero7, 8);
	memcpy(h + 337, zero7, 8);

	for (sum = 0, i = 0; i < 512; i++)
		sum += h[i];
	octal(sum, h + 148, 6);
	h[154] = '\0';
	return 0;
}

/*
 * Member headers exactly as libarchive's "restricted pax" writer makes
 * them, for the members it stores with a bare ustar header.
 *
 * kt-tar -c archives every member through libarchive, whose per-header
 * work (cloning the entry, converting every string) costs as much as
 * the system calls that read the file.  For the common member (an ASCII
 * name that fits the ustar fields, small ids, a size under 8 GiB) that
 * writer emits one 512-byte ustar block and no extended header; this
 * builds the same block byte for byte, and says when it cannot, so that
 * the caller falls back to libarchive.  The archive is thus the same
 * whichever way a member went.  t/helper/kt-ustar-cmp checks it against
 * the installed libarchive.
 */
#ifndef KT_USTAR_H
#define KT_USTAR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct kt_ustar_member {
	const char *path;	/* as stored, without a trailing slash */
	int type;		/* KT_USTAR_FILE, _DIR, _SYMLINK, _HARDLINK */
	const char *link;	/* symbolic link target, hard link path */
	mode_t mode;		/* st_mode: only the 07777 bits are stored */
	uint64_t uid, gid;
	const char *uname;	/* NULL or "" when unknown */
	const char *gname;
	uint64_t size;		/* data bytes; stored for files only */
	int64_t mtime;		/* seconds */
};

#define KT_USTAR_FILE		'0'
#define KT_USTAR_HARDLINK	'1'
#define KT_USTAR_SYMLINK	'2'
#define KT_USTAR_DIR		'5'

/*
 * Fills BLK with the header libarchive 3.x writes for M in
 * pax_restricted format (a directory's name gets its trailing slash
 * there), and returns 0; or returns -1, BLK undefined, when libarchive
 * would write a pax extended header before it: a path, link, user or
 * group name that is not ASCII or too long for its field, an id of 2^18
 * or more, a size of 8 GiB or more, a time before 1970 or after 2038.
 */
int kt_ustar_header(unsigned char blk[512], const struct kt_ustar_member *m);

#endif

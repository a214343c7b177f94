/*
 * A spool: an unlinked temporary file, mode 0600, that no other user can
 * open and that vanishes with the process, however it ends.  Used to hold
 * plaintext until it has been verified, or a stream whose size must be
 * known before it is archived.
 */
#ifndef KT_SPOOL_H
#define KT_SPOOL_H

/* Returns a read-write descriptor in $TMPDIR (default /tmp), or -1 with
   errno set. */
int kt_spool_open(void);

/* The directory kt_spool_open() uses, for messages. */
const char *kt_spool_dir(void);

#endif

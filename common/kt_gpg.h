/*
 * What kt-seal and kt-unseal ask of gpgme: where gpg is and whether it is
 * recent enough, and the keyring (looking keys up, telling why one cannot
 * be used).  The data never goes through gpgme: kt_gpgrun.h runs gpg.
 */
#ifndef KT_GPG_H
#define KT_GPG_H

#include <gpgme.h>

/* Oldest gpg we drive: --no-symkey-cache came with 2.2.7. */
#define KT_GPG_MIN_VERSION "2.2.7"

/* The gpg program gpgme found (a path), checked to be at least
   KT_GPG_MIN_VERSION.  Exits when there is none. */
const char *kt_gpg_program(void);

/* A gpgme context on the keyring in HOMEDIR (NULL: $GNUPGHOME, then
   ~/.gnupg), offline.  Exits on failure. */
gpgme_ctx_t kt_gpg_context(const char *homedir);

/* The home directory gpg will use, for messages. */
const char *kt_gpg_homedir(const char *homedir);

#endif

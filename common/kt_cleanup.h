/*
 * Paths to remove if the program ends before it commits them: temporary
 * files and staging directories; and children to kill, such as a gpg
 * that would otherwise finish its message.  They go on exit(3) (err(3)
 * included) and on SIGINT, SIGTERM and SIGHUP, so no half-written output
 * or cleartext outlives a failed or interrupted run.
 */
#ifndef KT_CLEANUP_H
#define KT_CLEANUP_H

#include <sys/types.h>

/* Installs the exit and signal handlers and ignores SIGPIPE (a closed
   reader then shows up as EPIPE on write, which the I/O loops turn into a
   quiet failure).  Call once, first thing in main(). */
void kt_init(void);

/* Installs HANDLER for SIGINT, SIGTERM and SIGHUP (with every signal
   blocked while it runs), except for those the caller ignores.  For a
   program that must do more than kt_init's cleanup when stopped; the
   handler may call kt_cleanup_run(), which is async-signal-safe. */
void kt_on_stop_signals(void (*handler)(int));

/* Registers PATH (a file, or with kt_cleanup_add_tree a directory removed
   with its contents).  Returns a handle for kt_cleanup_forget(); exits if
   the table is full, which is a programming error. */
int kt_cleanup_add(const char *path);
int kt_cleanup_add_tree(const char *path);

/* PATH was committed (renamed into place) or removed: stop tracking it. */
void kt_cleanup_forget(int handle);

/* Registers a child process to kill (SIGKILL) before anything is removed,
   on exit or on a signal; forget it once it has been waited for. */
void kt_cleanup_add_child(pid_t pid);
void kt_cleanup_forget_child(pid_t pid);

/* Registers FN(ARG) to undo what a failed run leaves behind that is not
   a path: a libarchive writer to fail so it never writes an end, a
   staging area to put back, a throwaway database to drop.  Hooks run on
   exit(3), so err(3) and errx(3) stay the one way to die: after the
   children are killed (nothing still writes what a hook undoes) and
   before the paths are removed, newest first.  They are not run on a
   signal, where only async-signal-safe work is allowed; forget a hook
   once what it undoes is committed or gone.  A hook must not call
   exit(3) or err(3): it warns and returns.  Returns a handle. */
int kt_cleanup_add_hook(void (*fn)(void *), void *arg);
void kt_cleanup_forget_hook(int handle);

/* Kills the registered children and removes everything still registered
   now; kt_cleanup_exit also runs the hooks first (installed with
   atexit(3) by kt_init). */
void kt_cleanup_run(void);
void kt_cleanup_exit(void);

#endif

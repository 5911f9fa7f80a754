/*
 * spool - file-system primitives of the job spool
 *
 * The durable-write discipline of docs/spool.md in one place: write under a
 * temporary name, fsync, rename, fsync the directory; flat-directory
 * listing, removal and per-directory flock(2). Everything is relative to a
 * directory descriptor so a renamed job directory cannot be confused with a
 * new one of the same name. Used by gateway/spool/queue and
 * gateway/intake/calllog (spool/calls/).
 * Errors: 0 or -1 with *why (ENOSPC is ERR_TEMP). Threads: any; no state.
 */
#ifndef IFAXGW_GATEWAY_SPOOL_SPOOL_H
#define IFAXGW_GATEWAY_SPOOL_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/util/errbuf.h"

#define SPOOL_TMP_SUFFIX ".tmp" /* temporary files end so; recovery removes */


/* true when name is a job id we could have made: 1..47 of [A-Za-z0-9.-],
 * not starting with '.' (so never ".", ".." or a temporary name). */
bool spool_id_ok(const char *name);

/* fsync a directory (or file) descriptor; what names it in the error. */
int spool_fsync(int fd, const char *what, struct errbuf *why);

/* Write buf to dfd/name atomically: name.tmp, write, fsync, rename. The
 * caller fsyncs dfd when the new entry must survive a power cut. */
int spool_write_file(int dfd, const char *name, const void *buf, size_t len,
                     struct errbuf *why);

/* Read dfd/name whole into a new NUL-terminated buffer (caller frees).
 * Bigger than max: ERR_PERM. */
int spool_read_file(int dfd, const char *name, size_t max, char **buf,
                    size_t *len, struct errbuf *why);

/* fsync every regular file directly in dfd. */
int spool_fsync_files(int dfd, struct errbuf *why);

/* Remove dfd/name and everything below it (job directories are flat; one
 * level of subdirectories is tolerated). ENOENT is success. */
int spool_rmtree(int dfd, const char *name, struct errbuf *why);

/* Sorted names in dfd, without dot files; caller frees with
 * spool_names_free(). */
int spool_list(int dfd, char ***names, size_t *n, struct errbuf *why);
void spool_names_free(char **names, size_t n);

/*
 * Open dfd/name (a job directory) and take flock(LOCK_EX|LOCK_NB) on it,
 * then check the name still refers to the locked directory (a concurrent
 * rename would otherwise go unnoticed). Returns the locked fd; -1 with
 * ERR_TEMP "busy" when another holder has it, ERR_PERM "no such job" when
 * it is gone. Closing the fd unlocks.
 */
int spool_lock_dir(int dfd, const char *name, struct errbuf *why);

#endif

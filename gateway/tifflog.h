/*
 * tifflog - libtiff's own errors and warnings through gateway/util/log
 *
 * libtiff reports through process-wide handlers that print to stderr,
 * unlabelled (e.g. the write errors of a page when the spool fills up
 * during a call). tifflog_install() replaces them, once at start, by
 * handlers that log each error at warn level (warnings at debug) with the
 * job it concerns:
 * the TIFF's client handle is its file descriptor (TIFFOpen), whose path
 * (/proc/self/fd) names the job directory spool/<state>/<id>/<file>.
 * Handles with their own handlers (libtiff 4.5 per-handle, as gateway/spool/job
 * uses) are not affected.
 * Callers: the daemon and the one-shot commands, before any thread starts.
 * Must not: touch the TIFF. Errors: none. Threads: the handlers run on any.
 */
#ifndef IFAXGW_GATEWAY_TIFFLOG_H
#define IFAXGW_GATEWAY_TIFFLOG_H

#include <stddef.h>

void tifflog_install(void);

/* The job id a TIFF file path names (".../<id>/<file>"), into buf; ""
 * when the path is not inside a job directory. Returns buf. */
char *tifflog_job_of(const char *path, char *buf, size_t n);

#endif

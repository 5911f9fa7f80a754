/*
 * errbuf - outcomes as values
 *
 * The deepest function that knows why something failed fills a struct errbuf;
 * callers decide whether to log, retry, bounce or show it. Fixed size, so
 * filling it never fails. TEMP means the world may change (full disk, rude
 * peer, 4xx); PERM means retrying cannot help (5xx, malformed input).
 * Text is one line of printable ASCII: hostile bytes are escaped on entry.
 * Threads: any; an errbuf belongs to its caller.
 */
#ifndef IFAXGW_GATEWAY_UTIL_ERRBUF_H
#define IFAXGW_GATEWAY_UTIL_ERRBUF_H

#include <stddef.h>

#define ERRBUF_TEXT_MAX 256 /* one log line's worth */

enum err_class {
    ERR_NONE, /* no error recorded */
    ERR_TEMP, /* may succeed later: retry */
    ERR_PERM  /* never retry */
};

struct errbuf {
    enum err_class cls;
    char status[12];             /* RFC 3463 "4.4.2", or "" */
    char text[ERRBUF_TEXT_MAX];  /* one line, printable ASCII */
};

/* Clear to ERR_NONE with empty text. */
void errbuf_clear(struct errbuf *why);

/* Both return -1 so callers can write: return errbuf_set(why, ...);
 * why may be NULL (the outcome is then dropped). */
int errbuf_set(struct errbuf *why, enum err_class cls, const char *status,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Appends ": strerror(errno)"; ENOSPC, EAGAIN, EINTR, ENOMEM, EIO and network
 * errors are TEMP, everything else PERM. Reads errno before anything else. */
int errbuf_errno(struct errbuf *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefix the existing text with "what: " (keeps class and status). Returns -1. */
int errbuf_prefix(struct errbuf *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

const char *err_class_name(enum err_class cls);

#endif

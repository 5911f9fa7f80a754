/*
 * smtp_reply - SMTP reply parsing (RFC 5321 4.2, 4.5.3.1; RFC 3463)
 *
 * Assembles one reply from the lines a peer sends, decides on the code and
 * a validated enhanced status, keeps the text (code and separator removed,
 * lines joined by '\n') for the transcript and the CONNEG parser. No I/O.
 * Owns nothing outside the caller's struct smtp_reply.
 * Errors: a line over SMTP_LINE_MAX (or SMTP_LONG_LINE_MAX), a reply over SMTP_REPLY_MAX, a line that
 * is not "DDD[-| ]text" or a code change inside a reply: -1 with why filled,
 * class TEMP (a broken or hostile peer: fail the session, keep the job).
 * Threads: any; a reply belongs to its caller.
 */
#ifndef IFAXGW_SMTP_SMTP_REPLY_H
#define IFAXGW_SMTP_SMTP_REPLY_H

#include <stddef.h>

#include "gateway/util/errbuf.h"

#define SMTP_LINE_MAX                                                          \
    2048 /* one reply line without CRLF: 4x RFC 5321's 512 */
/* A RCPT ... CONNEG reply line may carry a whole capability on one line
 * (RFC 4141 5.2 lets a server split it, not all do): CONNEG_CAPS_MAX plus
 * the "CONNEG " prefix and slack. Allowed per reply by smtp_reply_long(). */
#define SMTP_LONG_LINE_MAX (65536 + 64)
/* whole reply text: 4x CONNEG_CAPS_MAX (docs/negotiation.md 1) */
#define SMTP_REPLY_MAX (4 * 65536)

struct smtp_reply {
    size_t line_max;           /* SMTP_LINE_MAX, or SMTP_LONG_LINE_MAX */
    int code;                  /* 0 until the last line has been read */
    int pending;               /* code of the lines read so far, or 0 */
    int lines;                 /* lines read */
    char status[12];           /* enhanced status, validated, or "" */
    size_t len;                /* bytes used in text */
    char text[SMTP_REPLY_MAX]; /* lines joined by '\n', NUL-terminated */
};

/* Reset to an empty reply (lines up to SMTP_LINE_MAX). */
void smtp_reply_init(struct smtp_reply *r);
/* Allow lines up to SMTP_LONG_LINE_MAX in this reply (after init). */
void smtp_reply_long(struct smtp_reply *r);

/*
 * Add one line (without CRLF; a trailing CR is dropped). Returns 1 when the
 * line completed the reply (r->code set), 0 when more lines must follow,
 * -1 with why filled (TEMP, status "4.5.0") on a malformed or oversized line.
 */
int smtp_reply_add(struct smtp_reply *r, const char *line, size_t n,
                   struct errbuf *why);

/*
 * Parse a whole reply from a buffer of CRLF- (or LF-) terminated lines.
 * Returns 0 when buf holds exactly one complete reply, -1 otherwise.
 */
int smtp_reply_parse(struct smtp_reply *r, const char *buf, size_t n,
                     struct errbuf *why);

/* ERR_NONE for 2xx/3xx, ERR_TEMP for 4xx, ERR_PERM for 5xx, ERR_TEMP for
 * anything else (a code outside 2xx-5xx is a broken peer). */
enum err_class smtp_reply_class(const struct smtp_reply *r);

/*
 * Fill why from a negative reply: class from the code, status from the
 * validated enhanced status (or "4.0.0"/"5.0.0" from the code), text
 * "<what>: <code> <first line, escaped>". Returns -1.
 */
int smtp_reply_error(const struct smtp_reply *r, struct errbuf *why,
                     const char *what);

/* Check "D.DDD.DDD" (RFC 3463: class 2/4/5, subject 1-3 digits, detail 1-3
 * digits) at the start of s, followed by end or space. Returns its length
 * or 0. */
size_t smtp_reply_status_len(const char *s, size_t n);

#endif

/*
 * mime - the messages the gateway sends: a fax (multipart/mixed with a short
 * text part and the document) and a plain text notice.
 *
 * Pure functions, no I/O, no clock: the caller gives Date as Unix seconds.
 * Output is wire form (CRLF lines, 7-bit, every header line <= 78 octets),
 * ready for DATA (the SMTP client dot-stuffs) or libcurl's upload.
 * Far-end strings (CSID, caller ID, subject from a template, transcripts) are
 * hostile: control bytes become spaces, invalid UTF-8 becomes '?', headers
 * carry them as RFC 2047 encoded-words, the text part as quoted-printable, so
 * they can neither add a header nor end a MIME part. Our own addresses and
 * the Message-ID are checked and refused (ERR_PERM) if malformed.
 * A message is read in chunks with mime_read() (streaming the base64 of the
 * document) or whole with mime_compose(). Errors: NULL with *why filled.
 * Threads: any; a struct mime_msg belongs to one thread.
 * Standards: RFC 5322, 2045-2047, 2046 5.1, 3302 (image/tiff application=),
 * 3250 (image/tiff-fx), 4141 6 (Content-Features), 8098 (MDN request).
 */
#ifndef IFAXGW_SMTP_MIME_H
#define IFAXGW_SMTP_MIME_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/util/errbuf.h"

#define MIME_HEADER_LINE_MAX 78   /* RFC 5322 2.1.1 SHOULD, without CRLF */
#define MIME_B64_LINE        76   /* RFC 2045 6.8 */
#define MIME_WORD_MAX        75   /* RFC 2047 2: one encoded-word */
#define MIME_HOSTILE_MAX     1024 /* a far-end field is cut to this many bytes */
#define MIME_TEXT_MAX        65536 /* a notice body (transcript excerpt) */
#define MIME_ADDR_MAX        256   /* RFC 5321 4.5.3.1.3 path */
#define MIME_RCPT_MAX        100   /* addresses in one To: */

/* The document types a fax part may carry. */
enum mime_doc {
    MIME_DOC_TIFF_FAXBW, /* image/tiff; application=faxbw (S, F, J) */
    MIME_DOC_TIFF_FX,    /* image/tiff-fx (RFC 3250) */
    MIME_DOC_PDF         /* application/pdf, for people */
};

/* What a fax message says. Every pointer is borrowed for the life of the
 * struct mime_msg built from it (the document bytes are not copied). */
struct mime_fax {
    const char *from;      /* addr-spec of the gateway, required */
    const char *from_name; /* display name (hostile-safe), or NULL */
    const char *const *to; /* addr-specs, nto of them, nto >= 1 */
    size_t nto;
    const char *message_id; /* id-left@id-right without <>, required */
    int64_t date_s;         /* Date:, Unix seconds, written in UTC */
    const char *subject;    /* expanded template: hostile, may be NULL */
    const char *mdn_to;     /* Disposition-Notification-To addr, or NULL */
    /* the text part; hostile strings may be NULL or empty */
    const char *csid;      /* sender's T.30 identity */
    const char *caller_id; /* calling number */
    const char *line;      /* line or source name */
    int64_t received_s;    /* when the fax came in, Unix seconds */
    int pages;
    const char *note; /* one extra text line (e.g. partial), or NULL */
    /* the document */
    enum mime_doc doc_type;
    const char *doc_name; /* file name, e.g. "fax.tif"; NULL: derived */
    const char *features; /* Content-Features filter, or NULL */
    const unsigned char *doc;
    size_t doc_len;
};

/* A plain text/plain message (notices). */
struct mime_note {
    const char *from, *from_name;
    const char *const *to;
    size_t nto;
    const char *message_id;
    int64_t date_s;
    const char *subject;     /* hostile */
    const char *body;        /* hostile, '\n'-separated lines */
    const char *in_reply_to; /* Message-ID (no <>) the notice is about */
};

struct mime_msg;

/* Build a message; the result reads the borrowed document. Caller frees
 * with mime_free(). NULL + *why (ERR_PERM) on a malformed address or id. */
struct mime_msg *mime_fax_new(const struct mime_fax *fax, struct errbuf *why);
struct mime_msg *mime_note_new(const struct mime_note *note,
                               struct errbuf *why);

/* Exact size in octets of the whole message (for SIZE). */
size_t mime_size(const struct mime_msg *m);
/* Copy the next up to n octets into buf; 0 at the end. Restart with
 * mime_rewind(). */
size_t mime_read(struct mime_msg *m, char *buf, size_t n);
void mime_rewind(struct mime_msg *m);
/* The whole message as one NUL-terminated string; caller frees. */
char *mime_compose(struct mime_msg *m, size_t *len);
void mime_free(struct mime_msg *m);

/*
 * Write the header field "name: value" with value (hostile text) sanitised,
 * RFC 2047-encoded when needed and folded, ending in CRLF, into dst (size n).
 * Returns the length, or -1 when dst is too small.
 */
int mime_header_text(char *dst, size_t n, const char *name, const char *value);
/* RFC 5322 3.3 date-time in UTC ("Sun, 22 Nov 2026 19:44:02 +0000"). */
void mime_date(char *dst, size_t n, int64_t unix_s);
/* 0 if s is a plain addr-spec we may put in a header (no CR/LF, no <> ...). */
int mime_check_addr(const char *s);
/* 0 if s is a valid msg-id without the angle brackets (RFC 5322 3.6.4). */
int mime_check_msgid(const char *s);

#endif

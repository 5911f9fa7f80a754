/*
 * smtp_conn - one SMTP connection's bytes: TCP and OpenSSL TLS with deadlines
 *
 * Non-blocking socket driven by poll(2): every call takes an absolute
 * deadline on the monotonic clock (mstime_mono()) and fails TEMP when
 * it passes. Reads whole lines (LF-terminated) from its own buffer; a line
 * longer than the caller's limit is an error (O1). STARTTLS upgrades the
 * socket in place (RFC 3207). Owns the descriptor and the SSL objects.
 * Must not: know SMTP commands (smtp_client does).
 * Errors: -1 with why filled; refused, reset, timeouts and TLS failures
 * are TEMP. Writes never raise SIGPIPE on plain TCP; TLS writes rely on
 * the process ignoring SIGPIPE (the daemon and commands do).
 * Threads: a connection belongs to one thread.
 */
#ifndef IFAXGW_SMTP_SMTP_CONN_H
#define IFAXGW_SMTP_SMTP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/util/errbuf.h"

#define SMTP_CONN_BUF                                                          \
    (65536 + 4096) /* read buffer, bytes; lines longer than it fail before it \
                      fills (SMTP_LONG_LINE_MAX < it) */

struct smtp_conn {
    int fd;            /* -1 when closed */
    void *ssl_ctx;     /* SSL_CTX *, NULL before STARTTLS */
    void *ssl;         /* SSL *, NULL before STARTTLS */
    size_t start, end; /* unread bytes are buf[start..end) */
    char buf[SMTP_CONN_BUF];
};

enum smtp_conn_verify {
    SMTP_CONN_NOVERIFY, /* encrypt only (opportunistic) */
    SMTP_CONN_VERIFY    /* chain against ca_file/system store + name */
};


/* Zero c and mark it closed. */
void smtp_conn_init(struct smtp_conn *c);

/* Connect to a numeric address and port. 0 or -1 with why (TEMP). */
int smtp_conn_connect(struct smtp_conn *c, const char *addr, int port,
                      int64_t deadline_ms, struct errbuf *why);

/*
 * Read one line into line (size max, NUL-terminated, LF and a CR before it
 * removed), its length in *n. A line of max or more bytes: -1, TEMP "line
 * over N bytes". EOF, reset, timeout: -1, TEMP.
 */
int smtp_conn_readline(struct smtp_conn *c, char *line, size_t max, size_t *n,
                       int64_t deadline_ms, struct errbuf *why);

/* Write all of buf. 0 or -1 with why (TEMP). */
int smtp_conn_write(struct smtp_conn *c, const void *buf, size_t n,
                    int64_t deadline_ms, struct errbuf *why);

/*
 * TLS handshake on the open socket. verify: check the chain against ca_file
 * (NULL: system default paths) and name (a DNS name or an IP literal).
 * Unread plaintext after the STARTTLS reply is an error (RFC 3207 5:
 * command injection). 0 or -1 with why (TEMP).
 */
int smtp_conn_starttls(struct smtp_conn *c, enum smtp_conn_verify verify,
                       const char *ca_file, const char *name,
                       int64_t deadline_ms, struct errbuf *why);

bool smtp_conn_is_tls(const struct smtp_conn *c);

/* Close and free TLS state; safe twice. */
void smtp_conn_close(struct smtp_conn *c);

#endif

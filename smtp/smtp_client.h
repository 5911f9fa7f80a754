/*
 * smtp_client - our SMTP client session for direct delivery
 *
 * Connect (dns_resolve() targets in turn), greeting, EHLO (HELO fallback),
 * STARTTLS per policy, MAIL with SIZE/DSN when offered, RCPT ... CONNEG only
 * when advertised (RFC 4141 5.2; again without it on 504/555/501), DATA with
 * dot-stuffing, RSET, QUIT; every wait bounded by struct smtp_timeouts
 * (RFC 5321 4.5.3.2); every line to the caller's transcript sink.
 * Must not: touch the spool, choose a profile, build MIME.
 * Errors: -1 with why; 4xx, timeouts, refused, reset, garbage TEMP, 5xx PERM.
 * An I/O failure, a malformed reply or 421 closes the connection (later calls
 * fail TEMP); other 4xx/5xx replies leave it usable (RSET or QUIT next).
 * Threads: a session belongs to the thread that opened it.
 * RFC 5321, 3207 (STARTTLS), 3461 (DSN), 1870 (SIZE), 4141 (CONNEG).
 */
#ifndef IFAXGW_SMTP_SMTP_CLIENT_H
#define IFAXGW_SMTP_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf/config.h"
#include "gateway/util/errbuf.h"
#include "smtp/dns.h"
#include "smtp/smtp_reply.h"

/* enum smtp_step and struct smtp_timeouts come from conf/config.h (P5). */
const char *smtp_step_name(enum smtp_step step);

enum smtp_tls_policy {
    SMTP_TLS_NONE,          /* never STARTTLS */
    SMTP_TLS_OPPORTUNISTIC, /* STARTTLS when offered; no verification;
                               a failed handshake fails this host (TEMP) */
    SMTP_TLS_REQUIRED       /* not offered or handshake/verify fails: TEMP;
                               verifies chain and host name against ca_file
                               or the system store */
};

/* EHLO keywords we act on (RFC 5321 4.1.1.1, case-insensitive) */
#define SMTP_EXT_CONNEG   0x01u /* RFC 4141 */
#define SMTP_EXT_DSN      0x02u /* RFC 3461 */
#define SMTP_EXT_SIZE     0x04u /* RFC 1870 */
#define SMTP_EXT_8BITMIME 0x08u /* RFC 6152 */
#define SMTP_EXT_PIPELINE 0x10u /* RFC 2920 */
#define SMTP_EXT_STARTTLS 0x20u /* RFC 3207 */
#define SMTP_EXT_ENHANCED 0x40u /* RFC 2034 ENHANCEDSTATUSCODES */

/*
 * Transcript sink: one complete line per call, NUL-terminated, already
 * escaped (printable ASCII), "2026-11-22T19:44:00.123Z > EHLO gw.example"
 * ('>' sent, '<' received, '*' a note from the client). The message body is
 * summarised, never copied. Called from the session's thread.
 */
typedef void (*smtp_transcript_fn)(void *arg, const char *line);

/* A ready sink writing each line plus '\n' to arg, a FILE *. */
void smtp_transcript_stdio(void *arg, const char *line);

struct smtp_opts {
    const char *helo_name;                /* our FQDN for EHLO; borrowed */
    const struct smtp_timeouts *timeouts; /* borrowed for the session's life */
    enum smtp_tls_policy tls;
    const char *ca_file;  /* REQUIRED: PEM bundle, NULL = system store */
    const char *tls_name; /* REQUIRED: name to verify; NULL = target host */
    bool dsn;             /* send RET/ENVID/NOTIFY/ORCPT when DSN offered */
    const char *notify;   /* NOTIFY value; NULL = "SUCCESS,FAILURE,DELAY" */
    smtp_transcript_fn transcript; /* may be NULL */
    void *transcript_arg;
};

struct smtp_session; /* opaque; owned by the caller */

/* Allocate a closed session; o (and what it points to) must outlive it. */
struct smtp_session *smtp_session_init(const struct smtp_opts *o);

/*
 * Try the targets in turn until one gets through connect, greeting, EHLO
 * (HELO fallback) and STARTTLS per policy. A 5xx greeting or EHLO+HELO
 * refusal moves on like a temporary failure; the error of the last target
 * is returned. Returns 0 (session ready for MAIL) or -1 with why.
 */
int smtp_session_open(struct smtp_session *s, const struct dns_targets *t,
                      struct errbuf *why);

/* After open: SMTP_EXT_* bits of the (last) EHLO, 0 after HELO. */
unsigned smtp_session_ext(const struct smtp_session *s);
/* SIZE limit advertised, 0 when none or unlimited. */
unsigned long smtp_session_size_max(const struct smtp_session *s);
/* The last EHLO reply (or HELO), raw text; borrowed until the next call. */
const struct smtp_reply *smtp_session_ehlo(const struct smtp_session *s);
/* The reply to the last command; borrowed until the next call. */
const struct smtp_reply *smtp_session_reply(const struct smtp_session *s);
/* "host[addr]:port" of the connected target, "" when closed. */
const char *smtp_session_peer(const struct smtp_session *s);
/* true once STARTTLS succeeded on this connection. */
bool smtp_session_tls(const struct smtp_session *s);

/*
 * MAIL FROM:<from> with BODY=8BITMIME never (we send 7bit MIME), SIZE=size
 * when offered and size > 0, RET=HDRS ENVID=xtext(envid) when DSN offered,
 * opts->dsn and envid != NULL. A 4xx/5xx reply returns -1 with the reply's
 * class, the connection stays usable (RSET or QUIT next).
 */
int smtp_session_mail(struct smtp_session *s, const char *from,
                      const char *envid, size_t size, struct errbuf *why);

struct smtp_rcpt_result {
    int code;            /* final RCPT reply code */
    char status[12];     /* its enhanced status, or "" */
    bool conneg_sent;    /* the accepted/refused RCPT carried CONNEG */
    bool conneg_refused; /* CONNEG got 504/555/501; re-sent without it:
                            capabilities unknown */
    struct smtp_reply
        reply; /* the RCPT reply that counts: text holds every
                  line (codes stripped) for conneg_caps_from_reply */
};

/*
 * RCPT TO:<addr> [NOTIFY=... ORCPT=rfc822;xtext] [CONNEG]: CONNEG only
 * when want_conneg and EHLO advertised it. On 504/555/501 to a CONNEG RCPT
 * the RCPT is repeated without CONNEG in the same transaction. res is
 * filled in every case a reply arrived. 2xx: 0. 4xx/5xx: -1 with the
 * reply's class; the session stays usable for other recipients.
 */
int smtp_session_rcpt(struct smtp_session *s, const char *addr,
                      bool want_conneg, struct smtp_rcpt_result *res,
                      struct errbuf *why);

/*
 * Body source: copy up to n bytes of the message into buf; return the count,
 * 0 at the end, -1 on error (fill why; the session is then aborted).
 * Lines may end in LF or CRLF: the client sends CRLF and dot-stuffs.
 */
typedef ssize_t (*smtp_body_fn)(void *arg, char *buf, size_t n,
                                struct errbuf *why);

struct smtp_data_result {
    int code; /* reply to ".", 0 when none arrived */
    char status[12];
    bool possible_duplicate; /* no reply to "." (timeout, reset): the peer
                               may have accepted it; RFC 5321 4.5.3.2.6 */
    char text[512];          /* first line of the final reply, raw */
};

/*
 * DATA, the body (each block under SMTP_STEP_BLOCK's timeout), "." (its
 * reply under SMTP_STEP_DOT's). 0 on 2xx to "."; else -1 with why (TEMP
 * for 4xx/timeouts, PERM for 5xx). res is filled in every case.
 */
int smtp_session_data(struct smtp_session *s, smtp_body_fn body, void *arg,
                      struct smtp_data_result *res, struct errbuf *why);
/* The same from a buffer. */
int smtp_session_data_buf(struct smtp_session *s, const char *msg, size_t n,
                          struct smtp_data_result *res, struct errbuf *why);

/* RSET: ends the transaction, the connection stays open. */
int smtp_session_rset(struct smtp_session *s, struct errbuf *why);

/* QUIT (waits for 221 under SMTP_STEP_QUIT) and close; never fails the
 * delivery: errors are only noted in the transcript. */
void smtp_session_quit(struct smtp_session *s);

/* Close without QUIT, free everything. NULL is a no-op. Returns NULL. */
struct smtp_session *smtp_session_free(struct smtp_session *s);

#endif

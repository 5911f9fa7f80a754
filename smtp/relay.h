/*
 * relay - submission of finished messages to a smarthost with libcurl
 *
 * For recipients in relay mode (people's mailboxes): one libcurl handle per
 * relay session, reused for every message of a delivery pass, so messages
 * to the smarthost share a connection. STARTTLS is required by default
 * (CURLUSESSL_ALL), AUTH PLAIN or LOGIN with user and password, or XOAUTH2
 * with a bearer token; the CA file verifies the smarthost. Every reply line
 * (libcurl's header callback) is kept for the outcome and the transcript;
 * commands are not traced because they carry credentials (no VERBOSE).
 * Must not: touch the spool, build MIME, log (outcomes go back in *why).
 * Errors: -1 with why: 5xx PERM; 4xx, refused, timeouts, TLS and AUTH
 * failures TEMP (an AUTH failure is the gateway's problem, not the
 * message's: Postfix's smtp_sasl_auth_soft_bounce). Threads: a relay
 * session belongs to one thread; relay_open() may be called from any.
 * Standards: RFC 5321, RFC 3207 (STARTTLS), RFC 4954 (AUTH), RFC 4616 (PLAIN).
 */
#ifndef IFAXGW_SMTP_RELAY_H
#define IFAXGW_SMTP_RELAY_H

#include <stdbool.h>

#include "conf/config.h"
#include "gateway/util/errbuf.h"
#include "smtp/mime.h"

#define RELAY_REPLY_MAX 512  /* the final reply line kept per message */
#define RELAY_LINE_MAX  2048 /* one reply line (longer ones are cut) */

/* One transcript line, escaped, "< 250 OK" / "* note". */
typedef void (*relay_transcript_fn)(void *arg, const char *line);

struct relay_opts {
    const char *host;      /* smarthost name or address; required */
    int port;              /* 0: 587; 465 means implicit TLS (smtps) */
    const char *helo_name; /* EHLO name; NULL: libcurl's default */
    enum config_tls tls;   /* REQUIRED -> CURLUSESSL_ALL, ... */
    enum config_auth auth;
    const char *user;                     /* AUTH PLAIN/LOGIN/XOAUTH2 user */
    const char *password;                 /* PLAIN/LOGIN */
    const char *bearer;                   /* XOAUTH2 token */
    const char *ca_file;                  /* PEM bundle; NULL: system store */
    const struct smtp_timeouts *timeouts; /* borrowed; required */
    relay_transcript_fn transcript;       /* may be NULL */
    void *transcript_arg;
};

struct relay_result {
    int code;                   /* final reply code, 0 when none arrived */
    char status[12];            /* its enhanced status code, or "" */
    char text[RELAY_REPLY_MAX]; /* the final reply, raw (hostile) */
    bool possible_duplicate;    /* body sent, no reply to "." */
};

struct relay;

/* Fill o from the config's smtp section (smarthost, auth, TLS, CA,
 * timeouts); strings are borrowed from cf. */
void relay_opts_from_config(struct relay_opts *o, const struct config *cf);

/* A session (no connection yet). Caller frees with relay_close(). o and the
 * strings it points to must outlive it. NULL with why on a bad option. */
struct relay *relay_open(const struct relay_opts *o, struct errbuf *why);

/*
 * Send msg (read from its start) from `from` to one recipient. Returns 0
 * when the smarthost accepted it (res->code 2xx), or -1 with why and res.
 */
int relay_send(struct relay *r, const char *from, const char *rcpt,
               struct mime_msg *msg, struct relay_result *res,
               struct errbuf *why);

/* QUIT and free. NULL is a no-op. */
void relay_close(struct relay *r);

#endif

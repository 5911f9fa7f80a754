/*
 * web_auth - who may change things through the web server, and how often
 *
 * Owns the configured token (compared in constant time, never logged), the
 * login sessions (random id in an HttpOnly SameSite=Strict cookie, each with
 * its own CSRF token the page must echo in X-IfaxGW-CSRF), the per-client
 * token buckets of the rate limit, and the job id pattern that keeps URLs
 * inside the spool. Does no I/O; time comes in from the caller.
 * Errors: verdicts and booleans, no errbuf. Threads: any; one mutex inside.
 */
#ifndef IFAXGW_GATEWAY_WEB_WEB_AUTH_H
#define IFAXGW_GATEWAY_WEB_WEB_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEB_AUTH_TOKEN_MAX 256   /* configured token, bytes */
#define WEB_AUTH_SESSIONS  64    /* live sessions; the oldest is evicted */
#define WEB_AUTH_SESSION_S 43200 /* a session lasts 12 hours */
#define WEB_AUTH_ID_HEX    64    /* session id and CSRF token: 32 bytes */
#define WEB_AUTH_CLIENTS   512   /* rate-limit buckets (hashed by address) */
#define WEB_JOB_ID_MAX     64    /* longest job id accepted in a URL */
/* A burst of 30 seconds' worth, at least 5 requests: opening a job in the
 * page costs 3 requests on top of the polling. */
#define WEB_AUTH_BURST(per_min) ((per_min) / 2 > 5 ? (per_min) / 2 : 5)

enum web_auth_verdict {
    WEB_AUTH_OK,      /* bearer token or session + CSRF header matched */
    WEB_AUTH_MISSING, /* no credentials at all: 401 */
    WEB_AUTH_DENIED   /* wrong token, unknown session, CSRF mismatch: 403 */
};

/* What a state-changing request carried; any field may be NULL. */
struct web_auth_request {
    const char *authorization; /* "Authorization" header */
    const char *session;       /* value of the ifaxgw_session cookie */
    const char *csrf;          /* "X-IfaxGW-CSRF" header */
};

struct web_auth;

/* token NULL or "": no action is ever allowed. rate_per_min 0: no limit;
 * otherwise a client's bucket holds WEB_AUTH_BURST(rate_per_min) requests
 * and refills at rate_per_min. Caller frees with web_auth_free(). */
struct web_auth *web_auth_init(const char *token, int rate_per_min);
void web_auth_free(struct web_auth *a);
/* Put a new token in force (SIGHUP). A changed token ends every session:
 * whoever logged in with the old one is out. true when it changed. */
bool web_auth_set_token(struct web_auth *a, const char *token);

/* Constant-time comparison of NUL-terminated strings. */
bool web_auth_equal(const char *a, const char *b);

/* Letters, digits, '_', '-', '.', starting with a letter or digit, at most
 * WEB_JOB_ID_MAX bytes: no '/', no "..", nothing to decode. */
bool web_auth_job_id_ok(const char *id);

/* Check the token and open a session: sid and csrf get WEB_AUTH_ID_HEX hex
 * digits and a NUL. Returns 0, or -1 for a wrong or unconfigured token. */
int web_auth_login(struct web_auth *a, const char *token, int64_t now_s,
                   char sid[WEB_AUTH_ID_HEX + 1],
                   char csrf[WEB_AUTH_ID_HEX + 1]);
/* The CSRF token of a live session (for a page reload); 0 or -1. */
int web_auth_session_csrf(struct web_auth *a, const char *sid, int64_t now_s,
                          char csrf[WEB_AUTH_ID_HEX + 1]);
void web_auth_logout(struct web_auth *a, const char *sid);

enum web_auth_verdict web_auth_check(struct web_auth *a,
                                     const struct web_auth_request *rq,
                                     int64_t now_s);
const char *web_auth_verdict_name(enum web_auth_verdict v);

/* Take one request from client's bucket; false means answer 429. */
bool web_auth_rate_take(struct web_auth *a, const char *client, int64_t now_ms);

#endif

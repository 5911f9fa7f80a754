/*
 * web_api - the JSON API behind the status page
 *
 * Turns one decoded, already admitted request (gateway/web/web.c did the rate
 * limit, body size and authentication) into a reply: status, content type
 * and a body built with jansson, so every string is JSON-escaped. Reaches
 * the queue, lines and scanner only through struct web_sources; opens only
 * t30.log and smtp.log in a job directory that resolves inside the spool.
 * Errors: JSON bodies {"error": "..."} with the HTTP status. Threads: any.
 */
#ifndef IFAXGW_GATEWAY_WEB_WEB_API_H
#define IFAXGW_GATEWAY_WEB_WEB_API_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/util/metrics.h"
#include "gateway/web/web.h"

#define WEB_LOG_MAX  (1024 * 1024) /* transcript bytes served (the tail) */
#define WEB_PAGE_MAX 9999          /* highest page number in a URL */

struct web_reply {
    int status;
    const char *type; /* static string */
    char *body;       /* malloc'ed, caller frees; may be NULL */
    size_t len;
};

struct web_api_env {
    const struct web_sources *src;
    struct metrics *metrics; /* may be NULL */
    const char *spool_real;  /* realpath of the spool, or NULL: no logs */
};

struct web_api_request {
    const char *method; /* "GET", "HEAD", "POST", "DELETE" */
    const char *path;   /* decoded URL path */
    /* Query argument by name, or NULL. */
    const char *(*query)(void *ctx, const char *name);
    void *ctx;
    const char *body; /* NUL-terminated; may be NULL */
    size_t body_len;
    int64_t now_s;
};

/* Answer a path under /api/ (login and sessions are web.c's). */
void web_api_handle(const struct web_api_env *env,
                    const struct web_api_request *rq, struct web_reply *out);
/* The body of GET /api/status (new reference), or NULL with why filled
 * (the queue could not be counted). Also what /api/events pushes. */
json_t *web_api_status_json(const struct web_api_env *env, int64_t now_s,
                            struct errbuf *why);
/* GET /metrics. */
void web_api_metrics(const struct web_api_env *env, int64_t now_s,
                     struct web_reply *out);

/* {"error": text} with status. Both return 0, so handlers can write
 * return web_api_error(...); */
int web_api_error(struct web_reply *out, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* obj serialised compactly; the reference is stolen. */
int web_api_json(struct web_reply *out, int status, json_t *obj);

/* A query value as a strict decimal (at most 12 digits) in [lo, hi]; -1
 * when it is not one. */
long web_api_parse_uint(const char *s, long lo, long hi);

#endif

/*
 * web - the status page, its JSON API and /metrics over HTTP
 *
 * Owns one libmicrohttpd daemon (its own threads), the static page compiled
 * in from gateway/web/web_assets/, login sessions and the rate limit
 * (web_auth).
 * It knows nothing of the queue, lines or scanner: the daemon fills a
 * struct web_sources with handlers (tests fill it with a real queue in a
 * temp spool), so each source arrives through a function pointer plus arg.
 * Must not: write the spool except through those handlers; log the token.
 * Listens on 127.0.0.1 unless configured otherwise. Every request that
 * changes something needs the token (Authorization: Bearer) or a session
 * cookie plus its X-IfaxGW-CSRF header (docs/web-api.md). /api/events
 * pushes the status to every open page (gateway/web/web_events).
 * Errors: web_init() returns NULL with *why filled. Threads: handlers are
 * called from libmicrohttpd's threads, concurrently; they must lock.
 */
#ifndef IFAXGW_GATEWAY_WEB_WEB_H
#define IFAXGW_GATEWAY_WEB_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/util/errbuf.h"
#include "gateway/util/metrics.h"

#define WEB_MAX_BODY_DEFAULT 16384 /* bytes of a request body; more is 413 */
#define WEB_RATE_DEFAULT     600   /* requests/min per client (as conf/) */
#define WEB_NAME_MAX         64    /* line, profile, CSID, caller ID fields */
#define WEB_TEXT_MAX         256   /* free text: error, last result */
#define WEB_LINES_MAX        32    /* lines shown */
#define WEB_LINE_CALLS_MAX   256   /* calls shown under one line (as
                                      conf/'s max_calls bound) */
#define WEB_PROFILES_MAX     16    /* scan profiles offered */
#define WEB_RECIPIENTS_MAX   16    /* recipients of one scan request */
#define WEB_ADDRESS_MAX      254   /* RFC 5321 4.5.3.1.3 path, less <> */
#define WEB_LIST_LIMIT_MAX   500   /* largest page of /api/jobs */
#define WEB_CSV_MAX          100000 /* rows of /api/jobs.csv */
#define WEB_QUERY_MAX        128   /* search text of /api/jobs?q= */
#define WEB_PAGE_FULL_WIDTH  1728  /* ?size=full: a fax line, readable */

/* Return codes of the queue handlers beyond 0 and -1 (-1 fills why). */
#define WEB_NOT_FOUND -2 /* no such job: 404 */
#define WEB_CONFLICT  -3 /* not allowed in the job's state: 409 (why says) */

/* Spool states, as the queue's directories. */
enum web_job_state {
    WEB_JOB_INCOMING,
    WEB_JOB_QUEUE, /* waiting or deferred */
    WEB_JOB_DONE,
    WEB_JOB_FAILED,
    WEB_JOB_STATE_COUNT
};

enum web_line_phase {
    WEB_LINE_DOWN, /* not opened (yet), or given up */
    WEB_LINE_IDLE,
    WEB_LINE_RINGING,
    WEB_LINE_ANSWERING, /* answered, no rate negotiated yet */
    WEB_LINE_TRAINING,  /* the sender's DCS came: its training (TCF) at
                           rate_bps is being checked */
    WEB_LINE_RECEIVING, /* page and rate_bps say where */
    WEB_LINE_ERROR      /* detail says why; the line thread retries */
};

enum web_scan_phase {
    WEB_SCAN_ABSENT, /* no scanner configured or found */
    WEB_SCAN_IDLE,
    WEB_SCAN_SCANNING, /* pages says how many so far */
    WEB_SCAN_ERROR     /* detail says why */
};

/* What /api/jobs?state=&q=&line=&from=&to= asks for. */
struct web_job_filter {
    enum web_job_state state;
    const char *q;    /* NULL/"": any; else a case-insensitive substring of
                         id, CSID, caller ID, called, a recipient address */
    const char *line; /* NULL/"": any; else the line (or scan profile) */
    int64_t from_s;   /* 0: open; else time >= from_s */
    int64_t to_s;     /* 0: open; else time < to_s */
};

struct web_call {
    int64_t time_s; /* start, Unix seconds; 0: no call yet */
    char csid[WEB_NAME_MAX];
    char caller[WEB_NAME_MAX];
    int pages;
    char result[WEB_TEXT_MAX]; /* "ok", or the T.30 outcome */
    char job[WEB_NAME_MAX];    /* the job it became, or "" */
};

struct web_line {
    char name[WEB_NAME_MAX];
    enum web_line_phase phase;
    int page;     /* receiving: page number, from 1 */
    int rate_bps; /* receiving: trained bit rate; training: DCS rate */
    char detail[WEB_TEXT_MAX];
    /* the call in progress (ringing, answering, receiving), else empty/0 */
    char caller_id[WEB_NAME_MAX];
    char called[WEB_NAME_MAX];
    char csid[WEB_NAME_MAX];
    int64_t call_start_ms;    /* wall clock */
    int64_t last_progress_ms; /* last change of phase, page or rate */
    struct web_call last;
    /* A line of many calls at once (AudioSocket): how many it takes;
     * line_calls() lists those in progress. 0: one call at a time. */
    int max_calls;
};

/* One call in progress on a line of many (far-end strings hostile, raw). */
struct web_line_call {
    char id[WEB_NAME_MAX]; /* the call's UUID */
    enum web_line_phase phase; /* answering, training or receiving */
    int page;          /* page in progress, from 1 */
    int bit_rate;      /* trained rate, 0 before */
    int training_rate; /* DCS rate being trained, else 0 */
    char caller[WEB_NAME_MAX];
    char called[WEB_NAME_MAX];
    char csid[WEB_NAME_MAX];
    int64_t start_ms;    /* wall clock */
    int64_t progress_ms; /* last change of page, rate or training */
};

struct web_scanner {
    enum web_scan_phase phase;
    char device[WEB_TEXT_MAX];
    char profile[WEB_NAME_MAX]; /* of the scan in progress or last */
    int pages;
    char job[WEB_NAME_MAX]; /* the last scan's job, or "" */
    char detail[WEB_TEXT_MAX];
    size_t nprofiles;
    char profiles[WEB_PROFILES_MAX][WEB_NAME_MAX];
};

struct web_counts {
    uint64_t jobs[WEB_JOB_STATE_COUNT];
    uint64_t deferred;                     /* of jobs[WEB_JOB_QUEUE] */
    int64_t oldest_s[WEB_JOB_STATE_COUNT]; /* Unix s of the oldest; 0 none */
};

/* What a call-log listing selects; NULL/0: everything. */
struct web_calls_query {
    const char *text;     /* in CSID, caller, called number, job id */
    const char *line;     /* exact line name */
    const char *result;   /* "ok", "partial", "failed", "refused" */
    int64_t since_ms;     /* calls started at or after */
    size_t offset, limit; /* limit 0: all */
};

/*
 * Every handler may be NULL (the API then answers 501 or leaves the part
 * out). Job objects have the shape docs/web-api.md gives ("id", "state",
 * "time", "source", "line", "csid", "caller_id", "pages", "recipients"...);
 * returned json_t references pass to the caller.
 */
struct web_sources {
    void *arg; /* passed to lines, scanner and scan_start */

    /* Fill up to max lines; return how many. */
    size_t (*lines)(void *arg, struct web_line *out, size_t max);
    /* The calls in progress on line i (its index in what lines() filled,
     * a line with max_calls > 0), up to max, oldest first; how many. */
    size_t (*line_calls)(void *arg, size_t i, struct web_line_call *out,
                         size_t max);
    /* Fill *out (phase WEB_SCAN_ABSENT when there is none). */
    void (*scanner)(void *arg, struct web_scanner *out);
    /* Start a scan; 0 when accepted (progress shows in scanner()). */
    int (*scan_start)(void *arg, const char *profile, const char *const *to,
                      size_t nto, struct errbuf *why);

    void *queue_arg; /* passed to the job handlers below */
    int (*counts)(void *arg, struct web_counts *out, struct errbuf *why);
    /* A page of the jobs f matches (f->state is the directory), newest
     * first; *total gets how many match. web_job_matches() decides. */
    int (*list)(void *arg, const struct web_job_filter *f, size_t limit,
                size_t offset, json_t **jobs, size_t *total,
                struct errbuf *why);
    int (*show)(void *arg, const char *id, json_t **job, struct errbuf *why);
    /* The job's directory (for t30.log, smtp.log); must lie in the spool. */
    int (*job_dir)(void *arg, const char *id, char *dir, size_t n,
                   struct errbuf *why);
    /* PNG of page (from 1) at most width pixels wide (0: thumbnail size);
     * *png is malloc'ed, caller frees. */
    int (*thumbnail)(void *arg, const char *id, int page, int width,
                     unsigned char **png, size_t *len, struct errbuf *why);
    /* The whole job as "tif" (pages.tif as stored) or "pdf"; *data is
     * malloc'ed, caller frees. */
    int (*document)(void *arg, const char *id, const char *format,
                    unsigned char **data, size_t *len, struct errbuf *why);
    int (*retry)(void *arg, const char *id, struct errbuf *why);
    int (*remove)(void *arg, const char *id, struct errbuf *why);
    /* A new job with id's pages and call data for to (gateway/intake/submit,
     * with the route's delivery settings for to); its id into new_id
     * (WEB_JOB_ID_MAX bytes). */
    int (*resend)(void *arg, const char *id, const char *to, char *new_id,
                  struct errbuf *why);

    /* /healthz: what the server cannot see itself (delivery not running):
     * append one printable string per problem to the JSON array. */
    void *health_arg;
    void (*health)(void *arg, json_t *problems);
    void *calls_arg; /* passed to the call-log handlers below */
    /* Call summaries matching q, newest first (gateway/web/web_calls.h). */
    int (*calls)(void *arg, const struct web_calls_query *q, json_t **calls,
                 size_t *total, struct errbuf *why);
    /* One call's record; WEB_NOT_FOUND when there is none. */
    int (*call)(void *arg, const char *id, json_t **call, struct errbuf *why);
};

struct web_conf {
    const char *listen; /* IPv4 or IPv6 literal; NULL: "127.0.0.1" */
    int port;           /* 0: any free port (web_port() tells) */
    const char *token;  /* NULL or "": every action is refused */
    size_t max_body;    /* 0: WEB_MAX_BODY_DEFAULT */
    int rate_per_min;   /* requests/min per client (bursts of 30 s' worth);
                           0: WEB_RATE_DEFAULT, negative: no limit */
    const char *spool;  /* job_dir() results must resolve inside it */
    int threads;        /* libmicrohttpd pool; 0: 2 */
};

struct web_server;

/* Start serving. src and metrics (may be NULL) are borrowed until
 * web_free(); cf is copied. Returns NULL with *why on failure. */
struct web_server *web_init(const struct web_conf *cf,
                            const struct web_sources *src, struct metrics *m,
                            struct errbuf *why);
/* The bound TCP port. */
int web_port(const struct web_server *w);
/* A new token in force (SIGHUP); a change ends every session. true when
 * it changed. Listen address and port stay as started. */
bool web_set_token(struct web_server *w, const char *token);
/* Stop (waits for handlers in progress) and free; NULL is a no-op. */
void web_free(struct web_server *w);

const char *web_job_state_name(enum web_job_state st);
/* -1 when the name is none of incoming, queue, done, failed. */
int web_job_state_parse(const char *name);
const char *web_line_phase_name(enum web_line_phase p);
/* Whether job (the API's shape) passes f's search, line and date filters
 * (not its state: that is the directory listed). */
bool web_job_matches(const json_t *job, const struct web_job_filter *f);
const char *web_scan_phase_name(enum web_scan_phase p);

#endif

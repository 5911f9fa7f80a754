/*
 * job - one spooled fax job and its meta.json
 *
 * A struct job is the in-memory form of spool/<state>/<id>/meta.json: the
 * call or scan metadata, the route and the per-recipient delivery state.
 * Fields are read-only to callers: change them through the job_set_*() and
 * job_add_rcpt() setters (inputs, routers) or queue_record() (delivery); the
 * queue writes them back. docs/spool.md lists every meta.json field.
 * Must not: touch the spool's directories (gateway/spool/queue does) or log.
 * Errors: 0 or -1 with *why. Threads: a handle belongs to one thread.
 */
#ifndef IFAXGW_GATEWAY_SPOOL_JOB_H
#define IFAXGW_GATEWAY_SPOOL_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/util/errbuf.h"

#define JOB_ID_MAX    48   /* "20261122T193000.123-1a2b3c4d" and NUL */
#define JOB_RCPT_MAX  64   /* recipients per job */
#define JOB_ADDR_MAX  320  /* RFC 5321 4.5.3.1.3 path 256, with slack */
#define JOB_TEXT_MAX  1024 /* csid, caller, called, route, subject... */
#define JOB_REPLY_MAX 4096 /* stored reply / capability text per rcpt */
#define JOB_META_MAX  (1024 * 1024) /* meta.json bigger than this: broken */
#define JOB_MSGID_MAX (JOB_ID_MAX + 300)

enum job_state {
    JOB_INCOMING, /* being received or scanned; not accepted yet */
    JOB_QUEUED,   /* accepted; recipients pending or deferred */
    JOB_DONE,     /* every recipient delivered */
    JOB_FAILED,   /* every recipient final, at least one failed */
    JOB_STATE_COUNT
};
/* "incoming", "queue", "done", "failed" (the directory names). */
const char *job_state_name(enum job_state s);
/* Inverse of job_state_name(), also accepting "queued"; -1 when unknown. */
int job_state_parse(const char *name);

enum rcpt_state {
    RCPT_PENDING,   /* never tried, or made due by a retry */
    RCPT_DEFERRED,  /* temporary failure; next_try_ms says when */
    RCPT_DELIVERED, /* final: accepted by the remote */
    RCPT_FAILED     /* final: permanent failure or expired */
};
const char *rcpt_state_name(enum rcpt_state s);
int rcpt_state_parse(const char *name);

/* The notice about a recipient's end (failure, or success when the route
 * asks) to the job's notify address. Owed in the same meta.json write that
 * makes the recipient final, so a crash or a notify server that is down
 * loses no notice; retried on the delivery schedule, counted from the
 * moment it became owed. */
enum notice_state {
    NOTICE_NONE,  /* none asked for */
    NOTICE_OWED,  /* to send: notice_next_ms says when */
    NOTICE_SENT,  /* accepted by the notify address's server */
    NOTICE_FAILED /* refused (5xx) or expired: logged, given up */
};
const char *notice_state_name(enum notice_state s); /* none owed sent
                                                       failed */
int notice_state_parse(const char *name);

enum rcpt_mode { RCPT_MODE_DIRECT, RCPT_MODE_RELAY };
const char *rcpt_mode_name(enum rcpt_mode m); /* "direct", "relay" */
int rcpt_mode_parse(const char *name);

enum rcpt_format {
    RCPT_FMT_AUTO, /* direct: CONNEG; relay: pdf */
    RCPT_FMT_PDF,
    RCPT_FMT_TIFF,  /* TIFF-F (MH/MR/MMR as the pages are) */
    RCPT_FMT_TIFF_S /* RFC 3949 profile S only */
};
const char *rcpt_format_name(enum rcpt_format f); /* auto pdf tiff tiff-s */
int rcpt_format_parse(const char *name);

enum rcpt_tls {
    RCPT_TLS_DEFAULT, /* the smtp section's policy */
    RCPT_TLS_NONE,
    RCPT_TLS_OPPORTUNISTIC,
    RCPT_TLS_REQUIRED
};
const char *rcpt_tls_name(enum rcpt_tls t); /* default none opportunistic
                                               required */
int rcpt_tls_parse(const char *name);

/* One recipient; strings owned by the job (NULL when absent). */
struct job_rcpt {
    char *address; /* addr-spec, no angle brackets */
    enum rcpt_mode mode;
    enum rcpt_format format;
    char *host; /* pinned host[:port], or NULL */
    enum rcpt_tls tls;
    bool mdn; /* ask for an RFC 3798 disposition notification */
    /* delivery state, written by queue_record() */
    enum rcpt_state state;
    int attempts;
    int64_t next_try_ms;  /* epoch ms; meaningful when DEFERRED */
    int64_t last_try_ms;  /* epoch ms of the last attempt, 0 = none */
    int64_t delivered_ms; /* epoch ms, 0 = not delivered */
    char *reply;          /* last remote reply or our reason (hostile) */
    char *capability;     /* CONNEG capability text received (hostile) */
    char *profile;        /* profile sent */
    /* its notice (NOTICE_NONE: the rest is unused) */
    enum notice_state notice;
    int notice_attempts;
    int64_t notice_since_ms; /* epoch ms it became owed: expiry base */
    int64_t notice_next_ms;  /* epoch ms of the next try while OWED */
    char *notice_reply;      /* last reply to it or our reason (hostile) */
};

/* What a router or an input gives job_add_rcpt(): only the request. */
struct rcpt_spec {
    const char *address; /* required */
    enum rcpt_mode mode;
    enum rcpt_format format;
    const char *host; /* NULL = resolve by MX */
    enum rcpt_tls tls;
    bool mdn;
};

struct job {
    char id[JOB_ID_MAX];
    enum job_state state; /* directory the job was in when loaded */
    bool meta_ok;         /* false: meta.json unreadable (list only) */
    char *source;         /* "fax", "scan" */
    char *line;           /* line name or scan profile */
    char *csid;           /* remote station id (hostile) */
    char *caller;         /* caller id (hostile) */
    char *called;         /* called number (DNIS) */
    int pages;            /* complete pages in pages.tif */
    bool partial;         /* call ended early; pages so far kept */
    char *partial_reason; /* why partial, or NULL */
    char *failed_reason;  /* why a job without recipients is in failed/
                             (e.g. "no route matched: ..."), or NULL */
    char *note;           /* incoming/ only, in listings and loads: why it
                             is there (not in meta.json), or NULL */
    int64_t created_ms;   /* epoch ms */
    int64_t committed_ms; /* epoch ms, 0 before commit */
    int64_t finished_ms;  /* epoch ms the last recipient or notice was
                             settled (then it moves to done/failed), 0 */
    int64_t retried_ms;   /* epoch ms of the last manual retry, 0; expiry
                             counts from max(created_ms, retried_ms) */
    char *message_id;     /* "<id@host>", fixed at commit */
    char *route;          /* route name chosen at commit */
    char *subject;        /* subject from the route template */
    char *notify;         /* notify address, or NULL */
    json_t *record;       /* call or scan record (object), or NULL; owned */
    json_t *page_quality; /* per-page copy quality (array: page, rows,
                             bad_rows, confirm, poor), or NULL; owned */
    int poor_pages;       /* pages of page_quality marked poor */
    size_t n_rcpt;
    struct job_rcpt *rcpt; /* n_rcpt entries */
    /* private to gateway/spool/queue */
    struct queue *q;
    char *dir;   /* spool/<state>/<id> */
    int lock_fd; /* flock'ed directory fd, -1 */
    bool claimed;
    bool dirty; /* in-memory state newer than meta.json */
};

/* Free a handle (not the files). NULL is a no-op. Returns NULL. A claimed
 * job must go through queue_release() instead. */
struct job *job_free(struct job *j);

/* Path of file inside the job directory into buf; NULL when it does not fit
 * or file contains '/' or is "." or "..". Valid until the job changes state
 * (stable while the caller holds an incoming or claimed handle). */
const char *job_path(const struct job *j, const char *file, char *buf,
                     size_t n);

/* Setters: copy the text (NULL clears); over JOB_TEXT_MAX is -1 ERR_PERM.
 * csid, caller and called are far-end text: stored as UTF-8 by
 * gateway/util/farend's rule (not UTF-8: read as Latin-1). */
int job_set_line(struct job *j, const char *line, struct errbuf *why);
int job_set_csid(struct job *j, const char *csid, struct errbuf *why);
int job_set_caller(struct job *j, const char *caller, struct errbuf *why);
int job_set_called(struct job *j, const char *called, struct errbuf *why);
/* Mark the job partial (pages so far kept) with a reason. */
int job_set_partial(struct job *j, const char *reason, struct errbuf *why);
/* A job no route accepts: committed into failed/ with this reason. */
int job_set_failed(struct job *j, const char *reason, struct errbuf *why);
/* Route name, subject and notify address (each may be NULL). */
int job_set_route(struct job *j, const char *route, const char *subject,
                  const char *notify, struct errbuf *why);
/* Attach the call or scan record (a JSON object, or NULL to drop it).
 * Steals the caller's reference, like json_object_set_new():
 * job_set_record(j, json_pack(...)) is right; keep your own with
 * json_incref() first. */
void job_set_record(struct job *j, json_t *record);
/* Per-page copy quality of a fax (an array, stolen like job_set_record;
 * NULL drops it) and how many of its pages are poor. */
void job_set_quality(struct job *j, json_t *page_quality, int poor_pages);
/* Add a pending recipient; returns its index or -1 (bad address: PERM, over
 * JOB_RCPT_MAX: PERM). */
int job_add_rcpt(struct job *j, const struct rcpt_spec *r, struct errbuf *why);

/* true when recipient i may be tried at now_ms: pending, or deferred with
 * next_try_ms <= now_ms. */
bool job_rcpt_due(const struct job *j, size_t i, int64_t now_ms);
/* true when recipient i's notice is owed and due at now_ms. */
bool job_notice_due(const struct job *j, size_t i, int64_t now_ms);
/* true when a recipient or a notice is due at now_ms. */
bool job_due(const struct job *j, int64_t now_ms);
/* Earliest due time of a non-final recipient or an owed notice: 0 when one
 * is pending now (or there is no recipient yet: routing is due), INT64_MAX
 * when there is nothing left to do. */
int64_t job_next_due_ms(const struct job *j);
/* true when every recipient is delivered or failed and no notice is owed. */
bool job_final(const struct job *j);
/* true when meta.json was read (always true outside queue_list()). */
static inline bool
job_meta_ok(const struct job *j)
{
    return j->meta_ok;
}

/* meta.json <-> struct job. job_to_json returns a new reference; it has no
 * "state": the directory holding the job is its state (callers showing a
 * job add j->state themselves). job_from_json
 * fills a zeroed job (strings copied, bounded by the limits above); a field
 * of the wrong type is ERR_PERM. Both used by the queue, the web and tests. */
json_t *job_to_json(const struct job *j);
int job_from_json(struct job *j, const json_t *meta, struct errbuf *why);

/* Count the complete pages of a TIFF file (a page whose directory and strips
 * lie inside the file); 0 for a missing or empty file; -1 when unreadable. */
int job_count_pages(const char *path, struct errbuf *why);

/* End the TIFF's directory chain after its first `pages` directories: a link
 * to a directory never written (libtiff links before it writes, so a full
 * disk or a crash in between leaves one) makes every reader fail on a file
 * whose complete pages are fine. 0 (also when nothing was to do), or -1. */
int job_seal_pages(const char *path, int pages, struct errbuf *why);

#endif

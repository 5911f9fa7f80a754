/* web_queue - web handlers over the queue; see web_queue.h */
#include "gateway/web/web_queue.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gateway/intake/submit.h"
#include "gateway/page/page.h"
#include "gateway/page/page_file.h"
#include "gateway/util/mstime.h"
#include "gateway/util/xalloc.h"

struct history {
    json_t *jobs;     /* array, newest first; NULL: not built */
    size_t count;     /* queue_counts() when built */
    int64_t built_ms; /* monotonic */
};

struct thumb {
    char id[JOB_ID_MAX];
    int page;
    unsigned char *png;
    size_t len;
};

struct web_queue {
    struct queue *q;
    pthread_mutex_t lock; /* guards hist, thumbs, next_thumb */
    struct history hist[JOB_STATE_COUNT];
    struct thumb thumbs[WEB_QUEUE_THUMBS];
    size_t next_thumb;
};

static json_t *
str_or_empty(const char *s)
{
    return json_string(s ? s : "");
}

static json_t *
rcpt_json(const struct job_rcpt *r)
{
    json_t *o = json_object();

    json_object_set_new(o, "address", str_or_empty(r->address));
    json_object_set_new(o, "mode", json_string(rcpt_mode_name(r->mode)));
    json_object_set_new(o, "format", json_string(rcpt_format_name(r->format)));
    json_object_set_new(o, "state", json_string(rcpt_state_name(r->state)));
    json_object_set_new(o, "attempts", json_integer(r->attempts));
    json_object_set_new(
        o, "next_try",
        json_integer(r->state == RCPT_DEFERRED ? r->next_try_ms / 1000 : 0));
    json_object_set_new(o, "last_try", json_integer(r->last_try_ms / 1000));
    json_object_set_new(o, "delivered", json_integer(r->delivered_ms / 1000));
    json_object_set_new(o, "reply", str_or_empty(r->reply));
    json_object_set_new(o, "profile", str_or_empty(r->profile));
    json_object_set_new(o, "capability", str_or_empty(r->capability));
    json_object_set_new(o, "notice", json_string(notice_state_name(r->notice)));
    json_object_set_new(
        o, "notice_next",
        json_integer(r->notice == NOTICE_OWED ? r->notice_next_ms / 1000 : 0));
    json_object_set_new(o, "notice_reply", str_or_empty(r->notice_reply));
    return o;
}

/* Copy the copy-quality fields (page_quality, poor_pages) and the
 * expected page count the fax path stores in meta.json, when present:
 * taken from job_to_json() so they follow whatever struct job carries. */
static void
quality_json(const struct job *j, json_t *o)
{
    static const char *const keys[] = {"page_quality", "poor_pages",
                                       "pages_expected"};
    json_t *meta = job_to_json(j);

    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(meta, keys[i]);

        if (v != NULL && !json_is_null(v))
            json_object_set(o, keys[i], v);
    }
    if (json_object_get(o, "poor_pages") == NULL)
        json_object_set_new(o, "poor_pages", json_integer(0));
    json_decref(meta);
}

json_t *
web_queue_job_json(const struct job *j)
{
    json_t *o = json_object(), *rc = json_array();

    json_object_set_new(o, "id", json_string(j->id));
    json_object_set_new(o, "state", json_string(job_state_name(j->state)));
    if (j->note != NULL)
        json_object_set_new(o, "note", json_string(j->note));
    if (!j->meta_ok && j->state != JOB_INCOMING) {
        json_object_set_new(o, "broken", json_true());
        json_object_set_new(o, "recipients", rc);
        return o;
    }
    json_object_set_new(o, "source", str_or_empty(j->source));
    json_object_set_new(o, "line", str_or_empty(j->line));
    json_object_set_new(o, "csid", str_or_empty(j->csid));
    json_object_set_new(o, "caller_id", str_or_empty(j->caller));
    json_object_set_new(o, "called", str_or_empty(j->called));
    json_object_set_new(o, "pages", json_integer(j->pages));
    json_object_set_new(o, "partial", json_boolean(j->partial));
    json_object_set_new(o, "partial_reason", str_or_empty(j->partial_reason));
    json_object_set_new(o, "time", json_integer(j->created_ms / 1000));
    json_object_set_new(o, "finished", json_integer(j->finished_ms / 1000));
    json_object_set_new(o, "message_id", str_or_empty(j->message_id));
    json_object_set_new(o, "route", str_or_empty(j->route));
    quality_json(j, o);
    if (j->failed_reason != NULL)
        json_object_set_new(o, "failed_reason", json_string(j->failed_reason));
    for (size_t i = 0; i < j->n_rcpt; i++)
        json_array_append_new(rc, rcpt_json(&j->rcpt[i]));
    json_object_set_new(o, "recipients", rc);
    return o;
}

/* queue_list() walks oldest first; collect then reverse. */
static int
collect(void *arg, const struct job *j)
{
    json_array_append_new(arg, web_queue_job_json(j));
    return 0;
}

static json_t *
walk(struct web_queue *wq, enum job_state st, struct errbuf *why)
{
    json_t *all = json_array(), *rev;
    size_t n;

    if (queue_list(wq->q, st, collect, all, why) != 0) {
        json_decref(all);
        return NULL;
    }
    n = json_array_size(all);
    rev = json_array();
    for (size_t i = n; i > 0; i--)
        json_array_append(rev, json_array_get(all, i - 1));
    json_decref(all);
    return rev;
}

static void
hist_drop(struct web_queue *wq)
{
    pthread_mutex_lock(&wq->lock);
    for (int s = 0; s < JOB_STATE_COUNT; s++) {
        json_decref(wq->hist[s].jobs);
        wq->hist[s].jobs = NULL;
    }
    pthread_mutex_unlock(&wq->lock);
}

/* The jobs of st, newest first (new reference). Caller holds the lock. */
static json_t *
jobs_of(struct web_queue *wq, enum job_state st, struct errbuf *why)
{
    struct history *h = &wq->hist[st];
    struct queue_counts c;

    if (st == JOB_INCOMING || st == JOB_QUEUED)
        return walk(wq, st, why);
    queue_counts(wq->q, mstime_wall(), &c);
    if (h->jobs == NULL || h->count != c.n[st] ||
        mstime_mono() - h->built_ms > WEB_QUEUE_CACHE_S * 1000) {
        json_decref(h->jobs);
        h->jobs = walk(wq, st, why);
        h->count = c.n[st];
        h->built_ms = mstime_mono();
        if (h->jobs == NULL)
            return NULL;
    }
    json_incref(h->jobs);
    return h->jobs;
}

static int
wq_list(void *arg, const struct web_job_filter *f, size_t limit,
        size_t offset, json_t **jobs, size_t *total, struct errbuf *why)
{
    struct web_queue *wq = arg;
    json_t *all, *j;
    size_t i, seen = 0;

    pthread_mutex_lock(&wq->lock);
    all = jobs_of(wq, (enum job_state)f->state, why);
    pthread_mutex_unlock(&wq->lock);
    if (all == NULL)
        return -1;
    *jobs = json_array();
    json_array_foreach(all, i, j)
    {
        if (!web_job_matches(j, f))
            continue;
        if (seen >= offset && seen < offset + limit)
            json_array_append_new(*jobs, json_deep_copy(j));
        seen++;
    }
    *total = seen;
    json_decref(all);
    return 0;
}

static int
wq_counts(void *arg, struct web_counts *out, struct errbuf *why)
{
    struct web_queue *wq = arg;
    struct queue_counts c;
    json_t *queued, *j;
    size_t i;

    memset(out, 0, sizeof *out);
    queue_counts(wq->q, mstime_wall(), &c);
    for (int s = 0; s < JOB_STATE_COUNT; s++)
        out->jobs[s] = c.n[s];
    pthread_mutex_lock(&wq->lock);
    for (int s = 0; s < JOB_STATE_COUNT; s++) {
        json_t *all = jobs_of(wq, (enum job_state)s, why);
        size_t n = all ? json_array_size(all) : 0;

        if (n > 0)
            out->oldest_s[s] = json_integer_value(
                json_object_get(json_array_get(all, n - 1), "time"));
        if (s == JOB_QUEUED && all != NULL) {
            queued = all;
            json_array_foreach(queued, i, j)
            {
                json_t *r;
                size_t k;

                json_array_foreach(json_object_get(j, "recipients"), k, r)
                {
                    /* waiting for a retry: of the fax, or of its notice */
                    if (strcmp(json_string_value(json_object_get(r, "state")),
                               "deferred") == 0 ||
                        strcmp(json_string_value(json_object_get(r, "notice")),
                               "owed") == 0) {
                        out->deferred++;
                        break;
                    }
                }
            }
        }
        json_decref(all);
    }
    pthread_mutex_unlock(&wq->lock);
    return 0;
}

/* queue_load() reports every failure as PERM; "no such job" is a 404. */
static struct job *
load(struct web_queue *wq, const char *id, int *rc, struct errbuf *why)
{
    struct job *j = queue_load(wq->q, id, why);

    if (j == NULL)
        *rc = strncmp(why->text, "no such job", 11) == 0 ||
                      strcmp(why->text, "not a job id") == 0
                  ? WEB_NOT_FOUND
                  : -1;
    return j;
}

/* A job whose meta.json cannot be read, as the listing shows it; NULL
 * when no state lists it. */
static json_t *
broken_json(struct web_queue *wq, const char *id)
{
    json_t *found = NULL;
    struct errbuf lw;

    pthread_mutex_lock(&wq->lock);
    for (int s = 0; s < JOB_STATE_COUNT && found == NULL; s++) {
        json_t *all = jobs_of(wq, (enum job_state)s, &lw), *j;
        size_t i;

        json_array_foreach(all, i, j)
        {
            const char *jid = json_string_value(json_object_get(j, "id"));

            if (jid != NULL && strcmp(jid, id) == 0) {
                found = json_deep_copy(j);
                break;
            }
        }
        json_decref(all);
    }
    pthread_mutex_unlock(&wq->lock);
    return found;
}

static int
wq_show(void *arg, const char *id, json_t **job, struct errbuf *why)
{
    int rc = 0;
    struct job *j = load(arg, id, &rc, why);

    if (j == NULL && rc == -1 && (*job = broken_json(arg, id)) != NULL)
        return 0; /* listed as broken: show it so it can be deleted */
    if (j == NULL)
        return rc;
    *job = web_queue_job_json(j);
    job_free(j);
    return 0;
}

static int
wq_job_dir(void *arg, const char *id, char *dir, size_t n, struct errbuf *why)
{
    int rc = 0;
    struct job *j = load(arg, id, &rc, why);
    char *slash;

    if (j == NULL)
        return rc;
    if (job_path(j, "meta.json", dir, n) == NULL) {
        job_free(j);
        return errbuf_set(why, ERR_PERM, "", "job path too long");
    }
    job_free(j);
    if ((slash = strrchr(dir, '/')) != NULL)
        *slash = '\0';
    return 0;
}

static bool
thumb_cached(struct web_queue *wq, const char *id, int page,
             unsigned char **png, size_t *len)
{
    bool hit = false;

    pthread_mutex_lock(&wq->lock);
    for (size_t i = 0; i < WEB_QUEUE_THUMBS && !hit; i++) {
        struct thumb *t = &wq->thumbs[i];

        if (t->png != NULL && t->page == page && strcmp(t->id, id) == 0) {
            *png = xmalloc(t->len);
            memcpy(*png, t->png, t->len);
            *len = t->len;
            hit = true;
        }
    }
    pthread_mutex_unlock(&wq->lock);
    return hit;
}

static void
thumb_keep(struct web_queue *wq, const char *id, int page,
           const unsigned char *png, size_t len)
{
    struct thumb *t;

    pthread_mutex_lock(&wq->lock);
    t = &wq->thumbs[wq->next_thumb++ % WEB_QUEUE_THUMBS];
    free(t->png);
    snprintf(t->id, sizeof t->id, "%s", id);
    t->page = page;
    t->png = xmalloc(len);
    memcpy(t->png, png, len);
    t->len = len;
    pthread_mutex_unlock(&wq->lock);
}

/* pages.tif of a job that has pages; 0, or a handler code. */
static int
pages_path(struct web_queue *wq, const char *id, int page, char *src, size_t n,
           struct errbuf *why)
{
    int rc = 0;
    struct job *j = load(wq, id, &rc, why);

    if (j == NULL)
        return rc;
    if (page > j->pages || j->pages < 1 ||
        job_path(j, "pages.tif", src, n) == NULL) {
        job_free(j);
        return WEB_NOT_FOUND;
    }
    job_free(j);
    return 0;
}

/* Thumbnails are kept (a list shows many, often); full-size pages, large
 * and looked at one by one, are made on request. */
static int
wq_thumbnail(void *arg, const char *id, int page, int width,
             unsigned char **png, size_t *len, struct errbuf *why)
{
    struct web_queue *wq = arg;
    char src[4096];
    struct page_doc *doc = NULL;
    bool thumb = width <= 0;
    int rc;

    if (thumb && thumb_cached(wq, id, page, png, len))
        return 0;
    if ((rc = pages_path(wq, id, page, src, sizeof src, why)) != 0)
        return rc;
    if (page_doc_load(src, &doc, why) != 0)
        return -1;
    rc = page_thumbnail_png_mem(doc, page - 1,
                                thumb ? WEB_QUEUE_THUMB_WIDTH : width, png,
                                len, why);
    page_doc_free(doc);
    if (rc != 0)
        return -1;
    if (thumb)
        thumb_keep(wq, id, page, *png, *len);
    return 0;
}

/* The whole job: pages.tif as stored, or a PDF made from it in memory. */
static int
wq_document(void *arg, const char *id, const char *format,
            unsigned char **data, size_t *len, struct errbuf *why)
{
    struct web_queue *wq = arg;
    char src[4096];
    struct page_doc *doc = NULL;
    int rc;

    if (strcmp(format, "tif") != 0 && strcmp(format, "pdf") != 0)
        return WEB_NOT_FOUND;
    if ((rc = pages_path(wq, id, 1, src, sizeof src, why)) != 0)
        return rc;
    if (strcmp(format, "tif") == 0) {
        struct page_buf b = {0};

        if (page_file_read(src, WEB_QUEUE_DOC_MAX, &b, why) != 0)
            return -1;
        *data = b.p;
        *len = b.len;
        return 0;
    }
    if (page_doc_load(src, &doc, why) != 0)
        return -1;
    rc = page_doc_pdf_mem(doc, data, len, why);
    page_doc_free(doc);
    return rc;
}

/* queue_retry/delete say "busy" for a job being delivered: 409. */
static int
action_rc(int rc, const struct errbuf *why)
{
    if (rc == 0)
        return 0;
    if (strstr(why->text, "no such job") != NULL)
        return WEB_NOT_FOUND;
    if (why->cls == ERR_TEMP || strstr(why->text, "cannot") != NULL)
        return WEB_CONFLICT;
    return -1;
}

static int
wq_retry(void *arg, const char *id, struct errbuf *why)
{
    struct web_queue *wq = arg;
    int rc = 0;
    struct job *j = load(wq, id, &rc, why);

    if (j == NULL)
        return rc;
    rc = j->state == JOB_FAILED || j->state == JOB_QUEUED;
    job_free(j);
    if (!rc) {
        errbuf_set(why, ERR_PERM, "", "only failed or queued jobs retry");
        return WEB_CONFLICT;
    }
    rc = action_rc(queue_retry(wq->q, id, mstime_wall(), why), why);
    hist_drop(wq);
    return rc;
}

static int
wq_remove(void *arg, const char *id, struct errbuf *why)
{
    struct web_queue *wq = arg;
    int rc = 0;
    struct job *j = load(wq, id, &rc, why);

    /* an unreadable meta.json does not stop a delete: it is the way out */
    if (j == NULL && rc != -1)
        return rc;
    job_free(j);
    errbuf_clear(why);
    rc = action_rc(queue_delete(wq->q, id, why), why);
    hist_drop(wq);
    return rc;
}

/* A new job with the same pages and call data for one recipient, through
 * the submit path (the route's delivery settings for the address). */
static int
wq_resend(void *arg, const char *id, const char *to, char *new_id,
          struct errbuf *why)
{
    struct web_queue *wq = arg;
    struct submit_req req = {.to = {to}};
    char from[4096];
    struct job *j;
    int rc = 0;

    if ((j = load(wq, id, &rc, why)) == NULL)
        return rc;
    if (job_path(j, "pages.tif", from, sizeof from) == NULL) {
        job_free(j);
        return errbuf_set(why, ERR_PERM, NULL, "job path too long");
    }
    req.source = j->source ? j->source : "fax";
    req.line = j->line;
    req.caller = j->caller;
    req.called = j->called;
    req.csid = j->csid;
    req.partial_reason = j->partial ? j->partial_reason : NULL;
    req.pages_from = from;
    req.like = j;
    req.record = j->record ? json_deep_copy(j->record) : json_object();
    if (json_is_object(req.record))
        json_object_set_new(req.record, "resent_from", json_string(j->id));
    rc = submit_commit(wq->q, &req, new_id, NULL, why);
    job_free(j);
    hist_drop(wq);
    return rc;
}

struct web_queue *
web_queue_init(struct queue *q, struct errbuf *why)
{
    struct web_queue *wq = xcalloc(1, sizeof *wq);

    (void)why; /* nothing can fail now that thumbnails stay in memory */
    wq->q = q;
    pthread_mutex_init(&wq->lock, NULL);
    return wq;
}

void
web_queue_free(struct web_queue *wq)
{
    if (wq == NULL)
        return;
    hist_drop(wq);
    for (size_t i = 0; i < WEB_QUEUE_THUMBS; i++)
        free(wq->thumbs[i].png);
    pthread_mutex_destroy(&wq->lock);
    free(wq);
}

void
web_queue_sources(struct web_queue *wq, struct web_sources *src)
{
    src->queue_arg = wq;
    src->counts = wq_counts;
    src->list = wq_list;
    src->show = wq_show;
    src->job_dir = wq_job_dir;
    src->thumbnail = wq_thumbnail;
    src->document = wq_document;
    src->retry = wq_retry;
    src->remove = wq_remove;
    src->resend = wq_resend;
}

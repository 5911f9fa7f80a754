/*
 * web_testsrv - runs gateway/web on a temp spool for the API, browser and
 * bench tests.
 *
 *   web_testsrv mkjobs SPOOL STATE N [CSID [AGE]]
 *                          make N jobs in SPOOL/STATE, the newest AGE s old
 *                          (STATE "poor": delivered, partial, a poor page)
 *   web_testsrv serve SPOOL [--token T] [--rate PER_MIN] [--max-body N]
 *                           [--threads N] [--scanner 0 (none)]
 *                                             prints "port=N", serves until
 *                                             SIGTERM or SIGINT
 *
 *   web_testsrv mkq SPOOL STATE N [CSID]      N jobs through the real queue
 *                                             (pages.tif from gateway/page),
 *                                             settled to STATE
 *   kill -USR1 (serve --queue 1)             the oldest due job's next
 *                                             attempt fails
 *   kill -USR2 (serve --queue 1)             claim the oldest due job and
 *                                             hold it (being delivered);
 *                                             again: release it
 *   serve ... --queue 1                       jobs from the real queue via
 *                                             gateway/web/web_queue
 *
 * Without --queue the job handlers are an in-test provider over job
 * directories whose meta.json is already in the API's shape (fast to make
 * by the thousand for the benchmark), thumbnails drawn by cairo. Lines
 * (fax0 idle, fax1 in a call, pbx an AudioSocket line with two calls) and
 * the scanner are always simulated (a scan in --queue mode commits a real
 * job). The web module itself is the real code in both modes. The call
 * log is always the real one (gateway/intake/calllog over SPOOL/calls/).
 */
#define _DEFAULT_SOURCE /* mkdtemp-free dirent d_type, realpath */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cairo.h>
#include <jansson.h>

#include "gateway/page/page.h"
#include "gateway/spool/job.h"
#include "gateway/spool/queue.h"
#include "gateway/util/errbuf.h"
#include "gateway/util/metrics.h"
#include "gateway/util/mstime.h"
#include "gateway/util/xalloc.h"
#include "gateway/web/web.h"
#include "gateway/web/web_auth.h"
#include "gateway/web/web_calls.h"
#include "gateway/web/web_queue.h"

struct tjob {
    char id[WEB_JOB_ID_MAX + 1];
    enum web_job_state state;
    int64_t time_s;
    json_t *meta;
};

struct provider {
    pthread_mutex_t lock;
    char *spool;
    struct tjob *jobs; /* newest first */
    size_t n, cap;
    unsigned seq;
    /* simulated scanner */
    int64_t scan_started_ms;
    char scan_profile[WEB_NAME_MAX];
    json_t *scan_to;
    char scan_job[WEB_NAME_MAX];
    struct metrics *metrics;
    struct queue *q; /* --queue: the real queue takes the jobs */
};

static const int retry_s[] = {60, 300};
static const struct queue_policy policy = {retry_s, 2, 4 * 86400, 30 * 86400};

/* Write a pages.tif of n fax pages (1728 x 400 at 204x196, MMR). */
static int
write_pages(const char *path, int n, struct errbuf *why)
{
    const int w = 1728, h = 400;
    const size_t stride = (w + 7) / 8;
    unsigned char *bits = xcalloc((size_t)h, stride);
    struct page_doc *doc = page_doc_new();
    struct page_format fmt = {PAGE_CODING_MMR, 204,  196, 1728,
                              PAGE_PAPER_A4,   false};
    int rc = 0;

    for (int y = 40; y < h - 40; y++)
        if ((y / 8) % 2 == 0)
            for (int x = 100; x < 100 + 4 * (y % 300); x++)
                bits[(size_t)y * stride + (size_t)x / 8] |=
                    (unsigned char)(0x80 >> (x % 8));
    for (int i = 0; i < n && rc == 0; i++)
        rc = page_doc_add(doc, bits, w, h, stride, 204, 196, why);
    if (rc == 0)
        rc = page_doc_write_tiff(doc, &fmt, path, why);
    page_doc_free(doc);
    free(bits);
    return rc;
}

static int
write_job_file(const struct job *j, const char *name, const char *text)
{
    char path[4096];
    FILE *f;

    if (job_path(j, name, path, sizeof path) == NULL ||
        (f = fopen(path, "w")) == NULL)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* Commit a job through the real queue. to: NULL-terminated. */
static int
queue_make(struct queue *q, const char *source, const char *line,
           const char *csid, const char *const *to, int pages,
           const char *partial, struct errbuf *why)
{
    struct job *j = queue_create(q, source, why);
    char path[4096];

    if (j == NULL)
        return -1;
    for (; *to; to++) {
        struct rcpt_spec r = {*to,  RCPT_MODE_DIRECT, RCPT_FMT_AUTO,
                              NULL, RCPT_TLS_DEFAULT, false};

        if (job_add_rcpt(j, &r, why) < 0)
            goto fail;
    }
    if (job_path(j, "pages.tif", path, sizeof path) == NULL ||
        write_pages(path, pages, why) != 0 || job_set_line(j, line, why) ||
        job_set_csid(j, csid, why) ||
        (partial != NULL && job_set_partial(j, partial, why)) ||
        job_set_caller(j, strcmp(source, "fax") ? NULL : "+49301234567", why) ||
        write_job_file(j, "t30.log",
                       "T.30 rx: DIS -> DCS 14400 V.17 MMR fine\n"
                       "page 1 MCF\npage 2 MCF\ncall ok\n") != 0 ||
        queue_commit(q, j, why) != 0)
        goto fail;
    job_free(j);
    return 0;
fail:
    (void)queue_abort(q, j, NULL);
    job_free(j);
    return -1;
}

/* Settle the job just committed: claim it and record one outcome. */
static int
queue_settle(struct queue *q, enum rcpt_result res, bool notify, long i,
             struct errbuf *why)
{
    struct job *j = queue_claim(q, mstime_wall(), why);
    char reply[128];
    struct rcpt_outcome o = {.result = res,
                             .reply = reply,
                             .now_ms = mstime_wall(),
                             .notify_failure = notify};

    if (j == NULL)
        return errbuf_set(why, ERR_TEMP, "", "nothing to claim");
    if (res == RCPT_RESULT_DELIVERED) {
        snprintf(reply, sizeof reply, "250 2.0.0 Ok: queued as %06lX", i);
        o.profile = "F";
    } else if (res == RCPT_RESULT_FAILED) {
        snprintf(reply, sizeof reply,
                 "550 5.1.1 <ifax@device.test>: no such mailbox");
    } else {
        snprintf(reply, sizeof reply, "451 4.3.0 try again later");
    }
    write_job_file(j, "smtp.log",
                   res == RCPT_RESULT_DELIVERED
                       ? "> RCPT TO:<ifax@device.test> CONNEG\n< 250 2.1.5 "
                         "Ok\n> DATA\n< 250 2.0.0 Ok\n"
                       : "> RCPT TO:<ifax@device.test>\n< 451 4.3.0 later\n");
    if (queue_record(q, j, 0, &o, why) != 0) {
        queue_release(q, j, NULL);
        return -1;
    }
    return queue_release(q, j, why);
}

static struct queue *
queue_up(const char *spool)
{
    struct queue_opts o = {&policy, true, "web.test", NULL, NULL, NULL, NULL};
    struct errbuf why;
    struct queue *q;

    errbuf_clear(&why);
    if ((q = queue_open(spool, &o, &why)) == NULL)
        fprintf(stderr, "web_testsrv: queue %s: %s\n", spool, why.text);
    return q;
}

/* mkq SPOOL STATE N [CSID]: N jobs made and settled through the queue.
 * STATE "notice": failed with a failure notice owed (the job stays queued);
 * "partial": delivered, but the call ended early (a partial fax).
 * Settling claims the oldest due job: make pending ("queue") jobs last. */
static int
mkq(const char *spool, const char *state, long n, const char *csid)
{
    static const char *const to[] = {"ifax@device.test", NULL};
    struct queue *q = queue_up(spool);
    struct errbuf why;
    bool notice = strcmp(state, "notice") == 0;
    bool partial = strcmp(state, "partial") == 0;
    int st = notice    ? JOB_FAILED
             : partial ? JOB_DONE
                       : job_state_parse(state);

    if (q == NULL || st < 0)
        return 1;
    errbuf_clear(&why);
    for (long i = 0; i < n; i++) {
        if (queue_make(q, "fax", "fax0", csid ? csid : "+49 30 1234567", to, 2,
                       partial ? "the sender hung up during page 3" : NULL,
                       &why) != 0 ||
            (st == JOB_DONE &&
             queue_settle(q, RCPT_RESULT_DELIVERED, false, i, &why) != 0) ||
            (st == JOB_FAILED &&
             queue_settle(q, RCPT_RESULT_FAILED, notice, i, &why) != 0)) {
            fprintf(stderr, "web_testsrv: mkq: %s\n", why.text);
            queue_close(q);
            return 1;
        }
    }
    queue_close(q);
    return 0;
}

static int
write_file(const char *dir, const char *name, const char *text)
{
    char tmp[4096], path[4096];
    FILE *f;

    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if ((f = fopen(tmp, "w")) == NULL)
        return -1;
    fputs(text, f);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

static int
write_meta(const char *dir, json_t *meta)
{
    char *s = json_dumps(meta, JSON_INDENT(1));
    int rc = write_file(dir, "meta.json", s);

    free(s);
    return rc;
}

static void
job_dir_of(const struct provider *p, const struct tjob *j, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s/%s", p->spool, web_job_state_name(j->state), j->id);
}

/* Insert keeping newest first. Caller holds the lock (or is alone). */
static void
index_add(struct provider *p, const char *id, enum web_job_state st,
          json_t *meta)
{
    int64_t t = json_integer_value(json_object_get(meta, "time"));
    size_t i;

    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 256;
        p->jobs = xrealloc(p->jobs, p->cap * sizeof *p->jobs);
    }
    for (i = p->n; i > 0 && p->jobs[i - 1].time_s < t; i--)
        ;
    memmove(&p->jobs[i + 1], &p->jobs[i], (p->n - i) * sizeof *p->jobs);
    snprintf(p->jobs[i].id, sizeof p->jobs[i].id, "%s", id);
    p->jobs[i].state = st;
    p->jobs[i].time_s = t;
    p->jobs[i].meta = meta;
    p->n++;
}

static struct tjob *
index_find(struct provider *p, const char *id)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->jobs[i].id, id) == 0)
            return &p->jobs[i];
    return NULL;
}

static int
cmp_time_desc(const void *a, const void *b)
{
    const struct tjob *x = a, *y = b;

    return (x->time_s < y->time_s) - (x->time_s > y->time_s);
}

static void
index_load(struct provider *p)
{
    for (int st = 0; st < WEB_JOB_STATE_COUNT; st++) {
        char dir[4096], path[4200];
        DIR *d;
        struct dirent *e;

        snprintf(dir, sizeof dir, "%s/%s", p->spool, web_job_state_name(st));
        mkdir(dir, 0755);
        if ((d = opendir(dir)) == NULL)
            continue;
        while ((e = readdir(d)) != NULL) {
            json_t *meta;

            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s/meta.json", dir, e->d_name);
            if ((meta = json_load_file(path, 0, NULL)) == NULL)
                continue;
            if (p->n == p->cap) {
                p->cap = p->cap ? 2 * p->cap : 256;
                p->jobs = xrealloc(p->jobs, p->cap * sizeof *p->jobs);
            }
            snprintf(p->jobs[p->n].id, sizeof p->jobs[p->n].id, "%s",
                     e->d_name);
            p->jobs[p->n].state = st;
            p->jobs[p->n].time_s =
                json_integer_value(json_object_get(meta, "time"));
            p->jobs[p->n].meta = meta;
            p->n++;
        }
        closedir(d);
    }
    qsort(p->jobs, p->n, sizeof *p->jobs, cmp_time_desc);
}

static json_t *
job_json(const struct tjob *j)
{
    json_t *o = json_deep_copy(j->meta);

    json_object_set_new(o, "id", json_string(j->id));
    json_object_set_new(o, "state", json_string(web_job_state_name(j->state)));
    return o;
}

/* --- job handlers ---------------------------------------------------- */

static int
tp_counts(void *arg, struct web_counts *c, struct errbuf *why)
{
    struct provider *p = arg;

    (void)why;
    memset(c, 0, sizeof *c);
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n; i++) {
        const struct tjob *j = &p->jobs[i];
        json_t *r;
        size_t k;

        c->jobs[j->state]++;
        c->oldest_s[j->state] = j->time_s; /* newest first: last is oldest */
        if (j->state != WEB_JOB_QUEUE)
            continue;
        json_array_foreach(json_object_get(j->meta, "recipients"), k, r)
        {
            if (strcmp(json_string_value(json_object_get(r, "state")) ?: "",
                       "deferred") == 0) {
                c->deferred++;
                break;
            }
        }
    }
    pthread_mutex_unlock(&p->lock);
    return 0;
}

static int
tp_list(void *arg, const struct web_job_filter *f, size_t limit,
        size_t offset, json_t **jobs, size_t *total, struct errbuf *why)
{
    struct provider *p = arg;
    size_t seen = 0;

    (void)why;
    *jobs = json_array();
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n; i++) {
        json_t *j;

        if (p->jobs[i].state != f->state)
            continue;
        j = job_json(&p->jobs[i]);
        if (!web_job_matches(j, f)) {
            json_decref(j);
            continue;
        }
        if (seen >= offset && seen < offset + limit)
            json_array_append_new(*jobs, j);
        else
            json_decref(j);
        seen++;
    }
    pthread_mutex_unlock(&p->lock);
    *total = seen;
    return 0;
}

static int
tp_show(void *arg, const char *id, json_t **job, struct errbuf *why)
{
    struct provider *p = arg;
    struct tjob *j;

    (void)why;
    pthread_mutex_lock(&p->lock);
    j = index_find(p, id);
    *job = j ? job_json(j) : NULL;
    pthread_mutex_unlock(&p->lock);
    return j ? 0 : WEB_NOT_FOUND;
}

static int
tp_job_dir(void *arg, const char *id, char *dir, size_t n, struct errbuf *why)
{
    struct provider *p = arg;
    struct tjob *j;

    (void)why;
    pthread_mutex_lock(&p->lock);
    j = index_find(p, id);
    if (j != NULL)
        job_dir_of(p, j, dir, n);
    pthread_mutex_unlock(&p->lock);
    return j ? 0 : WEB_NOT_FOUND;
}

struct pngbuf {
    unsigned char *b;
    size_t len, cap;
};

static cairo_status_t
png_write(void *closure, const unsigned char *data, unsigned int len)
{
    struct pngbuf *pb = closure;

    if (pb->len + len > pb->cap) {
        pb->cap = 2 * (pb->len + len);
        pb->b = xrealloc(pb->b, pb->cap);
    }
    memcpy(pb->b + pb->len, data, len);
    pb->len += len;
    return CAIRO_STATUS_SUCCESS;
}

/* A fax-like page: a heading, text bars and the page number. */
static int
tp_thumbnail(void *arg, const char *id, int page, int width,
             unsigned char **png, size_t *len, struct errbuf *why)
{
    struct provider *p = arg;
    struct tjob *j;
    int pages;
    cairo_surface_t *s;
    cairo_t *cr;
    struct pngbuf pb = {0};

    pthread_mutex_lock(&p->lock);
    j = index_find(p, id);
    pages = j ? (int)json_integer_value(json_object_get(j->meta, "pages")) : 0;
    pthread_mutex_unlock(&p->lock);
    (void)width; /* the drawing is thumbnail-sized at any width */
    if (j == NULL)
        return WEB_NOT_FOUND;
    if (page > pages)
        return errbuf_set(why, ERR_PERM, "", "no page %d", page), WEB_NOT_FOUND;
    s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 172, 243);
    cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, 16, 16, 90, 10);
    cairo_fill(cr);
    for (int y = 40; y < 200; y += 9) {
        cairo_rectangle(cr, 16, y, 60 + (y * 7) % 80, 3);
        cairo_fill(cr);
    }
    /* page number as dots: text would pull in fontconfig, whose caches
     * LeakSanitizer reports */
    for (int k = 0; k < page && k < 20; k++) {
        cairo_rectangle(cr, 16 + 8 * k, 222, 5, 5);
        cairo_fill(cr);
    }
    cairo_destroy(cr);
    cairo_surface_write_to_png_stream(s, png_write, &pb);
    cairo_surface_destroy(s);
    *png = pb.b;
    *len = pb.len;
    return 0;
}

/* Move j to state st on disk and in the index. Caller holds the lock. */
static int
move_job(struct provider *p, struct tjob *j, enum web_job_state st,
         struct errbuf *why)
{
    char from[4096], to[4096];

    job_dir_of(p, j, from, sizeof from);
    snprintf(to, sizeof to, "%s/%s/%s", p->spool, web_job_state_name(st),
             j->id);
    if (rename(from, to) != 0)
        return errbuf_errno(why, "rename %s", j->id);
    j->state = st;
    return write_meta(to, j->meta);
}

static int
tp_retry(void *arg, const char *id, struct errbuf *why)
{
    struct provider *p = arg;
    struct tjob *j;
    json_t *r;
    size_t k;
    int rc;

    pthread_mutex_lock(&p->lock);
    j = index_find(p, id);
    if (j == NULL) {
        rc = WEB_NOT_FOUND;
    } else if (j->state != WEB_JOB_FAILED && j->state != WEB_JOB_QUEUE) {
        errbuf_set(why, ERR_PERM, "", "only failed or queued jobs retry");
        rc = WEB_CONFLICT;
    } else {
        json_array_foreach(json_object_get(j->meta, "recipients"), k, r)
        {
            const char *s = json_string_value(json_object_get(r, "state"));

            if (s && strcmp(s, "delivered") != 0) {
                json_object_set_new(r, "state", json_string("pending"));
                json_object_set_new(r, "next_try", json_integer(0));
            }
        }
        rc = move_job(p, j, WEB_JOB_QUEUE, why);
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

static int
rm_job_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4200];

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    return rmdir(dir);
}

static int
tp_remove(void *arg, const char *id, struct errbuf *why)
{
    struct provider *p = arg;
    struct tjob *j;
    char dir[4096];
    int rc = WEB_NOT_FOUND;

    pthread_mutex_lock(&p->lock);
    j = index_find(p, id);
    if (j != NULL) {
        job_dir_of(p, j, dir, sizeof dir);
        rc = rm_job_dir(dir) == 0 ? 0 : errbuf_errno(why, "remove %s", id);
        json_decref(j->meta);
        p->n--;
        memmove(j, j + 1, (size_t)(&p->jobs[p->n] - j) * sizeof *j);
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

/* A new queued job from meta (stolen). Caller holds the lock. */
static int
add_job(struct provider *p, json_t *meta, char *id_out, size_t n,
        struct errbuf *why)
{
    char id[WEB_JOB_ID_MAX + 1], dir[4096];
    int64_t ms = mstime_wall();

    snprintf(id, sizeof id, "%lld.%03d-%04x", (long long)(ms / 1000),
             (int)(ms % 1000), ++p->seq & 0xffff);
    snprintf(dir, sizeof dir, "%s/queue/%s", p->spool, id);
    if (mkdir(dir, 0755) != 0) {
        json_decref(meta);
        return errbuf_errno(why, "mkdir %s", id);
    }
    json_object_set_new(meta, "time", json_integer(ms / 1000));
    write_meta(dir, meta);
    index_add(p, id, WEB_JOB_QUEUE, meta);
    if (id_out != NULL)
        snprintf(id_out, n, "%s", id);
    return 0;
}

static json_t *
rcpt_new(const char *to)
{
    return json_pack("{s:s,s:s,s:s,s:i,s:i,s:s,s:s}", "address", to, "mode",
                     "direct", "state", "pending", "attempts", 0, "next_try", 0,
                     "reply", "", "profile", "");
}

static int
tp_resend(void *arg, const char *id, const char *to, char *new_id,
          struct errbuf *why)
{
    struct provider *p = arg;
    struct tjob *j;
    json_t *meta;
    int rc;

    pthread_mutex_lock(&p->lock);
    j = index_find(p, id);
    if (j == NULL) {
        pthread_mutex_unlock(&p->lock);
        return WEB_NOT_FOUND;
    }
    meta = json_deep_copy(j->meta);
    json_object_set_new(meta, "recipients", json_pack("[o]", rcpt_new(to)));
    json_object_set_new(meta, "resent_from", json_string(id));
    rc = add_job(p, meta, new_id, WEB_JOB_ID_MAX, why);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

/* --- simulated lines and scanner ----------------------------------- */

/* queue_list() walks oldest first: the last fax seen is the newest. */
static int
last_call_cb(void *arg, const struct job *j)
{
    struct web_call *c = arg;

    if (!j->meta_ok || j->source == NULL || strcmp(j->source, "fax") != 0)
        return 0;
    c->time_s = j->created_ms / 1000;
    snprintf(c->csid, sizeof c->csid, "%s", j->csid ? j->csid : "");
    snprintf(c->caller, sizeof c->caller, "%s", j->caller ? j->caller : "");
    c->pages = j->pages;
    snprintf(c->result, sizeof c->result, "ok");
    snprintf(c->job, sizeof c->job, "%s", j->id);
    return 0;
}

static size_t
tp_lines(void *arg, struct web_line *out, size_t max)
{
    struct provider *p = arg;
    int64_t t = mstime_wall() / 1000;

    if (max < 2)
        return 0;
    snprintf(out[0].name, sizeof out[0].name, "fax0");
    out[0].phase = WEB_LINE_IDLE;
    if (p->q != NULL) {
        struct errbuf why;

        errbuf_clear(&why);
        (void)queue_list(p->q, JOB_DONE, last_call_cb, &out[0].last, &why);
    }
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n; i++) {
        json_t *m = p->jobs[i].meta;
        const char *src = json_string_value(json_object_get(m, "source"));

        if (src == NULL || strcmp(src, "fax") != 0)
            continue;
        out[0].last.time_s = p->jobs[i].time_s;
        snprintf(out[0].last.csid, sizeof out[0].last.csid, "%s",
                 json_string_value(json_object_get(m, "csid")) ?: "");
        snprintf(out[0].last.caller, sizeof out[0].last.caller, "%s",
                 json_string_value(json_object_get(m, "caller_id")) ?: "");
        out[0].last.pages =
            (int)json_integer_value(json_object_get(m, "pages"));
        snprintf(out[0].last.result, sizeof out[0].last.result, "ok");
        snprintf(out[0].last.job, sizeof out[0].last.job, "%s", p->jobs[i].id);
        break;
    }
    pthread_mutex_unlock(&p->lock);
    snprintf(out[1].name, sizeof out[1].name, "fax1");
    out[1].phase = WEB_LINE_RECEIVING;
    out[1].page = 2;
    out[1].rate_bps = 14400;
    /* a call that began 125 s ago; its page moved 70 s ago (stuck) */
    snprintf(out[1].caller_id, sizeof out[1].caller_id, "+4940123456");
    snprintf(out[1].called, sizeof out[1].called, "200");
    snprintf(out[1].csid, sizeof out[1].csid, "<i>LIVE</i> CSID");
    out[1].call_start_ms = (t - 125) * 1000;
    out[1].last_progress_ms = (t - 70) * 1000;
    if (max < 3)
        return 2;
    /* an AudioSocket line with two calls (tp_line_calls) */
    snprintf(out[2].name, sizeof out[2].name, "pbx");
    out[2].phase = WEB_LINE_RECEIVING; /* as panel.c maps "2 calls" */
    snprintf(out[2].detail, sizeof out[2].detail, "2 calls");
    out[2].max_calls = 4;
    return 3;
}

/* The pbx line's calls: one receiving page 2, its CSID markup and not
 * UTF-8, its caller too; one training; started 95 and 10 s ago. */
static size_t
tp_line_calls(void *arg, size_t i, struct web_line_call *out, size_t max)
{
    int64_t t = mstime_wall() / 1000;

    (void)arg;
    if (i != 2 || max < 2)
        return 0;
    memset(out, 0, 2 * sizeof *out);
    snprintf(out[0].id, sizeof out[0].id,
             "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    out[0].phase = WEB_LINE_RECEIVING;
    out[0].page = 2;
    out[0].bit_rate = 9600;
    snprintf(out[0].caller, sizeof out[0].caller, "<b>49\xfc</b>");
    snprintf(out[0].called, sizeof out[0].called, "100");
    snprintf(out[0].csid, sizeof out[0].csid,
             "<img src=x onerror=alert(1)>\xff");
    out[0].start_ms = (t - 95) * 1000;
    out[0].progress_ms = (t - 5) * 1000;
    snprintf(out[1].id, sizeof out[1].id,
             "11111111-2222-4333-8444-555555555555");
    out[1].phase = WEB_LINE_TRAINING;
    out[1].training_rate = 14400;
    snprintf(out[1].caller, sizeof out[1].caller, "4930222");
    snprintf(out[1].called, sizeof out[1].called, "200");
    out[1].start_ms = out[1].progress_ms = (t - 10) * 1000;
    return 2;
}

static int
newest_cb(void *arg, const struct job *j)
{
    struct provider *p = arg;

    if (j->source != NULL && strcmp(j->source, "scan") == 0)
        snprintf(p->scan_job, sizeof p->scan_job, "%s", j->id);
    return 0;
}

/* The scan job just committed: the newest queued scan (ids sort by time). */
static void
scan_job_newest(struct provider *p)
{
    struct errbuf why;

    errbuf_clear(&why);
    (void)queue_list(p->q, JOB_QUEUED, newest_cb, p, &why);
}

#define SCAN_PAGES       3
#define SCAN_MS_PER_PAGE 700

/* Caller holds the lock: finish a simulated scan whose time is up. */
static void
scan_advance(struct provider *p)
{
    json_t *meta, *rcpts;
    size_t k;
    json_t *v;

    if (p->scan_started_ms == 0 ||
        mstime_wall() - p->scan_started_ms < SCAN_PAGES * SCAN_MS_PER_PAGE)
        return;
    rcpts = json_array();
    json_array_foreach(p->scan_to, k, v)
        json_array_append_new(rcpts, rcpt_new(json_string_value(v)));
    if (p->q != NULL) {
        const char *to[WEB_RECIPIENTS_MAX + 1] = {0};
        struct errbuf why;
        struct queue_counts before;

        json_decref(rcpts);
        json_array_foreach(p->scan_to, k, v)
        {
            if (k < WEB_RECIPIENTS_MAX)
                to[k] = json_string_value(v);
        }
        queue_counts(p->q, mstime_wall(), &before);
        errbuf_clear(&why);
        if (queue_make(p->q, "scan", p->scan_profile, "", to, SCAN_PAGES, NULL,
                       &why) != 0)
            snprintf(p->scan_job, sizeof p->scan_job, "error: %s", why.text);
        else
            scan_job_newest(p);
        json_decref(p->scan_to);
        p->scan_to = NULL;
        p->scan_started_ms = 0;
        return;
    }
    meta = json_pack("{s:s,s:s,s:s,s:s,s:i,s:o}", "source", "scan", "line",
                     p->scan_profile, "csid", "", "caller_id", "", "pages",
                     SCAN_PAGES, "recipients", rcpts);
    add_job(p, meta, p->scan_job, sizeof p->scan_job, NULL);
    json_decref(p->scan_to);
    p->scan_to = NULL;
    p->scan_started_ms = 0;
}

static void
tp_scanner(void *arg, struct web_scanner *out)
{
    struct provider *p = arg;

    pthread_mutex_lock(&p->lock);
    scan_advance(p);
    out->phase = p->scan_started_ms ? WEB_SCAN_SCANNING : WEB_SCAN_IDLE;
    snprintf(out->device, sizeof out->device, "test:0");
    snprintf(out->profile, sizeof out->profile, "%s", p->scan_profile);
    if (p->scan_started_ms)
        out->pages = (int)((mstime_wall() - p->scan_started_ms) / SCAN_MS_PER_PAGE);
    snprintf(out->job, sizeof out->job, "%s", p->scan_job);
    out->nprofiles = 2;
    snprintf(out->profiles[0], sizeof out->profiles[0], "a4-fine");
    snprintf(out->profiles[1], sizeof out->profiles[1], "a4-standard");
    pthread_mutex_unlock(&p->lock);
}

static int
tp_scan_start(void *arg, const char *profile, const char *const *to, size_t nto,
              struct errbuf *why)
{
    struct provider *p = arg;
    int rc = 0;

    if (strcmp(profile, "a4-fine") != 0 && strcmp(profile, "a4-standard") != 0)
        return errbuf_set(why, ERR_PERM, "", "no scan profile %s", profile);
    pthread_mutex_lock(&p->lock);
    scan_advance(p);
    if (p->scan_started_ms != 0) {
        rc = errbuf_set(why, ERR_TEMP, "", "a scan is in progress");
    } else {
        p->scan_started_ms = mstime_wall();
        snprintf(p->scan_profile, sizeof p->scan_profile, "%s", profile);
        p->scan_to = json_array();
        for (size_t i = 0; i < nto; i++)
            json_array_append_new(p->scan_to, json_string(to[i]));
        p->scan_job[0] = '\0';
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

/* --- commands ------------------------------------------------------- */

static int
mkjobs(const char *spool, const char *state, long n, const char *csid, long age)
{
    char dir[4096];
    int64_t base = mstime_wall() / 1000 - n - age;

    /* "poor": delivered, partial, page 2 of poor quality */
    bool poor = strcmp(state, "poor") == 0;

    if (poor)
        state = "done";
    snprintf(dir, sizeof dir, "%s/%s", spool, state);
    mkdir(spool, 0755);
    mkdir(dir, 0755);
    for (long i = 0; i < n; i++) {
        char jd[4200], id[64], reply[128];
        bool done = strcmp(state, "done") == 0;
        bool failed = strcmp(state, "failed") == 0;
        json_t *meta;

        snprintf(id, sizeof id, "%lld.000-%06lx", (long long)(base + i), i);
        snprintf(jd, sizeof jd, "%s/%s", dir, id);
        if (mkdir(jd, 0755) != 0) {
            perror(jd);
            return 1;
        }
        snprintf(reply, sizeof reply, "250 2.0.0 Ok: queued as %06lX", i);
        meta = json_pack(
            "{s:s,s:s,s:s,s:s,s:s,s:I,s:i,s:I,s:[{s:s,s:s,s:s,s:i,s:I,s:s,"
            "s:s}]}",
            "source", "fax", "line", "fax0", "csid",
            csid ? csid : "+49 30 1234567", "caller_id", "+49301234567",
            "called", "100", "time", (json_int_t)(base + i), "pages", 2,
            "finished", (json_int_t)(done || failed ? base + i + 5 : 0),
            "recipients", "address", "ifax@device.test", "mode", "direct",
            "state",
            done     ? "delivered"
            : failed ? "failed"
                     : "deferred",
            "attempts", done ? 1 : 3, "next_try",
            (json_int_t)(done || failed ? 0 : base + n + 600), "reply",
            done     ? reply
            : failed ? "550 5.1.1 <ifax@device.test>: no such mailbox"
                     : "451 4.3.0 try again later",
            "profile", done ? "F" : "");
        if (poor) { /* what the fax path writes for a bad copy */
            json_object_set_new(meta, "partial", json_true());
            json_object_set_new(meta, "partial_reason",
                                json_string("no carrier after page 2"));
            json_object_set_new(meta, "pages_expected", json_integer(3));
            json_object_set_new(
                meta, "page_quality",
                json_pack("[{s:i,s:i,s:i,s:s,s:b},{s:i,s:i,s:i,s:s,s:b}]",
                          "page", 1, "rows", 1146, "bad_rows", 0, "confirm",
                          "MCF", "poor", 0, "page", 2, "rows", 1146,
                          "bad_rows", 796, "confirm", "RTN", "poor", 1));
            json_object_set_new(meta, "poor_pages", json_integer(1));
        }
        write_meta(jd, meta);
        json_decref(meta);
        write_file(jd, "t30.log",
                   "T.30 rx: DIS -> DCS 14400 V.17 MMR fine\n"
                   "page 1 MCF\npage 2 MCF\ncall ok, 2 pages\n");
        write_file(jd, "smtp.log",
                   done ? "> RCPT TO:<ifax@device.test> CONNEG\n"
                          "< 250 2.1.5 Ok\n> DATA\n< 250 2.0.0 Ok\n"
                        : "> RCPT TO:<ifax@device.test>\n< 451 4.3.0 later\n");
    }
    return 0;
}

static void
metrics_seed(struct provider *p)
{
    for (size_t i = 0; i < p->n; i++) {
        json_t *m = p->jobs[i].meta, *r;
        const char *src = json_string_value(json_object_get(m, "source"));
        size_t k;

        if (src && strcmp(src, "fax") == 0)
            metrics_add(p->metrics, METRICS_CALLS,
                        json_string_value(json_object_get(m, "line")), "ok", 1);
        metrics_add(p->metrics, METRICS_PAGES, src, NULL,
                    (uint64_t)json_integer_value(json_object_get(m, "pages")));
        json_array_foreach(json_object_get(m, "recipients"), k, r)
        {
            const char *st = json_string_value(json_object_get(r, "state"));

            if (st && strcmp(st, "pending") != 0)
                metrics_add(p->metrics, METRICS_DELIVERIES, st,
                            json_string_value(json_object_get(r, "profile")),
                            1);
            if (st && strcmp(st, "failed") == 0)
                metrics_add(p->metrics, METRICS_FAILURES, "smtp-permanent",
                            NULL, 1);
        }
    }
}

static int
serve(int argc, char **argv)
{
    struct provider p = {.lock = PTHREAD_MUTEX_INITIALIZER};
    struct web_conf cf = {0};
    struct web_sources src = {0};
    struct web_server *w;
    struct errbuf why;
    sigset_t set;
    int sig, use_queue = 0, no_scanner = 0;
    struct web_queue *wq = NULL;
    struct calllog *calls;
    struct job *held = NULL; /* SIGUSR2: a job "being delivered" */

    p.spool = argv[2];
    cf.spool = argv[2];
    for (int i = 3; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--token") == 0)
            cf.token = argv[i + 1];
        else if (strcmp(argv[i], "--rate") == 0)
            cf.rate_per_min = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--max-body") == 0)
            cf.max_body = (size_t)atol(argv[i + 1]);
        else if (strcmp(argv[i], "--threads") == 0)
            cf.threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--listen") == 0)
            cf.listen = argv[i + 1];
        else if (strcmp(argv[i], "--queue") == 0)
            use_queue = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--scanner") == 0)
            no_scanner = atoi(argv[i + 1]) == 0;
    }
    mkdir(p.spool, 0755);
    p.metrics = metrics_init();
    if (use_queue) {
        errbuf_clear(&why);
        if ((p.q = queue_up(p.spool)) == NULL ||
            (wq = web_queue_init(p.q, &why)) == NULL) {
            fprintf(stderr, "web_testsrv: %s\n", why.text);
            return 1;
        }
    } else {
        index_load(&p);
        metrics_seed(&p);
    }
    src = (struct web_sources){
        &p,        tp_lines,  tp_line_calls, tp_scanner, tp_scan_start, &p,
        tp_counts, tp_list,   tp_show,    tp_job_dir,    tp_thumbnail,
        NULL,      tp_retry,  tp_remove,  tp_resend, NULL,
        NULL,      NULL,      NULL,       NULL};
    if (wq != NULL)
        web_queue_sources(wq, &src);
    calls = calllog_open(p.spool); /* spool/calls/, as the daemon's */
    web_calls_sources(calls, &src);
    if (no_scanner) { /* as the daemon without scan profiles */
        src.scanner = NULL;
        src.scan_start = NULL;
    }
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    errbuf_clear(&why);
    if ((w = web_init(&cf, &src, p.metrics, &why)) == NULL) {
        fprintf(stderr, "web_testsrv: %s\n", why.text);
        return 1;
    }
    printf("port=%d\n", web_port(w));
    fflush(stdout);
    /* SIGUSR1 (--queue): the oldest due job's attempt fails, as a
     * delivery would record it (the browser test's retry outcome) */
    /* SIGUSR2 (--queue): claim the oldest due job as a delivery would and
     * hold it (being delivered), or release the one held */
    while (sigwait(&set, &sig) == 0 && (sig == SIGUSR1 || sig == SIGUSR2)) {
        if (p.q == NULL)
            continue;
        errbuf_clear(&why);
        if (sig == SIGUSR2 && held != NULL) {
            (void)queue_release(p.q, held, &why);
            held = NULL;
        } else if (sig == SIGUSR2) {
            held = queue_claim(p.q, mstime_wall(), &why);
        } else if (queue_settle(p.q, RCPT_RESULT_FAILED, false, 7, &why) != 0) {
            fprintf(stderr, "web_testsrv: settle: %s\n", why.text);
        }
        if (sig == SIGUSR2)
            fprintf(stderr, "web_testsrv: %s %s\n", held ? "holding" : "released",
                    held ? held->id : why.text);
    }
    if (held != NULL)
        (void)queue_release(p.q, held, &why);
    web_free(w);
    web_queue_free(wq);
    calllog_free(calls);
    queue_close(p.q);
    metrics_free(p.metrics);
    for (size_t i = 0; i < p.n; i++)
        json_decref(p.jobs[i].meta);
    free(p.jobs);
    json_decref(p.scan_to);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "mkjobs") == 0)
        return mkjobs(argv[2], argv[3], atol(argv[4]),
                      argc > 5 && argv[5][0] ? argv[5] : NULL,
                      argc > 6 ? atol(argv[6]) : 0);
    if (argc >= 5 && strcmp(argv[1], "mkq") == 0)
        return mkq(argv[2], argv[3], atol(argv[4]),
                   argc > 5 && argv[5][0] ? argv[5] : NULL);
    if (argc >= 3 && strcmp(argv[1], "serve") == 0)
        return serve(argc, argv);
    fprintf(stderr, "usage: web_testsrv mkjobs SPOOL STATE N [CSID [AGE]]\n"
                    "       web_testsrv mkq SPOOL STATE N [CSID]\n"
                    "       web_testsrv serve SPOOL [--token T] [--rate N] "
                    "[--max-body N] [--threads N] [--listen ADDR] "
                    "[--queue 1]\n");
    return 2;
}

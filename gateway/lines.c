/* lines - the daemon's fax lines; contract in lines.h */
#include "gateway/lines.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/farend.h"
#include "gateway/faxjob.h"
#include "gateway/log.h"
#include "gateway/router.h"
#include "gateway/xalloc.h"
#include "t30/audioline.h"
#include "t30/line.h"

struct lines;

struct lines_one {
    struct lines *owner;
    struct line_state *ls; /* a modem line, or */
    struct audioline *al;  /* an audio line */
    pthread_t thread;
    bool started;
    struct job *job;        /* the call in progress; line thread only */
    struct lines_status st; /* guarded by owner->mu */
};

struct lines {
    struct queue *q;
    struct metrics *metrics; /* borrowed; may be NULL */
    atomic_int stop;         /* line_run() returns when set */
    atomic_bool draining;    /* no new call is answered */
    pthread_mutex_t mu;      /* guards every one[].st */
    size_t n;
    struct lines_one one[LINES_MAX];
};

static int64_t
lines_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
lines_on_answer(void *arg, const struct line_call *c)
{
    struct lines_one *o = arg;
    char why[256], e1[96], e2[96];
    bool yes;

    yes = router_should_answer(o->st.name, c->called, c->caller_id, why,
                               sizeof why);
    if (!yes) {
        log_info("line=%s caller=\"%s\" called=\"%s\" refused by route: %s",
                 o->st.name, log_esc(e1, sizeof e1, c->caller_id),
                 log_esc(e2, sizeof e2, c->called), why);
        return false;
    }
    /* Decided under the lock lines_drain() checks with: a call is either
     * refused or already counted as in progress when draining begins. */
    pthread_mutex_lock(&o->owner->mu);
    yes = !atomic_load(&o->owner->draining);
    if (yes)
        o->st.status = LINE_STATUS_RECEIVING;
    pthread_mutex_unlock(&o->owner->mu);
    if (!yes)
        log_info("line=%s call refused: the gateway is stopping", o->st.name);
    return yes;
}

static int
lines_on_job_start(void *arg, const struct line_call *c, char *path, size_t n,
                   struct errbuf *why)
{
    struct lines_one *o = arg;

    (void)c;
    o->job = faxjob_begin(o->owner->q, path, n, why);
    if (o->job == NULL) {
        log_error("line=%s call not answered: %s", o->st.name, why->text);
        return -1;
    }
    return 0;
}

/* /metrics: labels from fixed sets only (result and end names), never
 * far-end text. ok: the job was committed. */
static void
lines_count_call(struct metrics *m, const char *line,
                 const struct callrec *rec, bool ok)
{
    metrics_add(m, METRICS_CALLS, line,
                rec ? callrec_result_name(rec->result) : "failed", 1);
    if (ok && rec != NULL)
        metrics_add(m, METRICS_PAGES, "fax", NULL, rec->npages);
    if (!ok)
        metrics_add(m, METRICS_FAILURES, "spool", NULL, 1);
    else if (rec != NULL && rec->result != CALLREC_OK)
        metrics_add(m, METRICS_FAILURES, callrec_end_name(rec->end), NULL, 1);
}

/* The last call, for the status page; under the owner's lock. */
static void
lines_note_call(struct lines_one *o, const struct callrec *rec,
                const char *result, const char *job, bool ok)
{
    pthread_mutex_lock(&o->owner->mu);
    o->st.calls++;
    o->st.failures += ok ? 0 : 1;
    o->st.pages += rec ? rec->npages : 0;
    o->st.last_start_ms = rec ? rec->start_ms : lines_now_ms();
    farend_utf8(rec ? rec->remote_csid : "", o->st.last_csid,
                sizeof o->st.last_csid);
    farend_utf8(rec ? rec->caller_id : "", o->st.last_caller,
                sizeof o->st.last_caller);
    o->st.last_pages = rec ? (int)rec->npages : 0;
    (void)snprintf(o->st.last_result, sizeof o->st.last_result, "%s", result);
    (void)snprintf(o->st.last_job, sizeof o->st.last_job, "%s", job);
    pthread_mutex_unlock(&o->owner->mu);
    lines_count_call(o->owner->metrics, o->st.name, rec, ok);
}

static void
lines_on_job_end(void *arg, const struct callrec *rec)
{
    struct lines_one *o = arg;
    struct errbuf why;
    char e1[96], e2[96], e3[4 * ERRBUF_TEXT_MAX], id[JOB_ID_MAX];

    if (o->job == NULL)
        return;
    (void)snprintf(id, sizeof id, "%s", o->job->id);
    if (faxjob_end(o->owner->q, o->job, rec, &why) == -1) {
        bool received = rec != NULL && rec->npages > 0;
        bool keep =
            why.cls == ERR_TEMP && received && o->job->state == JOB_INCOMING;

        if (!received) /* the call itself failed: nothing to keep */
            log_warn(
                "job=%s line=%s csid=\"%s\" call failed: %s", id, o->st.name,
                log_esc(e1, sizeof e1, rec ? rec->remote_csid : ""), why.text);
        else /* the call went well; storing it did not (yet) */
            log_warn("job=%s line=%s csid=\"%s\" pages=%zu received, commit "
                     "failed: %s%s",
                     id, o->st.name, log_esc(e1, sizeof e1, rec->remote_csid),
                     rec->npages, why.text,
                     keep ? "; pages kept in incoming/, committed as soon as "
                            "the spool has room"
                          : "; left in incoming/");
        lines_note_call(o, rec, why.text, keep ? id : "", false);
        if (keep) {
            queue_commit_later(o->owner->q, o->job, &why);
            o->job = NULL;
        }
    } else if (o->job->state == JOB_FAILED) { /* kept for the operator */
        log_warn("job=%s line=%s csid=\"%s\" caller=\"%s\" pages=%d "
                 "received, kept in failed/: %s",
                 id, o->st.name, log_esc(e1, sizeof e1, rec->remote_csid),
                 log_esc(e2, sizeof e2, rec->caller_id), o->job->pages,
                 log_esc(e3, sizeof e3,
                         o->job->failed_reason ? o->job->failed_reason : ""));
        lines_note_call(o, rec, "no route", id, true);
    } else {
        log_info("job=%s line=%s csid=\"%s\" caller=\"%s\" pages=%zu "
                 "stored=%d partial=%d rate=%d result=%s committed",
                 id, o->st.name, log_esc(e1, sizeof e1, rec->remote_csid),
                 log_esc(e2, sizeof e2, rec->caller_id), rec->npages,
                 o->job->pages, o->job->partial ? 1 : 0, rec->bit_rate,
                 callrec_result_name(rec->result));
        lines_note_call(o, rec, callrec_result_name(rec->result), id, true);
    }
    o->job = job_free(o->job);
}

static void
lines_on_status(void *arg, const struct line_report *r)
{
    struct lines_one *o = arg;
    int before;

    pthread_mutex_lock(&o->owner->mu);
    before = o->st.status;
    o->st.status = (int)r->status;
    o->st.page = r->page;
    o->st.bit_rate = r->bit_rate;
    (void)snprintf(o->st.detail, sizeof o->st.detail, "%s",
                   r->text ? r->text : "");
    pthread_mutex_unlock(&o->owner->mu);
    if (before != (int)r->status &&
        (r->status == LINE_STATUS_ERROR || before == LINE_STATUS_ERROR))
        log_info("line=%s status=%s detail=\"%s\"", o->st.name,
                 line_status_name(r->status), r->text ? r->text : "");
}

static void *
lines_thread(void *arg)
{
    struct lines_one *o = arg;

    if (o->al != NULL)
        (void)audioline_run(o->al, &o->owner->stop);
    else
        (void)line_run(o->ls, &o->owner->stop);
    return NULL;
}

static void
lines_one_free(struct lines_one *o)
{
    line_free(o->ls);
    audioline_free(o->al);
    o->ls = NULL;
    o->al = NULL;
}

/* Both kinds take the same handlers (t30/line.h). */
static int
lines_init_one(struct lines_one *o, const struct config_line *cl,
               struct errbuf *why)
{
    if (cl->kind == CONFIG_LINE_AUDIO) {
        o->al = audioline_init(NULL, cl, why);
        if (o->al == NULL)
            return -1;
        audioline_set_answer_handler(o->al, lines_on_answer, o);
        audioline_set_job_handler(o->al, lines_on_job_start, lines_on_job_end,
                                  o);
        audioline_set_status_handler(o->al, lines_on_status, o);
        return 0;
    }
    o->ls = line_init(NULL, cl, why);
    if (o->ls == NULL)
        return -1;
    line_set_answer_handler(o->ls, lines_on_answer, o);
    line_set_job_handler(o->ls, lines_on_job_start, lines_on_job_end, o);
    line_set_status_handler(o->ls, lines_on_status, o);
    return 0;
}

static int
lines_start_one(struct lines *l, const struct config_line *cl,
                struct errbuf *why)
{
    struct lines_one *o = &l->one[l->n];

    o->owner = l;
    (void)snprintf(o->st.name, sizeof o->st.name, "%s", cl->name);
    if (lines_init_one(o, cl, why) == -1)
        return errbuf_prefix(why, "line %s", cl->name);
    if (pthread_create(&o->thread, NULL, lines_thread, o) != 0) {
        lines_one_free(o);
        return errbuf_set(why, ERR_TEMP, NULL, "line %s: no thread", cl->name);
    }
    o->started = true;
    l->n++;
    return 0;
}

struct lines *
lines_start(const struct config *cf, struct queue *q, struct metrics *m,
            struct errbuf *why)
{
    struct lines *l = xcalloc(1, sizeof *l);

    l->q = q;
    l->metrics = m;
    pthread_mutex_init(&l->mu, NULL);
    for (int i = 0; i < cf->n_lines; i++) {
        const struct config_line *cl = &cf->lines[i];

        if (l->n == LINES_MAX || lines_start_one(l, cl, why) == -1) {
            if (l->n == LINES_MAX)
                errbuf_set(why, ERR_PERM, NULL, "more than %d lines",
                           LINES_MAX);
            lines_stop(l);
            return NULL;
        }
        if (cl->kind == CONFIG_LINE_AUDIO)
            log_info("line=%s audio=%s started", cl->name, cl->audio);
        else
            log_info("line=%s device=%s started", cl->name, cl->device);
    }
    return l;
}

bool
lines_drain(struct lines *l, int64_t timeout_ms)
{
    int64_t until = lines_now_ms() + timeout_ms;
    struct timespec nap = {.tv_nsec = 200 * 1000000};

    if (l == NULL)
        return true;
    atomic_store(&l->draining, true);
    for (;;) {
        bool busy = false;

        pthread_mutex_lock(&l->mu);
        for (size_t i = 0; i < l->n; i++)
            busy |= l->one[i].st.status == LINE_STATUS_RECEIVING;
        pthread_mutex_unlock(&l->mu);
        if (!busy)
            return true;
        if (lines_now_ms() >= until)
            return false;
        nanosleep(&nap, NULL);
    }
}

void
lines_stop(struct lines *l)
{
    if (l == NULL)
        return;
    atomic_store(&l->stop, 1);
    for (size_t i = 0; i < l->n; i++) {
        if (l->one[i].started)
            pthread_join(l->one[i].thread, NULL);
        lines_one_free(&l->one[i]);
    }
    pthread_mutex_destroy(&l->mu);
    free(l);
}

size_t
lines_status(struct lines *l, struct lines_status *out, size_t max)
{
    size_t n = 0;

    if (l == NULL)
        return 0;
    pthread_mutex_lock(&l->mu);
    for (; n < l->n && n < max; n++)
        out[n] = l->one[n].st;
    pthread_mutex_unlock(&l->mu);
    return n;
}

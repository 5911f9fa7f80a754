/* lines - the daemon's fax lines; contract in lines.h */
#include "gateway/lines.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/intake/calllog.h"
#include "gateway/intake/faxjob.h"
#include "gateway/spool/router.h"
#include "gateway/livecalls.h"
#include "gateway/util/farend.h"
#include "gateway/util/log.h"
#include "gateway/util/mstime.h"
#include "gateway/util/xalloc.h"
#include "t30/audioline.h"
#include "t30/audiosocket.h"
#include "t30/line.h"

struct lines;
struct lines_one;

/* One call's side in the gateway: a line of one call at a time embeds it;
 * an AudioSocket line makes one per call (its handlers' arg). */
struct lines_call {
    struct lines_one *o;
    struct job *job; /* the call in progress; its thread only */
    char caller_name[CALLREC_ID_MAX + 1];
};

struct lines_one {
    struct lines *owner;
    struct line_state *ls; /* a modem line, or */
    struct audioline *al;  /* an audio line, or */
    struct audiosocket *as; /* an AudioSocket line (many calls) */
    pthread_t thread;
    bool started;
    struct lines_call call; /* the call of a one-call line */
    struct lines_status st; /* guarded by owner->mu */
    struct livecalls live;  /* an AudioSocket line's calls; owner->mu */
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

/* The call log (gateway/intake/calllog): every call, answered or not. */
static void
lines_log_call(struct lines_call *k, const struct callrec *rec,
               const struct line_call *refused, const char *reason,
               const char *job)
{
    struct lines_one *o = k->o;
    struct calllog_call c;
    struct errbuf why;

    calllog_from_rec(&c, rec);
    c.line = o->st.name;
    c.caller_name = k->caller_name;
    if (rec == NULL)
        c.start_ms = c.end_ms = mstime_wall();
    if (refused != NULL) {
        c.caller_id = refused->caller_id;
        c.caller_name = refused->caller_name;
        c.called = refused->called;
        c.result = "refused";
    }
    if (reason != NULL)
        c.reason = reason;
    c.job = job;
    if (calllog_write(queue_spool_dir(o->owner->q), &c, NULL, 0, &why) == -1)
        log_warn("line=%s %s", o->st.name, why.text);
}

/* The call the status page shows live: who, when; under the lock. */
static void
lines_call_begin(struct lines_status *st, const struct line_call *c)
{
    int64_t now = mstime_wall();

    if (st->call_start_ms == 0)
        st->call_start_ms = now;
    st->progress_ms = now;
    (void)snprintf(st->cur_caller, sizeof st->cur_caller, "%s",
                   c->caller_id ? c->caller_id : "");
    (void)snprintf(st->cur_called, sizeof st->cur_called, "%s",
                   c->called ? c->called : "");
}

static void
lines_call_clear(struct lines_status *st)
{
    st->answered = false;
    st->call_start_ms = st->progress_ms = 0;
    st->cur_caller[0] = st->cur_called[0] = st->cur_csid[0] = '\0';
}

static bool
lines_on_answer(void *arg, const struct line_call *c)
{
    struct lines_call *k = arg;
    struct lines_one *o = k->o;
    char why[256], e1[96], e2[96];
    bool yes;

    callrec_set_str(k->caller_name, sizeof k->caller_name, c->caller_name);
    pthread_mutex_lock(&o->owner->mu); /* the page shows who rings */
    lines_call_begin(&o->st, c);
    pthread_mutex_unlock(&o->owner->mu);
    yes = router_should_answer(o->st.name, c->called, c->caller_id, why,
                               sizeof why);
    if (!yes) {
        log_info("line=%s caller=\"%s\" called=\"%s\" refused by route: %s",
                 o->st.name, log_esc(e1, sizeof e1, c->caller_id),
                 log_esc(e2, sizeof e2, c->called), why);
        lines_log_call(k, NULL, c, why, NULL);
        return false;
    }
    /* Decided under the lock lines_drain() checks with: a call is either
     * refused or already counted as in progress when draining begins. */
    pthread_mutex_lock(&o->owner->mu);
    yes = !atomic_load(&o->owner->draining);
    if (yes) {
        o->st.status = LINE_STATUS_RECEIVING;
        o->st.answered = true;
    }
    pthread_mutex_unlock(&o->owner->mu);
    if (!yes) {
        log_info("line=%s call refused: the gateway is stopping", o->st.name);
        lines_log_call(k, NULL, c, "the gateway is stopping", NULL);
    }
    return yes;
}

static int
lines_on_job_start(void *arg, const struct line_call *c, char *path, size_t n,
                   struct errbuf *why)
{
    struct lines_call *k = arg;
    struct lines_one *o = k->o;

    k->job = faxjob_begin(o->owner->q, path, n, why);
    if (k->job == NULL) {
        log_error("line=%s call not answered: %s", o->st.name, why->text);
        lines_log_call(k, NULL, c, why->text, NULL);
        return -1;
    }
    /* who called is in meta.json before the call is answered (recovery) */
    struct errbuf e;
    if (faxjob_identify(o->owner->q, k->job, o->st.name, c->caller_id,
                        c->called, &e) == -1)
        log_warn("job=%s line=%s meta.json not written at answer: %s",
                 k->job->id, o->st.name, e.text);
    return 0;
}

/* During the call: meta.json follows the record; a page that cannot be
 * stored durably is refused (faxrx answers DCN, not MCF). */
static int
lines_on_store(void *arg, const struct callrec *rec, enum faxrx_store_event ev,
               struct errbuf *why)
{
    struct lines_call *k = arg;
    struct lines_one *o = k->o;

    if (k->job == NULL)
        return 0;
    if (faxjob_store(o->owner->q, k->job, rec, ev, why) == 0)
        return 0;
    if (ev == FAXRX_STORE_PAGE)
        log_warn("job=%s line=%s page %zu not confirmed to the sender: %s",
                 k->job->id, o->st.name, rec->npages, why->text);
    else
        log_warn("job=%s line=%s meta.json not written: %s", k->job->id,
                 o->st.name, why->text);
    return -1;
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
lines_note_call(struct lines_call *k, const struct callrec *rec,
                const char *result, const char *job, bool ok)
{
    struct lines_one *o = k->o;

    pthread_mutex_lock(&o->owner->mu);
    o->st.calls++;
    o->st.failures += ok ? 0 : 1;
    o->st.pages += rec ? rec->npages : 0;
    o->st.last_start_ms = rec ? rec->start_ms : mstime_wall();
    farend_utf8(rec ? rec->remote_csid : "", o->st.last_csid,
                sizeof o->st.last_csid);
    farend_utf8(rec ? rec->caller_id : "", o->st.last_caller,
                sizeof o->st.last_caller);
    o->st.last_pages = rec ? (int)rec->npages : 0;
    (void)snprintf(o->st.last_result, sizeof o->st.last_result, "%s", result);
    (void)snprintf(o->st.last_job, sizeof o->st.last_job, "%s", job);
    pthread_mutex_unlock(&o->owner->mu);
    lines_count_call(o->owner->metrics, o->st.name, rec, ok);
    lines_log_call(k, rec, NULL, ok ? NULL : result, job);
}

/* Debug level: the call's AT exchange, one log line per modem line (the
 * transcript is bounded and printable ASCII already). */
static void
lines_log_at(const struct lines_one *o, const char *id)
{
    const char *p = o->ls != NULL ? line_at_transcript(o->ls) : "";

    while (*p != '\0') {
        size_t n = strcspn(p, "\n");

        log_debug("job=%s line=%s at %.*s", id, o->st.name, (int)n, p);
        p += n + (p[n] == '\n');
    }
}

static void
lines_on_job_end(void *arg, const struct callrec *rec)
{
    struct lines_call *k = arg;
    struct lines_one *o = k->o;
    struct errbuf why;
    char e1[96], e2[96], e3[4 * ERRBUF_TEXT_MAX], id[JOB_ID_MAX];

    if (k->job == NULL)
        return;
    (void)snprintf(id, sizeof id, "%s", k->job->id);
    lines_log_at(o, id);
    if (faxjob_end(o->owner->q, k->job, rec, &why) == -1) {
        bool received = rec != NULL && rec->npages > 0;
        bool keep =
            why.cls == ERR_TEMP && received && k->job->state == JOB_INCOMING;

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
        lines_note_call(k, rec, why.text, keep ? id : "", false);
        if (keep) {
            queue_commit_later(o->owner->q, k->job, &why);
            k->job = NULL;
        }
    } else if (k->job->state == JOB_FAILED) { /* kept for the operator */
        log_warn("job=%s line=%s csid=\"%s\" caller=\"%s\" pages=%d "
                 "received, kept in failed/: %s",
                 id, o->st.name, log_esc(e1, sizeof e1, rec->remote_csid),
                 log_esc(e2, sizeof e2, rec->caller_id), k->job->pages,
                 log_esc(e3, sizeof e3,
                         k->job->failed_reason ? k->job->failed_reason : ""));
        lines_note_call(k, rec, "no route", id, true);
    } else {
        log_info("job=%s line=%s csid=\"%s\" caller=\"%s\" pages=%zu "
                 "stored=%d partial=%d rate=%d result=%s committed",
                 id, o->st.name, log_esc(e1, sizeof e1, rec->remote_csid),
                 log_esc(e2, sizeof e2, rec->caller_id), rec->npages,
                 k->job->pages, k->job->partial ? 1 : 0, rec->bit_rate,
                 callrec_result_name(rec->result));
        lines_note_call(k, rec, callrec_result_name(rec->result), id, true);
    }
    k->job = job_free(k->job);
}

/* One call of a line of many: its entry in the line's table (the line's
 * own status stays "N calls"). */
static void
lines_on_call_status(struct lines_one *o, const struct line_report *r)
{
    enum livecalls_result res;

    pthread_mutex_lock(&o->owner->mu);
    res = livecalls_report(&o->live, r, mstime_wall());
    o->st.ncalls = (int)o->live.n;
    pthread_mutex_unlock(&o->owner->mu);
    if (res == LIVECALLS_FULL || res == LIVECALLS_BAD) /* a bug: bounded */
        log_warn("line=%s call status dropped: %s", o->st.name,
                 res == LIVECALLS_FULL ? "table full" : "bad call id");
}

static void
lines_on_status(void *arg, const struct line_report *r)
{
    struct lines_one *o = arg;
    int before;

    if (r->call != NULL) {
        lines_on_call_status(o, r);
        return;
    }
    pthread_mutex_lock(&o->owner->mu);
    before = o->st.status;
    if (before != (int)r->status || o->st.page != r->page ||
        o->st.bit_rate != r->bit_rate ||
        o->st.training_rate != r->training_rate)
        o->st.progress_ms = mstime_wall();
    o->st.status = (int)r->status;
    o->st.page = r->page;
    o->st.bit_rate = r->bit_rate;
    o->st.training_rate = r->training_rate;
    (void)snprintf(o->st.detail, sizeof o->st.detail, "%s",
                   r->text ? r->text : "");
    if (r->status == LINE_STATUS_RINGING && o->st.call_start_ms == 0)
        o->st.call_start_ms = o->st.progress_ms;
    if (r->status == LINE_STATUS_RECEIVING && r->csid != NULL)
        (void)snprintf(o->st.cur_csid, sizeof o->st.cur_csid, "%s", r->csid);
    if (r->status != LINE_STATUS_RECEIVING &&
        r->status != LINE_STATUS_RINGING)
        lines_call_clear(&o->st);
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

    if (o->as != NULL)
        (void)audiosocket_run(o->as, &o->owner->stop);
    else if (o->al != NULL)
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
    audiosocket_free(o->as);
    livecalls_free(&o->live);
    o->ls = NULL;
    o->al = NULL;
    o->as = NULL;
}

/* An AudioSocket line's call: its own job and caller name. */
static void *
lines_call_open(void *arg, struct rxcall_handlers *h)
{
    struct lines_call *k = xcalloc(1, sizeof *k);

    k->o = arg;
    h->answer = lines_on_answer;
    h->answer_arg = k;
    h->start = lines_on_job_start;
    h->end = lines_on_job_end;
    h->job_arg = k;
    h->store = lines_on_store;
    h->store_arg = k;
    return k;
}

static void
lines_call_close(void *arg, void *call)
{
    struct lines_call *k = call;

    (void)arg;
    k->job = job_free(k->job); /* a job end handler always ran before */
    free(k);
}

/* A route that may apply to this line matches on caller ID: the answer
 * decision needs the caller ID, which may come after the first ring. */
static bool
lines_route_needs_cid(const struct config *cf, const char *line)
{
    for (int i = 0; i < cf->n_routes; i++) {
        const struct config_route *r = &cf->routes[i];
        bool ours = r->n_source == 0;

        for (int k = 0; k < r->n_source && !ours; k++)
            ours = strcmp(r->source[k], line) == 0;
        if (ours && r->n_caller > 0)
            return true;
    }
    return false;
}

/* Both kinds take the same handlers (t30/line.h). */
static int
lines_init_one(struct lines_one *o, const struct config *cf,
               const struct config_line *cl, struct errbuf *why)
{
    struct lines_call *k = &o->call;

    k->o = o;
    if (cl->kind == CONFIG_LINE_AUDIOSOCKET) {
        char dir[4096];

        o->as = audiosocket_init(NULL, cl, why);
        if (o->as == NULL)
            return -1;
        livecalls_init(&o->live, (size_t)cl->max_calls);
        o->st.max_calls = cl->max_calls;
        (void)snprintf(dir, sizeof dir, "%s/%s", queue_spool_dir(o->owner->q),
                       LINES_ANNOUNCE_DIR);
        audiosocket_set_announce_dir(o->as, dir);
        audiosocket_set_call_handler(o->as, lines_call_open, lines_call_close,
                                     o);
        audiosocket_set_status_handler(o->as, lines_on_status, o);
        return 0;
    }
    if (cl->kind == CONFIG_LINE_AUDIO) {
        o->al = audioline_init(NULL, cl, why);
        if (o->al == NULL)
            return -1;
        audioline_set_answer_handler(o->al, lines_on_answer, k);
        audioline_set_job_handler(o->al, lines_on_job_start, lines_on_job_end,
                                  k);
        audioline_set_status_handler(o->al, lines_on_status, o);
        audioline_set_store_handler(o->al, lines_on_store, k);
        return 0;
    }
    o->ls = line_init(NULL, cl, why);
    if (o->ls == NULL)
        return -1;
    line_set_answer_handler(o->ls, lines_on_answer, k);
    line_set_job_handler(o->ls, lines_on_job_start, lines_on_job_end, k);
    line_set_status_handler(o->ls, lines_on_status, o);
    line_set_store_handler(o->ls, lines_on_store, k);
    line_set_cid_wait(o->ls, lines_route_needs_cid(cf, cl->name));
    return 0;
}

static int
lines_start_one(struct lines *l, const struct config *cf,
                const struct config_line *cl, struct errbuf *why)
{
    struct lines_one *o = &l->one[l->n];

    o->owner = l;
    (void)snprintf(o->st.name, sizeof o->st.name, "%s", cl->name);
    if (lines_init_one(o, cf, cl, why) == -1)
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

        if (l->n == LINES_MAX || lines_start_one(l, cf, cl, why) == -1) {
            if (l->n == LINES_MAX)
                errbuf_set(why, ERR_PERM, NULL, "more than %d lines",
                           LINES_MAX);
            lines_stop(l);
            return NULL;
        }
        if (cl->kind == CONFIG_LINE_AUDIOSOCKET)
            log_info("line=%s audiosocket=%s:%d started", cl->name,
                     cl->listen, cl->port);
        else if (cl->kind == CONFIG_LINE_AUDIO)
            log_info("line=%s audio=%s started", cl->name, cl->audio);
        else
            log_info("line=%s device=%s started", cl->name, cl->device);
    }
    return l;
}

bool
lines_drain(struct lines *l, int64_t timeout_ms)
{
    int64_t until = mstime_wall() + timeout_ms;
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
        if (mstime_wall() >= until)
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

size_t
lines_calls(struct lines *l, size_t line, struct livecalls_entry *out,
            size_t max)
{
    size_t n = 0;

    if (l == NULL)
        return 0;
    pthread_mutex_lock(&l->mu);
    if (line < l->n)
        n = livecalls_copy(&l->one[line].live, out, max);
    pthread_mutex_unlock(&l->mu);
    return n;
}

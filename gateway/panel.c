/* panel - lines and scanner for the status page; contract in panel.h */
#include "gateway/panel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/snapshot.h"
#include "gateway/intake/scanjob.h"
#include "gateway/util/log.h"
#include "gateway/util/xalloc.h"
#include "scan/scanproc.h"
#include "t30/line.h"

struct panel {
    struct queue *q;
    struct lines *lines;
    struct metrics *metrics;
    pthread_mutex_t mu;        /* guards everything below */
    pthread_cond_t done;       /* signalled when a scan ends */
    bool scanning;             /* the thread runs a scan */
    bool thread_live;          /* a thread to join (running or ended) */
    pthread_t thread;
    atomic_bool cancel;
    struct web_scanner last; /* phase, device, profile, pages, job, detail */
    /* The button watcher (when there are scan profiles). */
    bool stopping;           /* panel_free() began */
    pthread_cond_t wake;     /* stopping was set */
    bool button_live;
    pthread_t button_thread;
    /* The request the thread works on. */
    char profile[WEB_NAME_MAX];
    char to[SCANJOB_MAX_TO][WEB_ADDRESS_MAX + 1];
    size_t nto;
};

static enum web_line_phase
panel_phase(int status)
{
    switch ((enum line_status)status) {
    case LINE_STATUS_IDLE:
        return WEB_LINE_IDLE;
    case LINE_STATUS_RINGING:
        return WEB_LINE_RINGING;
    case LINE_STATUS_RECEIVING:
        return WEB_LINE_RECEIVING;
    case LINE_STATUS_ERROR:
        return WEB_LINE_ERROR;
    case LINE_STATUS_DOWN:
    case LINE_STATUS_INIT:
        break;
    }
    return WEB_LINE_DOWN;
}

/* The phase of an answered call: a DCS came and its training is not
 * answered yet (the rate being trained), else no training passed yet (no
 * page is being received), else receiving. */
static enum web_line_phase
panel_call_phase(int training_rate, int bit_rate)
{
    return training_rate > 0 ? WEB_LINE_TRAINING
           : bit_rate == 0   ? WEB_LINE_ANSWERING
                             : WEB_LINE_RECEIVING;
}

static void
panel_line(const struct lines_status *s, struct web_line *w)
{
    memset(w, 0, sizeof *w);
    (void)snprintf(w->name, sizeof w->name, "%s", s->name);
    w->phase = panel_phase(s->status);
    w->rate_bps = s->bit_rate;
    /* A line of many calls (max_calls) is receiving while any call is
     * connected; each call's own phase is in its calls[] entry. */
    if (s->max_calls > 0) {
        w->rate_bps = 0;
    } else if (w->phase == WEB_LINE_RECEIVING) {
        w->phase = panel_call_phase(s->training_rate, s->bit_rate);
        if (w->phase == WEB_LINE_TRAINING)
            w->rate_bps = s->training_rate;
    }
    w->page = w->phase == WEB_LINE_RECEIVING ? s->page : 0;
    (void)snprintf(w->detail, sizeof w->detail, "%s", s->detail);
    (void)snprintf(w->caller_id, sizeof w->caller_id, "%s", s->cur_caller);
    (void)snprintf(w->called, sizeof w->called, "%s", s->cur_called);
    (void)snprintf(w->csid, sizeof w->csid, "%s", s->cur_csid);
    w->call_start_ms = s->call_start_ms;
    w->last_progress_ms = s->progress_ms;
    w->last.time_s = s->last_start_ms / 1000;
    (void)snprintf(w->last.csid, sizeof w->last.csid, "%s", s->last_csid);
    (void)snprintf(w->last.caller, sizeof w->last.caller, "%s",
                   s->last_caller);
    w->last.pages = s->last_pages;
    (void)snprintf(w->last.result, sizeof w->last.result, "%s",
                   s->last_result);
    (void)snprintf(w->last.job, sizeof w->last.job, "%s", s->last_job);
    w->max_calls = s->max_calls;
}

_Static_assert(WEB_LINE_CALLS_MAX >= CONFIG_AUDIOSOCKET_CALLS_MAX,
               "the page shows every call a line may take");

static size_t
panel_line_calls(void *arg, size_t i, struct web_line_call *out, size_t max)
{
    struct panel *p = arg;
    struct livecalls_entry *e;
    size_t n;

    if (p->lines == NULL || max == 0)
        return 0;
    e = xcalloc(max, sizeof *e);
    n = lines_calls(p->lines, i, e, max);
    for (size_t k = 0; k < n; k++) {
        struct web_line_call *w = &out[k];

        memset(w, 0, sizeof *w);
        (void)snprintf(w->id, sizeof w->id, "%s", e[k].id);
        w->phase = panel_call_phase(e[k].training_rate, e[k].bit_rate);
        w->page = e[k].page;
        w->bit_rate = e[k].bit_rate;
        w->training_rate = e[k].training_rate;
        (void)snprintf(w->caller, sizeof w->caller, "%s", e[k].caller);
        (void)snprintf(w->called, sizeof w->called, "%s", e[k].called);
        (void)snprintf(w->csid, sizeof w->csid, "%s", e[k].csid);
        w->start_ms = e[k].start_ms;
        w->progress_ms = e[k].progress_ms;
    }
    free(e);
    return n;
}

static size_t
panel_lines(void *arg, struct web_line *out, size_t max)
{
    struct panel *p = arg;
    struct lines_status st[LINES_MAX];
    size_t n;

    if (p->lines == NULL)
        return 0;
    n = lines_status(p->lines, st, max < LINES_MAX ? max : LINES_MAX);
    for (size_t i = 0; i < n; i++)
        panel_line(&st[i], &out[i]);
    return n;
}

static void
panel_scanner(void *arg, struct web_scanner *out)
{
    struct panel *p = arg;
    const struct config *cf = snapshot_get();

    pthread_mutex_lock(&p->mu);
    *out = p->last;
    pthread_mutex_unlock(&p->mu);
    out->nprofiles = 0;
    for (int i = 0; cf != NULL && i < cf->n_profiles; i++)
        if (out->nprofiles < WEB_PROFILES_MAX)
            (void)snprintf(out->profiles[out->nprofiles++], WEB_NAME_MAX,
                           "%s", cf->profiles[i].name);
    if (cf == NULL || cf->n_profiles == 0)
        out->phase = WEB_SCAN_ABSENT;
    if (out->device[0] == '\0' && cf != NULL && cf->scanner_device != NULL)
        (void)snprintf(out->device, sizeof out->device, "%s",
                       cf->scanner_device[0] ? cf->scanner_device
                                             : "(first found)");
    snapshot_put(cf);
}

static void
panel_progress(void *arg, int pages)
{
    struct panel *p = arg;

    pthread_mutex_lock(&p->mu);
    p->last.pages = pages;
    pthread_mutex_unlock(&p->mu);
}

/* Record a finished scan for the page, the log and the metrics. */
static void
panel_scan_done(struct panel *p, int rc, const struct scanjob_result *res,
                const struct errbuf *why)
{
    pthread_mutex_lock(&p->mu);
    p->last.phase = rc == 0 ? WEB_SCAN_IDLE : WEB_SCAN_ERROR;
    p->last.pages = res->pages;
    (void)snprintf(p->last.job, sizeof p->last.job, "%s", res->job_id);
    if (res->scan.device[0])
        (void)snprintf(p->last.device, sizeof p->last.device, "%s",
                       res->scan.device);
    (void)snprintf(p->last.detail, sizeof p->last.detail, "%s",
                   rc == 0 ? "" : why->text);
    p->scanning = false;
    pthread_cond_broadcast(&p->done);
    pthread_mutex_unlock(&p->mu);
    metrics_add(p->metrics, METRICS_PAGES, "scan", NULL,
                (uint64_t)res->pages);
    if (rc != 0)
        metrics_add(p->metrics, METRICS_FAILURES,
                    res->scan.result == SCAN_BUSY ? "scanner-busy" : "scan",
                    NULL, 1);
    if (res->scan.reader_killed) {
        char dev[sizeof res->scan.device * 4];

        log_warn("scanner %s: the backend hung after the scan; its process "
                 "was killed",
                 log_esc(dev, sizeof dev, res->scan.device));
    }
    if (rc == 0)
        log_info("job=%s scan profile=%s pages=%d queued from the panel",
                 res->job_id, p->profile, res->pages);
    else
        log_warn("scan profile=%s from the panel: %s: %s%s%s", p->profile,
                 scan_result_name(res->scan.result), why->text,
                 res->job_id[0] ? "; partial job " : "", res->job_id);
}

/* The scan thread: one request, with the config in force when it came. */
static void *
panel_scan_thread(void *arg)
{
    struct panel *p = arg;
    const struct config *cf = snapshot_get();
    struct scanjob_req req = {.cancel = &p->cancel,
                              .progress = panel_progress,
                              .progress_arg = p};
    struct scanjob_result res;
    struct errbuf why;
    int rc = -1;

    memset(&res, 0, sizeof res);
    errbuf_clear(&why);
    for (size_t i = 0; i < p->nto; i++)
        req.to[i] = p->to[i];
    req.profile = cf ? config_profile_find(cf, p->profile) : NULL;
    if (req.profile == NULL)
        errbuf_set(&why, ERR_PERM, NULL, "scan profile %s: gone after a reload",
                   p->profile);
    else
        rc = scanjob_run(p->q, cf, &req, &res, &why);
    snapshot_put(cf);
    panel_scan_done(p, rc, &res, &why);
    return NULL;
}

/* Under p->mu: take the request and start the thread. */
static int
panel_launch(struct panel *p, const char *profile, const char *const *to,
             size_t nto, struct errbuf *why)
{
    if (p->thread_live) { /* the previous scan ended: reap its thread */
        pthread_join(p->thread, NULL);
        p->thread_live = false;
    }
    (void)snprintf(p->profile, sizeof p->profile, "%s", profile);
    for (p->nto = 0; p->nto < nto && p->nto + 1 < SCANJOB_MAX_TO; p->nto++)
        (void)snprintf(p->to[p->nto], sizeof p->to[p->nto], "%s",
                       to[p->nto]);
    atomic_store(&p->cancel, false);
    p->last.phase = WEB_SCAN_SCANNING;
    p->last.pages = 0;
    p->last.job[0] = p->last.detail[0] = '\0';
    (void)snprintf(p->last.profile, sizeof p->last.profile, "%s", profile);
    if (pthread_create(&p->thread, NULL, panel_scan_thread, p) != 0) {
        p->last.phase = WEB_SCAN_ERROR;
        return errbuf_set(why, ERR_TEMP, NULL, "cannot start a scan thread");
    }
    p->scanning = p->thread_live = true;
    return 0;
}

static int
panel_scan_start(void *arg, const char *profile, const char *const *to,
                 size_t nto, struct errbuf *why)
{
    struct panel *p = arg;
    const struct config *cf = snapshot_get();
    bool known = cf != NULL && config_profile_find(cf, profile) != NULL;
    int rc;

    snapshot_put(cf);
    if (!known)
        return errbuf_set(why, ERR_PERM, NULL, "no scan profile '%s'", profile);
    if (nto + 1 > SCANJOB_MAX_TO)
        return errbuf_set(why, ERR_PERM, NULL, "at most %d recipients",
                          SCANJOB_MAX_TO - 1);
    pthread_mutex_lock(&p->mu);
    if (p->scanning)
        rc = errbuf_set(why, ERR_TEMP, NULL,
                        "scanner busy: a scan with profile %s is in progress",
                        p->last.profile);
    else
        rc = panel_launch(p, profile, to, nto, why);
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* One look at the buttons; a press starts a scan with the button profile.
 * seen: the previous reading; err: the last error logged (not repeated). */
static void
panel_button_poll(struct panel *p, struct scan_buttons *seen, char *err,
                  size_t errlen)
{
    const struct config *cf = snapshot_get();
    const struct config_scan_profile *prof = NULL;
    struct scan_buttons now;
    struct scan_report rep;
    struct scan_opts o = {0};
    struct errbuf why;
    int hit;

    if (cf != NULL && cf->scanner_button_profile != NULL)
        prof = config_profile_find(cf, cf->scanner_button_profile);
    if (prof == NULL || p->scanning) { /* p->scanning: racy read is fine */
        snapshot_put(cf);
        return;
    }
    /* in a reader process, like a scan: the daemon never initialises SANE */
    o.device = prof->device && prof->device[0] ? prof->device
                                               : cf->scanner_device;
    o.lock_dir = queue_spool_dir(p->q);
    o.stall_s = cf->scanner_stall_s;
    o.close_s = cf->scanner_close_s;
    if (scanproc_buttons(&o, &now, &rep, &why) == -1) {
        if (rep.result != SCAN_BUSY && strcmp(err, why.text) != 0) {
            log_warn("scanner buttons: %s", why.text);
            (void)snprintf(err, errlen, "%s", why.text);
        }
        snapshot_put(cf);
        return;
    }
    if (err[0] != '\0' || now.n != seen->n) {
        log_info("scanner buttons: watching %d button(s)%s%s for profile %s",
                 now.n, now.n ? ", the first " : "", now.n ? now.name[0] : "",
                 prof->name);
        err[0] = '\0';
    }
    /* the first reading only sets the baseline: a button held down while
     * the daemon starts is no press */
    hit = seen->n < 0 ? -1 : scan_buttons_pressed(seen, &now);
    if (hit >= 0) {
        log_info("scanner button %s pressed: scan with profile %s",
                 now.name[hit], prof->name);
        if (panel_scan_start(p, prof->name, NULL, 0, &why) != 0)
            log_warn("scanner button %s: %s", now.name[hit], why.text);
    }
    *seen = now;
    snapshot_put(cf);
}

static void *
panel_button_thread(void *arg)
{
    struct panel *p = arg;
    struct scan_buttons seen = {.n = -1}; /* first reading is logged */
    char err[WEB_TEXT_MAX] = "";

    pthread_mutex_lock(&p->mu);
    while (!p->stopping) {
        const struct config *cf = snapshot_get();
        int ms = cf ? cf->scanner_button_poll_ms : 1000;
        struct timespec until;

        snapshot_put(cf);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += ms / 1000;
        until.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        (void)pthread_cond_timedwait(&p->wake, &p->mu, &until);
        if (p->stopping)
            break;
        pthread_mutex_unlock(&p->mu);
        panel_button_poll(p, &seen, err, sizeof err);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct panel *
panel_init(struct queue *q, struct lines *lines, struct metrics *m,
           const struct config *cf)
{
    struct panel *p = xcalloc(1, sizeof *p);

    p->q = q;
    p->lines = lines;
    p->metrics = m;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->done, NULL);
    pthread_cond_init(&p->wake, NULL);
    atomic_init(&p->cancel, false);
    p->last.phase = WEB_SCAN_IDLE;
    if (cf->n_profiles > 0)
        p->button_live = pthread_create(&p->button_thread, NULL,
                                        panel_button_thread, p) == 0;
    return p;
}

void
panel_sources(struct panel *p, struct web_sources *src)
{
    src->arg = p;
    src->lines = panel_lines;
    src->line_calls = panel_line_calls;
    src->scanner = panel_scanner;
    src->scan_start = panel_scan_start;
}

void
panel_free(struct panel *p)
{
    struct timespec until;

    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu); /* no button starts a scan after this */
    p->stopping = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    if (p->button_live)
        pthread_join(p->button_thread, NULL);
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += PANEL_DRAIN_S;
    pthread_mutex_lock(&p->mu);
    while (p->scanning)
        if (pthread_cond_timedwait(&p->done, &p->mu, &until) != 0) {
            log_warn("stopping: the scan outlived %d s; cancelled",
                     PANEL_DRAIN_S);
            atomic_store(&p->cancel, true);
            break;
        }
    pthread_mutex_unlock(&p->mu);
    if (p->thread_live)
        pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

/* router - routes decide a job's recipients; contract in router.h */
#include "gateway/spool/router.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conf/route.h"
#include "conf/snapshot.h"

static int
router_minute_of_day(int64_t epoch_ms)
{
    time_t t = (time_t)(epoch_ms / 1000);
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL)
        return -1;
    return tm.tm_hour * 60 + tm.tm_min;
}

static enum rcpt_tls
router_tls(enum config_tls t)
{
    switch (t) {
    case CONFIG_TLS_NONE:
        return RCPT_TLS_NONE;
    case CONFIG_TLS_OPPORTUNISTIC:
        return RCPT_TLS_OPPORTUNISTIC;
    case CONFIG_TLS_REQUIRED:
        return RCPT_TLS_REQUIRED;
    }
    return RCPT_TLS_DEFAULT;
}

static enum rcpt_format
router_format(enum config_format f)
{
    switch (f) {
    case CONFIG_FORMAT_PDF:
        return RCPT_FMT_PDF;
    case CONFIG_FORMAT_TIFF:
        return RCPT_FMT_TIFF;
    case CONFIG_FORMAT_TIFF_S:
        return RCPT_FMT_TIFF_S;
    case CONFIG_FORMAT_AUTO:
        break;
    }
    return RCPT_FMT_AUTO;
}

/* The rcpt_spec of a config recipient; host (300 bytes) holds the pin. */
static void
router_spec(const struct config_recipient *c, struct rcpt_spec *s, char *host,
            size_t n)
{
    memset(s, 0, sizeof *s);
    s->address = c->address;
    s->mode = c->mode == CONFIG_SMTP_RELAY ? RCPT_MODE_RELAY : RCPT_MODE_DIRECT;
    s->format = router_format(c->format);
    s->tls = router_tls(c->tls);
    s->mdn = c->mdn;
    if (c->host) {
        (void)snprintf(host, n, strchr(c->host, ':') ? "[%s]:%d" : "%s:%d",
                       c->host, c->port ? c->port : 25);
        s->host = host;
    }
}

int
router_apply_meta(const struct config_route *r, struct job *j,
                  struct errbuf *why)
{
    char subject[CONFIG_SUBJECT_MAX + 1], when[32];
    time_t t = (time_t)(j->created_ms / 1000);
    struct tm tm;
    struct route_vars v = {
        .csid = j->csid, .caller = j->caller, .called = j->called,
        .line = j->line, .source = j->source, .job = j->id, .time = when,
        .pages = j->pages,
    };

    if (localtime_r(&t, &tm) == NULL ||
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm) == 0)
        (void)snprintf(when, sizeof when, "?");
    route_subject(r, &v, subject, sizeof subject);
    return job_set_route(j, r->name, subject, r->notify, why);
}

static int
router_apply(const struct config_route *r, struct job *j, struct errbuf *why)
{
    for (int i = 0; i < r->n_recipients; i++) {
        char host[300];
        struct rcpt_spec s;

        router_spec(&r->recipients[i], &s, host, sizeof host);
        if (job_add_rcpt(j, &s, why) == -1)
            return -1;
    }
    return router_apply_meta(r, j, why);
}

static const struct config_recipient *
router_rcpt_in(const struct config_route *r, const char *address)
{
    for (int i = 0; r != NULL && i < r->n_recipients; i++)
        if (strcasecmp(r->recipients[i].address, address) == 0)
            return &r->recipients[i];
    return NULL;
}

int
router_rcpt_settings(const struct config *cf, const struct config_route *r,
                     const char *address, struct rcpt_spec *out, char *host,
                     size_t n)
{
    const struct config_recipient *c = router_rcpt_in(r, address);
    int found = c != NULL ? 1 : 0;

    for (int i = 0; c == NULL && i < cf->n_routes; i++)
        if ((c = router_rcpt_in(&cf->routes[i], address)) != NULL)
            found = 2;
    if (c != NULL) {
        router_spec(c, out, host, n);
        out->address = address;
        return found;
    }
    memset(out, 0, sizeof *out);
    out->address = address;
    out->mode = cf->smtp.mode == CONFIG_SMTP_RELAY ? RCPT_MODE_RELAY
                                                   : RCPT_MODE_DIRECT;
    return 0;
}

const struct config_route *
router_find(const struct config *cf, const struct job *j, char *explain,
            size_t n)
{
    char source[CONFIG_NAME_MAX + 8];

    if (j->source && strcmp(j->source, "scan") == 0) {
        const struct config_scan_profile *p =
            config_profile_find(cf, j->line ? j->line : "");

        if (p && p->route) {
            (void)snprintf(explain, n, "scan profile %s names route %s",
                           p->name, p->route->name);
            return p->route;
        }
        (void)snprintf(source, sizeof source, "scan:%s", j->line ? j->line : "");
    } else {
        (void)snprintf(source, sizeof source, "%s", j->line ? j->line : "");
    }
    struct route_query q = {
        .source = source, .line = j->line, .called = j->called,
        .caller = j->caller, .csid = j->csid,
        .minute_of_day = router_minute_of_day(j->created_ms),
    };
    return route_match(cf, &q, explain, n);
}

int
router_route_job(void *arg, struct job *j, struct errbuf *why)
{
    const struct config *cf = snapshot_get();
    const struct config_route *r;
    char explain[256];
    int rc;

    (void)arg;
    if (cf == NULL)
        return errbuf_set(why, ERR_TEMP, NULL, "no configuration in force");
    r = router_find(cf, j, explain, sizeof explain);
    if (r == NULL) {
        snapshot_put(cf);
        return errbuf_set(why, ERR_PERM, NULL, "%s", explain); /* "no route matched [...]" */
    }
    rc = router_apply(r, j, why);
    snapshot_put(cf);
    return rc;
}

bool
router_should_answer(const char *line, const char *called, const char *caller,
                     char *why, size_t why_len)
{
    const struct config *cf = snapshot_get();
    const struct config_route *r;
    struct timespec now;
    struct route_query q = {.source = line, .line = line, .called = called,
                            .caller = caller, .csid = NULL};
    bool answer;

    if (cf == NULL)
        return false;
    clock_gettime(CLOCK_REALTIME, &now);
    q.minute_of_day = router_minute_of_day((int64_t)now.tv_sec * 1000);
    r = route_match(cf, &q, why, why_len);
    answer = !(r && r->reject);
    snapshot_put(cf);
    return answer;
}

/* router - routes decide a job's recipients; contract in router.h */
#include "gateway/router.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf/config.h"
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

static int
router_apply(const struct config_route *r, struct job *j, struct errbuf *why)
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
    for (int i = 0; i < r->n_recipients; i++) {
        const struct config_recipient *c = &r->recipients[i];
        char host[300];
        struct rcpt_spec s = {
            .address = c->address,
            .mode = c->mode == CONFIG_SMTP_RELAY ? RCPT_MODE_RELAY
                                                 : RCPT_MODE_DIRECT,
            .format = router_format(c->format),
            .tls = router_tls(c->tls),
            .mdn = c->mdn,
        };
        if (c->host) {
            (void)snprintf(host, sizeof host,
                           strchr(c->host, ':') ? "[%s]:%d" : "%s:%d",
                           c->host, c->port ? c->port : 25);
            s.host = host;
        }
        if (job_add_rcpt(j, &s, why) == -1)
            return -1;
    }
    route_subject(r, &v, subject, sizeof subject);
    return job_set_route(j, r->name, subject, r->notify, why);
}

int
router_route_job(void *arg, struct job *j, struct errbuf *why)
{
    const struct config *cf = snapshot_get();
    const struct config_route *r = NULL;
    char source[CONFIG_NAME_MAX + 8], explain[256];
    int rc;

    (void)arg;
    if (cf == NULL)
        return errbuf_set(why, ERR_TEMP, NULL, "no configuration in force");
    if (j->source && strcmp(j->source, "scan") == 0) {
        const struct config_scan_profile *p =
            config_profile_find(cf, j->line ? j->line : "");

        if (p && p->route)
            r = p->route;
        (void)snprintf(source, sizeof source, "scan:%s", j->line ? j->line : "");
    } else {
        (void)snprintf(source, sizeof source, "%s", j->line ? j->line : "");
    }
    if (r == NULL) {
        struct route_query q = {
            .source = source, .line = j->line, .called = j->called,
            .caller = j->caller, .csid = j->csid,
            .minute_of_day = router_minute_of_day(j->created_ms),
        };
        r = route_match(cf, &q, explain, sizeof explain);
        if (r == NULL) {
            snapshot_put(cf);
            return errbuf_set(why, ERR_PERM, NULL, "no route matched: %s",
                              explain);
        }
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

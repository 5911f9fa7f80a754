/* web_api - JSON API handlers; see web_api.h */
#define _GNU_SOURCE /* realpath, strcasestr */
#include "gateway/web/web_api.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gateway/util/farend.h"
#include "gateway/util/xalloc.h"
#include "gateway/web/web_auth.h"
#include "gateway/web/web_calls.h"

#define TYPE_JSON          "application/json"
#define TYPE_TEXT          "text/plain; charset=utf-8"
#define TYPE_PNG           "image/png"
#define LIST_LIMIT_DEFAULT 50

static const char *const state_names[WEB_JOB_STATE_COUNT] = {
    [WEB_JOB_INCOMING] = "incoming",
    [WEB_JOB_QUEUE] = "queue",
    [WEB_JOB_DONE] = "done",
    [WEB_JOB_FAILED] = "failed",
};

const char *
web_job_state_name(enum web_job_state st)
{
    return (unsigned)st < WEB_JOB_STATE_COUNT ? state_names[st] : "?";
}

int
web_job_state_parse(const char *name)
{
    for (int i = 0; name != NULL && i < WEB_JOB_STATE_COUNT; i++)
        if (strcmp(name, state_names[i]) == 0)
            return i;
    return -1;
}

const char *
web_line_phase_name(enum web_line_phase p)
{
    switch (p) {
    case WEB_LINE_DOWN:
        return "down";
    case WEB_LINE_IDLE:
        return "idle";
    case WEB_LINE_RINGING:
        return "ringing";
    case WEB_LINE_ANSWERING:
        return "answering";
    case WEB_LINE_TRAINING:
        return "training";
    case WEB_LINE_RECEIVING:
        return "receiving";
    case WEB_LINE_ERROR:
        return "error";
    }
    return "?";
}

const char *
web_scan_phase_name(enum web_scan_phase p)
{
    switch (p) {
    case WEB_SCAN_ABSENT:
        return "absent";
    case WEB_SCAN_IDLE:
        return "idle";
    case WEB_SCAN_SCANNING:
        return "scanning";
    case WEB_SCAN_ERROR:
        return "error";
    }
    return "?";
}

int
web_api_json(struct web_reply *out, int status, json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT);

    json_decref(obj);
    if (s == NULL)
        IFX_BUG("json_dumps failed");
    out->status = status;
    out->type = TYPE_JSON;
    out->body = s;
    out->len = strlen(s);
    return 0;
}

int
web_api_error(struct web_reply *out, int status, const char *fmt, ...)
{
    char text[ERRBUF_TEXT_MAX], utf8[FAREND_UTF8_SIZE(ERRBUF_TEXT_MAX)];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    /* the message may quote what a client sent, and vsnprintf may cut a
     * character in two: jansson takes only valid UTF-8 */
    web_api_json(out, status,
                 json_pack("{s:s}", "error",
                           farend_utf8(text, utf8, sizeof utf8)));
    return 0;
}

/* Map a queue handler's result to a reply; 1 when it failed (reply set). */
static int
handler_failed(struct web_reply *out, int rc, const struct errbuf *why)
{
    switch (rc) {
    case 0:
        return 0;
    case WEB_NOT_FOUND:
        web_api_error(out, 404, "no such job");
        return 1;
    case WEB_CONFLICT:
        web_api_error(out, 409, "%s", why->text);
        return 1;
    default:
        web_api_error(out, why->cls == ERR_PERM ? 422 : 503, "%s", why->text);
        return 1;
    }
}

/* Far-end text that may not be UTF-8: kept, bytes that are not valid
 * shown as \xNN (jansson refuses invalid UTF-8 outright). */
static json_t *
text_json(const char *s)
{
    char buf[4 * WEB_NAME_MAX + 1];
    size_t o = 0;
    json_t *j = json_string(s);

    if (j != NULL)
        return j;
    for (const unsigned char *p = (const unsigned char *)s;
         *p && o + 5 < sizeof buf; p++)
        o += (size_t)snprintf(buf + o, sizeof buf - o,
                              *p < 0x80 ? "%c" : "\\x%02X", *p);
    buf[o] = '\0';
    return json_string(buf);
}

static json_t *
call_json(const struct web_call *c)
{
    json_t *o;

    if (c->time_s == 0)
        return json_null();
    o = json_pack("{s:I,s:i,s:s}", "time", (json_int_t)c->time_s, "pages",
                  c->pages, "job", c->job);
    json_object_set_new(o, "csid", text_json(c->csid));
    json_object_set_new(o, "caller_id", text_json(c->caller));
    json_object_set_new(o, "result", text_json(c->result));
    return o;
}

/* A line of many calls: one object per call in progress. */
static json_t *
line_calls_json(const struct web_sources *src, size_t i,
                struct web_line_call *buf)
{
    json_t *arr = json_array();
    size_t n;

    if (src->line_calls == NULL)
        return arr;
    n = src->line_calls(src->arg, i, buf, WEB_LINE_CALLS_MAX);
    for (size_t k = 0; k < n && k < WEB_LINE_CALLS_MAX; k++) {
        const struct web_line_call *c = &buf[k];
        json_t *o = json_pack(
            "{s:s,s:s,s:i,s:i,s:i,s:I,s:I}", "uuid", c->id, "state",
            web_line_phase_name(c->phase), "page", c->page, "bit_rate",
            c->bit_rate, "training_rate", c->training_rate, "started_ms",
            (json_int_t)c->start_ms, "progress_ms", (json_int_t)c->progress_ms);

        json_object_set_new(o, "caller", text_json(c->caller));
        json_object_set_new(o, "called", text_json(c->called));
        json_object_set_new(o, "csid", text_json(c->csid));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *
lines_json(const struct web_sources *src, int64_t now_s)
{
    json_t *arr = json_array();
    struct web_line *lines;
    struct web_line_call *calls = NULL;
    size_t n;

    (void)now_s; /* the page computes elapsed times from "now" */
    if (src->lines == NULL)
        return arr;
    lines = xcalloc(WEB_LINES_MAX, sizeof *lines);
    n = src->lines(src->arg, lines, WEB_LINES_MAX);
    for (size_t i = 0; i < n && i < WEB_LINES_MAX; i++) {
        const struct web_line *l = &lines[i];

        json_t *o = json_pack("{s:s,s:s,s:i,s:i,s:i,s:s,s:o}", "name",
                              l->name, "state", web_line_phase_name(l->phase),
                              "page", l->page, "bit_rate", l->rate_bps,
                              "rate", l->rate_bps, "detail", l->detail,
                              "last_call", call_json(&l->last));

        json_object_set_new(o, "caller_id", text_json(l->caller_id));
        json_object_set_new(o, "called_number", text_json(l->called));
        json_object_set_new(o, "remote_csid", text_json(l->csid));
        json_object_set_new(o, "call_start_ms",
                            json_integer((json_int_t)l->call_start_ms));
        json_object_set_new(o, "last_progress_ms",
                            json_integer((json_int_t)l->last_progress_ms));
        if (l->max_calls > 0) { /* only lines of many calls have a list */
            if (calls == NULL)
                calls = xcalloc(WEB_LINE_CALLS_MAX, sizeof *calls);
            json_object_set_new(o, "max_calls", json_integer(l->max_calls));
            json_object_set_new(o, "calls", line_calls_json(src, i, calls));
        }
        json_array_append_new(arr, o);
    }
    free(calls);
    free(lines);
    return arr;
}

static json_t *
scanner_json(const struct web_sources *src)
{
    struct web_scanner s;
    json_t *profiles = json_array();

    memset(&s, 0, sizeof s);
    s.phase = WEB_SCAN_ABSENT;
    if (src->scanner != NULL)
        src->scanner(src->arg, &s);
    for (size_t i = 0; i < s.nprofiles && i < WEB_PROFILES_MAX; i++)
        json_array_append_new(profiles, json_string(s.profiles[i]));
    return json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:o,s:b}", "state",
                     web_scan_phase_name(s.phase), "device", s.device,
                     "profile", s.profile, "pages", s.pages, "job", s.job,
                     "detail", s.detail, "profiles", profiles, "can_start",
                     src->scan_start != NULL);
}

json_t *
web_api_status_json(const struct web_api_env *env, int64_t now_s,
                    struct errbuf *why)
{
    const struct web_sources *src = env->src;
    struct web_counts c;
    json_t *queue;

    memset(&c, 0, sizeof c);
    if (src->counts != NULL && src->counts(src->queue_arg, &c, why) != 0)
        return NULL;
    queue = json_object();
    for (int i = 0; i < WEB_JOB_STATE_COUNT; i++)
        json_object_set_new(queue, state_names[i],
                            json_integer((json_int_t)c.jobs[i]));
    json_object_set_new(queue, "deferred",
                        json_integer((json_int_t)c.deferred));
    return json_pack("{s:I,s:o,s:o,s:o}", "now", (json_int_t)now_s, "lines",
                     lines_json(src, now_s), "scanner", scanner_json(src),
                     "queue", queue);
}

static int
api_status(const struct web_api_env *env, int64_t now_s, struct web_reply *out)
{
    struct errbuf why;
    json_t *st;

    errbuf_clear(&why);
    if ((st = web_api_status_json(env, now_s, &why)) == NULL)
        return web_api_error(out, 503, "queue: %s", why.text);
    return web_api_json(out, 200, st);
}

long
web_api_parse_uint(const char *s, long lo, long hi)
{
    long v = 0;

    if (s == NULL || *s == '\0' || strlen(s) > 12)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = 10 * v + (*s - '0');
    }
    return (v < lo || v > hi) ? -1 : v;
}

static bool
has_ci(const char *hay, const char *needle)
{
    return hay != NULL && strcasestr(hay, needle) != NULL;
}

static const char *
jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

bool
web_job_matches(const json_t *job, const struct web_job_filter *f)
{
    json_int_t t = json_integer_value(json_object_get(job, "time"));
    const json_t *r;
    size_t i;

    if (f->line != NULL && f->line[0] != '\0' &&
        (jstr(job, "line") == NULL || strcmp(jstr(job, "line"), f->line) != 0))
        return false;
    if ((f->from_s > 0 && t < f->from_s) || (f->to_s > 0 && t >= f->to_s))
        return false;
    if (f->q == NULL || f->q[0] == '\0')
        return true;
    if (has_ci(jstr(job, "id"), f->q) || has_ci(jstr(job, "csid"), f->q) ||
        has_ci(jstr(job, "caller_id"), f->q) ||
        has_ci(jstr(job, "called"), f->q))
        return true;
    json_array_foreach(json_object_get(job, "recipients"), i, r)
    {
        if (has_ci(jstr(r, "address"), f->q))
            return true;
    }
    return false;
}

/* Parse state, q, line, from, to into f; 0, or -1 with the reply set. */
static int
parse_filter(const struct web_api_request *rq, struct web_job_filter *f,
             struct web_reply *out)
{
    const char *st_s = rq->query(rq->ctx, "state");
    const char *from_s = rq->query(rq->ctx, "from");
    const char *to_s = rq->query(rq->ctx, "to");
    int st = WEB_JOB_QUEUE;
    char *end;

    memset(f, 0, sizeof *f);
    if (st_s != NULL && (st = web_job_state_parse(st_s)) < 0)
        return web_api_error(out, 400,
                             "state: one of incoming, queue, done, failed"),
               -1;
    f->state = (enum web_job_state)st;
    f->q = rq->query(rq->ctx, "q");
    f->line = rq->query(rq->ctx, "line");
    if ((f->q != NULL && strlen(f->q) > WEB_QUERY_MAX) ||
        (f->line != NULL && strlen(f->line) > WEB_NAME_MAX))
        return web_api_error(out, 400, "q, line: at most %d characters",
                             WEB_QUERY_MAX),
               -1;
    if (from_s != NULL && from_s[0] != '\0') {
        f->from_s = strtoll(from_s, &end, 10);
        if (*end != '\0' || f->from_s < 0)
            return web_api_error(out, 400, "from: Unix seconds"), -1;
    }
    if (to_s != NULL && to_s[0] != '\0') {
        f->to_s = strtoll(to_s, &end, 10);
        if (*end != '\0' || f->to_s < 0)
            return web_api_error(out, 400, "to: Unix seconds"), -1;
    }
    return 0;
}

static int
api_jobs_list(const struct web_api_env *env, const struct web_api_request *rq,
              struct web_reply *out)
{
    const struct web_sources *src = env->src;
    const char *lim_s = rq->query(rq->ctx, "limit");
    const char *off_s = rq->query(rq->ctx, "offset");
    long limit = LIST_LIMIT_DEFAULT, offset = 0;
    struct web_job_filter f;
    json_t *jobs = NULL;
    size_t total = 0;
    struct errbuf why;

    if (parse_filter(rq, &f, out) != 0)
        return 0;
    if (lim_s != NULL && (limit = web_api_parse_uint(lim_s, 1, WEB_LIST_LIMIT_MAX)) < 0)
        return web_api_error(out, 400, "limit: 1 to %d", WEB_LIST_LIMIT_MAX);
    if (off_s != NULL && (offset = web_api_parse_uint(off_s, 0, 100000000)) < 0)
        return web_api_error(out, 400, "offset: a number from 0");
    if (src->list == NULL)
        return web_api_error(out, 501, "no queue");
    errbuf_clear(&why);
    if (handler_failed(out,
                       src->list(src->queue_arg, &f, (size_t)limit,
                                 (size_t)offset, &jobs, &total, &why),
                       &why))
        return 0;
    web_api_json(out, 200,
                 json_pack("{s:s,s:I,s:i,s:i,s:o}", "state",
                           state_names[f.state], "total", (json_int_t)total,
                           "limit", (int)limit, "offset", (int)offset, "jobs",
                           jobs));
    return 0;
}

struct csv {
    char *p;
    size_t len, cap;
};

static void
csv_put(struct csv *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* One CSV field, RFC 4180 quoted; a leading = + - @ gets a ' so that a
 * spreadsheet never runs a hostile CSID as a formula. */
static void
csv_field(struct csv *b, const char *v, bool last)
{
    csv_put(b, "\"", 1);
    if (v != NULL && v[0] != '\0' && strchr("=+-@\t\r", v[0]) != NULL)
        csv_put(b, "'", 1);
    for (const char *c = v ? v : ""; *c; c++)
        csv_put(b, *c == '"' ? "\"\"" : c, *c == '"' ? 2 : 1);
    csv_put(b, last ? "\"\r\n" : "\",", last ? 3 : 2);
}

static void
csv_int(struct csv *b, json_int_t v)
{
    char num[32];

    (void)snprintf(num, sizeof num, "%lld", (long long)v);
    csv_field(b, num, false);
}

static void
csv_time(struct csv *b, json_int_t t)
{
    char ts[32] = "";
    time_t tt = (time_t)t;
    struct tm tm;

    if (t > 0 && gmtime_r(&tt, &tm) != NULL)
        (void)strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    csv_field(b, ts, false);
}

static void
csv_job(struct csv *b, const json_t *j)
{
    const json_t *rs = json_object_get(j, "recipients"), *r;
    struct csv to = {0}, states = {0};
    size_t i;

    csv_field(b, jstr(j, "id"), false);
    csv_field(b, jstr(j, "state"), false);
    csv_time(b, json_integer_value(json_object_get(j, "time")));
    csv_field(b, jstr(j, "source"), false);
    csv_field(b, jstr(j, "line"), false);
    csv_field(b, jstr(j, "csid"), false);
    csv_field(b, jstr(j, "caller_id"), false);
    csv_field(b, jstr(j, "called"), false);
    csv_int(b, json_integer_value(json_object_get(j, "pages")));
    csv_field(b, json_is_true(json_object_get(j, "partial")) ? "yes" : "",
              false);
    csv_field(b, jstr(j, "partial_reason"), false);
    csv_int(b, json_integer_value(json_object_get(j, "poor_pages")));
    json_array_foreach(rs, i, r)
    {
        const char *a = jstr(r, "address"), *st = jstr(r, "state");

        if (i > 0) {
            csv_put(&to, " ", 1);
            csv_put(&states, " ", 1);
        }
        csv_put(&to, a ? a : "", a ? strlen(a) : 0);
        csv_put(&states, st ? st : "", st ? strlen(st) : 0);
    }
    csv_field(b, to.p, false);
    csv_field(b, states.p, false);
    r = json_array_get(rs, 0);
    csv_field(b, r ? jstr(r, "reply") : "", true);
    free(to.p);
    free(states.p);
}

/* GET /api/jobs.csv: every job the filter matches (up to WEB_CSV_MAX). */
static int
api_jobs_csv(const struct web_api_env *env, const struct web_api_request *rq,
             struct web_reply *out)
{
    static const char head[] =
        "id,state,time_utc,source,line,csid,caller_id,called,pages,partial,"
        "partial_reason,poor_pages,recipients,recipient_states,reply\r\n";
    const struct web_sources *src = env->src;
    struct web_job_filter f;
    struct csv b = {0};
    size_t total = 0, off = 0, i;
    struct errbuf why;
    json_t *jobs, *j;

    if (parse_filter(rq, &f, out) != 0)
        return 0;
    if (src->list == NULL)
        return web_api_error(out, 501, "no queue");
    csv_put(&b, head, sizeof head - 1);
    do {
        jobs = NULL;
        errbuf_clear(&why);
        if (handler_failed(out,
                           src->list(src->queue_arg, &f, WEB_LIST_LIMIT_MAX,
                                     off, &jobs, &total, &why),
                           &why)) {
            free(b.p);
            return 0;
        }
        json_array_foreach(jobs, i, j) csv_job(&b, j);
        off += json_array_size(jobs);
        i = json_array_size(jobs);
        json_decref(jobs);
    } while (i > 0 && off < total && off < WEB_CSV_MAX);
    out->status = 200;
    out->type = "text/csv; charset=utf-8";
    out->body = b.p;
    out->len = b.len;
    return 0;
}

static int
api_job_show(const struct web_api_env *env, const char *id,
             struct web_reply *out)
{
    const struct web_sources *src = env->src;
    json_t *job = NULL;
    struct errbuf why;

    if (src->show == NULL)
        return web_api_error(out, 501, "no queue");
    errbuf_clear(&why);
    if (handler_failed(out, src->show(src->queue_arg, id, &job, &why), &why))
        return 0;
    web_api_json(out, 200, job);
    return 0;
}

static int
api_job_page(const struct web_api_env *env, const struct web_api_request *rq,
             const char *id, const char *rest, struct web_reply *out)
{
    const char *size = rq->query(rq->ctx, "size");
    int width = 0;
    const struct web_sources *src = env->src;
    char num[8];
    const char *dot = strchr(rest, '.');
    long page;
    unsigned char *png = NULL;
    size_t len = 0;
    struct errbuf why;

    if (dot == NULL || strcmp(dot, ".png") != 0 ||
        (size_t)(dot - rest) >= sizeof num)
        return web_api_error(out, 404, "no such page");
    memcpy(num, rest, (size_t)(dot - rest));
    num[dot - rest] = '\0';
    if ((page = web_api_parse_uint(num, 1, WEB_PAGE_MAX)) < 0)
        return web_api_error(out, 404, "no such page");
    if (size != NULL && strcmp(size, "full") == 0)
        width = WEB_PAGE_FULL_WIDTH;
    else if (size != NULL)
        return web_api_error(out, 404, "size: full, or none for a thumbnail");
    if (src->thumbnail == NULL)
        return web_api_error(out, 501, "no thumbnails");
    errbuf_clear(&why);
    if (handler_failed(out,
                       src->thumbnail(src->queue_arg, id, (int)page, width,
                                      &png, &len, &why),
                       &why))
        return 0;
    out->status = 200;
    out->type = TYPE_PNG;
    out->body = (char *)png;
    out->len = len;
    return 0;
}

/* GET /api/jobs/ID/pages.tif or pages.pdf: the whole job. */
static int
api_job_document(const struct web_api_env *env, const char *id,
                 const char *format, struct web_reply *out)
{
    const struct web_sources *src = env->src;
    unsigned char *data = NULL;
    size_t len = 0;
    struct errbuf why;

    if (src->document == NULL)
        return web_api_error(out, 501, "no documents");
    errbuf_clear(&why);
    if (handler_failed(out,
                       src->document(src->queue_arg, id, format, &data, &len,
                                     &why),
                       &why))
        return 0;
    out->status = 200;
    out->type = strcmp(format, "pdf") == 0 ? "application/pdf" : "image/tiff";
    out->body = (char *)data;
    out->len = len;
    return 0;
}

/* The job's directory, checked to resolve inside the spool; 0 or reply. */
static int
job_dir_checked(const struct web_api_env *env, const char *id, char *real,
                struct web_reply *out)
{
    const struct web_sources *src = env->src;
    char dir[PATH_MAX];
    size_t n;
    struct errbuf why;

    if (src->job_dir == NULL || env->spool_real == NULL) {
        web_api_error(out, 501, "no transcripts");
        return -1;
    }
    errbuf_clear(&why);
    if (handler_failed(
            out, src->job_dir(src->queue_arg, id, dir, sizeof dir, &why), &why))
        return -1;
    n = strlen(env->spool_real);
    if (realpath(dir, real) == NULL) {
        web_api_error(out, 404, "no such job");
        return -1;
    }
    if (strncmp(real, env->spool_real, n) != 0 || real[n] != '/') {
        web_api_error(out, 403, "job directory outside the spool");
        return -1;
    }
    return 0;
}

/* Read at most the last WEB_LOG_MAX bytes of fd into out. */
static int
read_tail(int fd, struct web_reply *out)
{
    struct stat st;
    off_t start = 0;
    size_t len, got = 0;
    char *buf;

    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
        return -1;
    if (st.st_size > WEB_LOG_MAX)
        start = st.st_size - WEB_LOG_MAX;
    len = (size_t)(st.st_size - start);
    buf = xmalloc(len + 1);
    while (got < len) {
        ssize_t r = pread(fd, buf + got, len - got, start + (off_t)got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    buf[got] = '\0';
    out->status = 200;
    out->type = TYPE_TEXT;
    out->body = buf;
    out->len = got;
    return 0;
}

static int
api_job_log(const struct web_api_env *env, const char *id, const char *which,
            struct web_reply *out)
{
    char real[PATH_MAX];
    const char *file;
    int dfd, fd;

    if (strcmp(which, "t30") == 0)
        file = "t30.log";
    else if (strcmp(which, "smtp") == 0)
        file = "smtp.log";
    else
        return web_api_error(out, 404, "logs: t30 or smtp");
    if (job_dir_checked(env, id, real, out) != 0)
        return 0;
    dfd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd == -1)
        return web_api_error(out, 404, "no such job");
    fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    close(dfd);
    if (fd == -1)
        return web_api_error(out, 404, "no %s transcript", which);
    if (read_tail(fd, out) != 0)
        web_api_error(out, 404, "no %s transcript", which);
    close(fd);
    return 0;
}

static bool
local_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || strchr(".!#$%&'*+/=?^_`{|}~-", c);
}

/* A plain RFC 5321 Mailbox: dot-atom local part, host name or [literal].
 * Anything else (quotes, spaces, CR/LF, <>) is refused outright. */
static bool
address_ok(const char *a)
{
    const char *at = strrchr(a, '@');
    const char *p;

    if (at == NULL || at == a || at[1] == '\0' || strlen(a) > WEB_ADDRESS_MAX)
        return false;
    for (p = a; p < at; p++)
        if (!local_char_ok(*p))
            return false;
    if (at[1] == '[')
        return strspn(at + 2, "0123456789.:abcdefABCDEFIPv") ==
                   strlen(at + 2) - 1 &&
               at[strlen(at) - 1] == ']';
    for (p = at + 1; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
            return false;
    return true;
}

/* Parse the body as a JSON object; NULL with the reply set. */
static json_t *
body_object(const struct web_api_request *rq, struct web_reply *out)
{
    json_error_t err;
    json_t *obj;

    if (rq->body == NULL || rq->body_len == 0) {
        web_api_error(out, 400, "a JSON object body is required");
        return NULL;
    }
    obj = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &err);
    if (obj == NULL) {
        web_api_error(out, 400, "bad JSON at line %d column %d: %s", err.line,
                      err.column, err.text);
        return NULL;
    }
    if (!json_is_object(obj)) {
        json_decref(obj);
        web_api_error(out, 400, "a JSON object body is required");
        return NULL;
    }
    return obj;
}

static int
api_job_action(const struct web_api_env *env, const struct web_api_request *rq,
               const char *id, const char *action, struct web_reply *out)
{
    const struct web_sources *src = env->src;
    struct errbuf why;
    char new_id[WEB_JOB_ID_MAX] = "";
    int rc;

    errbuf_clear(&why);
    if (strcmp(action, "retry") == 0) {
        if (src->retry == NULL)
            return web_api_error(out, 501, "no queue");
        rc = src->retry(src->queue_arg, id, &why);
    } else if (strcmp(action, "delete") == 0) {
        if (src->remove == NULL)
            return web_api_error(out, 501, "no queue");
        rc = src->remove(src->queue_arg, id, &why);
    } else if (strcmp(action, "resend") == 0) {
        json_t *obj = body_object(rq, out);
        const char *to = NULL;

        if (obj == NULL)
            return 0;
        if (json_unpack(obj, "{s:s}", "to", &to) != 0 || !address_ok(to)) {
            json_decref(obj);
            return web_api_error(out, 422, "to: one address like fax@host");
        }
        if (src->resend == NULL) {
            json_decref(obj);
            return web_api_error(out, 501, "no queue");
        }
        rc = src->resend(src->queue_arg, id, to, new_id, &why);
        json_decref(obj);
    } else {
        return web_api_error(out, 404, "no such action");
    }
    if (handler_failed(out, rc, &why))
        return 0;
    if (new_id[0]) /* resend: the new job, and the one it came from */
        web_api_json(out, 200,
                     json_pack("{s:b,s:s,s:s,s:s}", "ok", 1, "id", new_id,
                               "resent_from", id, "action", action));
    else
        web_api_json(out, 200,
                     json_pack("{s:b,s:s,s:s}", "ok", 1, "id", id, "action",
                               action));
    return 0;
}

static int
api_scan(const struct web_api_env *env, const struct web_api_request *rq,
         struct web_reply *out)
{
    const struct web_sources *src = env->src;
    const char *to[WEB_RECIPIENTS_MAX];
    const char *profile = NULL;
    json_t *obj, *arr = NULL, *v;
    size_t nto = 0, i;
    struct errbuf why;

    if ((obj = body_object(rq, out)) == NULL)
        return 0;
    if (json_unpack(obj, "{s:s,s?o}", "profile", &profile, "to", &arr) != 0 ||
        strlen(profile) >= WEB_NAME_MAX || (arr && !json_is_array(arr)) ||
        (arr && json_array_size(arr) > WEB_RECIPIENTS_MAX)) {
        json_decref(obj);
        return web_api_error(out, 422,
                             "need profile (string) and optional to (array "
                             "of up to %d addresses)",
                             WEB_RECIPIENTS_MAX);
    }
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v) || !address_ok(json_string_value(v))) {
            json_decref(obj);
            return web_api_error(out, 422, "to[%zu]: not an address", i);
        }
        to[nto++] = json_string_value(v);
    }
    if (src->scan_start == NULL) {
        json_decref(obj);
        return web_api_error(out, 501, "no scanner");
    }
    errbuf_clear(&why);
    if (src->scan_start(src->arg, profile, to, nto, &why) != 0) {
        json_decref(obj);
        return web_api_error(out, why.cls == ERR_PERM ? 422 : 409, "%s",
                             why.text);
    }
    web_api_json(out, 202, json_pack("{s:b,s:s}", "ok", 1, "profile", profile));
    json_decref(obj);
    return 0;
}

/* /api/jobs/ID[/rest]: split and validate the id. */
static int
api_job(const struct web_api_env *env, const struct web_api_request *rq,
        const char *tail, struct web_reply *out)
{
    char id[WEB_JOB_ID_MAX + 1];
    const char *slash = strchr(tail, '/');
    size_t n = slash ? (size_t)(slash - tail) : strlen(tail);
    const char *rest = slash ? slash + 1 : "";
    bool get =
        strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;

    if (n == 0 || n > WEB_JOB_ID_MAX)
        return web_api_error(out, 404, "bad job id");
    memcpy(id, tail, n);
    id[n] = '\0';
    if (!web_auth_job_id_ok(id))
        return web_api_error(out, 404, "bad job id");
    if (get && rest[0] == '\0')
        return api_job_show(env, id, out);
    if (get && strncmp(rest, "pages/", 6) == 0)
        return api_job_page(env, rq, id, rest + 6, out);
    if (get && (strcmp(rest, "pages.tif") == 0 || strcmp(rest, "pages.pdf") == 0))
        return api_job_document(env, id, rest + 6, out);
    if (get && strncmp(rest, "log/", 4) == 0)
        return api_job_log(env, id, rest + 4, out);
    if (strcmp(rq->method, "DELETE") == 0 && rest[0] == '\0')
        return api_job_action(env, rq, id, "delete", out);
    if (strcmp(rq->method, "POST") == 0 && strchr(rest, '/') == NULL &&
        rest[0] != '\0')
        return api_job_action(env, rq, id, rest, out);
    web_api_error(out, get ? 404 : 405, "no such resource");
    return 0;
}

void
web_api_handle(const struct web_api_env *env, const struct web_api_request *rq,
               struct web_reply *out)
{
    const char *p = rq->path;
    bool get =
        strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;

    if (strcmp(p, "/api/status") == 0)
        (void)(get ? api_status(env, rq->now_s, out)
                   : web_api_error(out, 405, "GET only"));
    else if (strcmp(p, "/api/jobs") == 0)
        (void)(get ? api_jobs_list(env, rq, out)
                   : web_api_error(out, 405, "GET only"));
    else if (strcmp(p, "/api/jobs.csv") == 0)
        (void)(get ? api_jobs_csv(env, rq, out)
                   : web_api_error(out, 405, "GET only"));
    else if (strncmp(p, "/api/jobs/", 10) == 0)
        (void)api_job(env, rq, p + 10, out);
    else if (strncmp(p, "/api/calls", 10) == 0)
        web_calls_handle(env, rq, out);
    else if (strcmp(p, "/api/scan") == 0)
        (void)(strcmp(rq->method, "POST") == 0
                   ? api_scan(env, rq, out)
                   : web_api_error(out, 405, "POST only"));
    else
        (void)web_api_error(out, 404, "no such resource");
}

void
web_api_metrics(const struct web_api_env *env, int64_t now_s,
                struct web_reply *out)
{
    const struct web_sources *src = env->src;
    struct metrics_queue q[WEB_JOB_STATE_COUNT];
    struct web_counts c;
    struct errbuf why;
    size_t nq = 0;

    memset(&c, 0, sizeof c);
    errbuf_clear(&why);
    if (src->counts != NULL && src->counts(src->queue_arg, &c, &why) == 0) {
        for (int i = 0; i < WEB_JOB_STATE_COUNT; i++) {
            q[nq].state = state_names[i];
            q[nq].jobs = c.jobs[i];
            q[nq].oldest_age_s = c.oldest_s[i] > 0 && now_s > c.oldest_s[i]
                                     ? (double)(now_s - c.oldest_s[i])
                                     : 0.0;
            nq++;
        }
    }
    if (env->metrics == NULL) {
        struct metrics *empty = metrics_init();

        out->body = metrics_render(empty, q, nq, &out->len);
        metrics_free(empty);
    } else {
        out->body = metrics_render(env->metrics, q, nq, &out->len);
    }
    out->status = 200;
    out->type = METRICS_CONTENT_TYPE;
}

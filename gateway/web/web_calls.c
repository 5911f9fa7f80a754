/* web_calls - the call log in the web API; contract in web_calls.h */
#include "gateway/web/web_calls.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/util/xalloc.h"
#include "gateway/web/web_auth.h"

#define LIMIT_DEFAULT 50
#define TYPE_CSV      "text/csv; charset=utf-8"

/* --- sources over gateway/intake/calllog ------------------------------- */

static int
src_calls(void *arg, const struct web_calls_query *wq, json_t **calls,
          size_t *total, struct errbuf *why)
{
    struct calllog_query q = {
        .text = wq->text,
        .line = wq->line,
        .result = wq->result,
        .since_ms = wq->since_ms,
        .offset = wq->offset,
        .limit = wq->limit,
    };

    return calllog_list(arg, &q, calls, total, why);
}

static int
src_call(void *arg, const char *id, json_t **call, struct errbuf *why)
{
    int rc = calllog_show(arg, id, call, why);

    return rc == CALLLOG_NOT_FOUND ? WEB_NOT_FOUND : rc;
}

void
web_calls_sources(struct calllog *cl, struct web_sources *src)
{
    src->calls_arg = cl;
    src->calls = src_calls;
    src->call = src_call;
}

/* --- handlers ----------------------------------------------------------- */

static bool
result_ok(const char *r)
{
    return strcmp(r, "ok") == 0 || strcmp(r, "partial") == 0 ||
           strcmp(r, "failed") == 0 || strcmp(r, "refused") == 0;
}

/* The filters common to the list and the CSV; 0, or -1 with the reply. */
static int
read_filters(const struct web_api_request *rq, struct web_calls_query *q,
             struct web_reply *out)
{
    const char *since = rq->query(rq->ctx, "since");
    long s;

    memset(q, 0, sizeof *q);
    q->text = rq->query(rq->ctx, "q");
    q->line = rq->query(rq->ctx, "line");
    q->result = rq->query(rq->ctx, "result");
    if (q->text != NULL && strlen(q->text) > WEB_CALLS_Q_MAX)
        return web_api_error(out, 400, "q: at most %d bytes", WEB_CALLS_Q_MAX),
               -1;
    if (q->line != NULL && strlen(q->line) >= WEB_NAME_MAX)
        return web_api_error(out, 400, "line: no such line"), -1;
    if (q->result != NULL && q->result[0] != '\0' && !result_ok(q->result))
        return web_api_error(out, 400,
                             "result: one of ok, partial, failed, refused"),
               -1;
    if (since != NULL) {
        if ((s = web_api_parse_uint(since, 0, 99999999999L)) < 0)
            return web_api_error(out, 400, "since: Unix seconds"), -1;
        q->since_ms = (int64_t)s * 1000;
    }
    return 0;
}

static int
list_calls(const struct web_api_env *env, const struct web_calls_query *q,
           json_t **calls, size_t *total, struct web_reply *out)
{
    const struct web_sources *src = env->src;
    struct errbuf why;

    if (src->calls == NULL)
        return web_api_error(out, 501, "no call log"), -1;
    errbuf_clear(&why);
    if (src->calls(src->calls_arg, q, calls, total, &why) != 0)
        return web_api_error(out, 503, "%s", why.text), -1;
    return 0;
}

static int
api_calls_list(const struct web_api_env *env, const struct web_api_request *rq,
               struct web_reply *out)
{
    const char *lim_s = rq->query(rq->ctx, "limit");
    const char *off_s = rq->query(rq->ctx, "offset");
    long limit = LIMIT_DEFAULT, offset = 0;
    struct web_calls_query q;
    json_t *calls = NULL;
    size_t total = 0;

    if (read_filters(rq, &q, out) != 0)
        return 0;
    if (lim_s != NULL && (limit = web_api_parse_uint(lim_s, 1, WEB_LIST_LIMIT_MAX)) < 0)
        return web_api_error(out, 400, "limit: 1 to %d", WEB_LIST_LIMIT_MAX);
    if (off_s != NULL && (offset = web_api_parse_uint(off_s, 0, 100000000)) < 0)
        return web_api_error(out, 400, "offset: a number from 0");
    q.limit = (size_t)limit;
    q.offset = (size_t)offset;
    if (list_calls(env, &q, &calls, &total, out) != 0)
        return 0;
    return web_api_json(out, 200,
                        json_pack("{s:I,s:i,s:i,s:o}", "total",
                                  (json_int_t)total, "limit", (int)limit,
                                  "offset", (int)offset, "calls", calls));
}

static int
api_call_show(const struct web_api_env *env, const char *id,
              struct web_reply *out)
{
    const struct web_sources *src = env->src;
    struct errbuf why;
    json_t *call = NULL;
    int rc;

    if (!web_auth_job_id_ok(id))
        return web_api_error(out, 404, "bad call id");
    if (src->call == NULL)
        return web_api_error(out, 501, "no call log");
    errbuf_clear(&why);
    rc = src->call(src->calls_arg, id, &call, &why);
    if (rc == WEB_NOT_FOUND)
        return web_api_error(out, 404, "no such call");
    if (rc != 0)
        return web_api_error(out, 503, "%s", why.text);
    json_object_set_new(call, "ladder", calllog_ladder(call));
    json_object_del(call, "frames"); /* the ladder carries each one's hex */
    return web_api_json(out, 200, call);
}

/* --- CSV (RFC 4180) ----------------------------------------------------- */

struct csv {
    char *buf;
    size_t len, cap;
};

static void
csv_put(struct csv *c, const char *s, size_t n)
{
    if (c->len + n + 1 > c->cap) {
        c->cap = (c->len + n + 1) * 2;
        c->buf = xrealloc(c->buf, c->cap);
    }
    memcpy(c->buf + c->len, s, n);
    c->len += n;
    c->buf[c->len] = '\0';
}

/* A spreadsheet runs a cell that starts like a formula: such far-end text
 * gets a leading apostrophe; "+49 30 1234" stays a number as sent. */
static bool
formula_like(const char *s)
{
    if (s[0] == '=' || s[0] == '@' || s[0] == '\t' || s[0] == '\r')
        return true;
    if (s[0] == '+' || s[0] == '-')
        return s[1 + strspn(s + 1, "0123456789 ()-+./")] != '\0';
    return false;
}

static void
csv_field(struct csv *c, const char *s, bool last)
{
    csv_put(c, "\"", 1);
    if (formula_like(s))
        csv_put(c, "'", 1);
    for (const char *p = s; *p; p++)
        csv_put(c, p, 1 + (*p == '"')); /* a quote is written twice */
    csv_put(c, last ? "\"\r\n" : "\",", last ? 3 : 2);
}

static const char *
jstr(const json_t *o, const char *key, char *buf, size_t n)
{
    const json_t *v = json_object_get(o, key);

    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v))
        (void)snprintf(buf, n, "%" PRId64, (int64_t)json_integer_value(v));
    else if (json_is_boolean(v))
        (void)snprintf(buf, n, "%s", json_is_true(v) ? "yes" : "no");
    else
        buf[0] = '\0';
    return buf;
}

static void
csv_row(struct csv *c, const json_t *call)
{
    static const char *const keys[] = {
        "id",        "start",       "line",          "duration_s",
        "result",    "npages",      "bit_rate",      "ecm",
        "caller_id", "caller_name", "called_number", "remote_csid",
        "job",       "reason",
    };
    size_t n = sizeof keys / sizeof *keys;
    char buf[64];

    for (size_t i = 0; i < n; i++) {
        const char *v;

        if (strcmp(keys[i], "start") == 0) {
            time_t t =
                (time_t)(json_integer_value(json_object_get(call, "start_ms")) /
                         1000);
            struct tm tm;

            gmtime_r(&t, &tm);
            strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
            v = buf;
        } else if (strcmp(keys[i], "duration_s") == 0) {
            (void)snprintf(buf, sizeof buf, "%.1f",
                           (double)json_integer_value(
                               json_object_get(call, "duration_ms")) /
                               1000.0);
            v = buf;
        } else {
            v = jstr(call, keys[i], buf, sizeof buf);
        }
        csv_field(c, v, i + 1 == n);
    }
}

static int
api_calls_csv(const struct web_api_env *env, const struct web_api_request *rq,
              struct web_reply *out)
{
    static const char header[] = "id,start,line,duration_s,result,pages,"
                                 "bit_rate,ecm,caller_id,caller_name,"
                                 "called_number,remote_csid,job,reason\r\n";
    struct web_calls_query q;
    struct csv c = {0};
    json_t *calls = NULL, *call;
    size_t total = 0, i;

    if (read_filters(rq, &q, out) != 0)
        return 0;
    if (list_calls(env, &q, &calls, &total, out) != 0)
        return 0;
    csv_put(&c, header, sizeof header - 1);
    json_array_foreach(calls, i, call) csv_row(&c, call);
    json_decref(calls);
    out->status = 200;
    out->type = TYPE_CSV;
    out->body = c.buf;
    out->len = c.len;
    return 0;
}

void
web_calls_handle(const struct web_api_env *env,
                 const struct web_api_request *rq, struct web_reply *out)
{
    const char *p = rq->path + strlen("/api/calls");

    if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
        web_api_error(out, 405, "GET only");
        return;
    }
    if (*p == '\0')
        (void)api_calls_list(env, rq, out);
    else if (strcmp(p, ".csv") == 0)
        (void)api_calls_csv(env, rq, out);
    else if (p[0] == '/' && strchr(p + 1, '/') == NULL)
        (void)api_call_show(env, p + 1, out);
    else
        web_api_error(out, 404, "no such resource");
}

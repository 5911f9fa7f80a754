/* web - libmicrohttpd server for the status page and API; see web.h */
#define _DEFAULT_SOURCE /* realpath */
#include "gateway/web/web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "gateway/util/log.h"
#include "gateway/util/mstime.h"
#include "gateway/util/xalloc.h"
#include "gateway/web/web_api.h"
#include "gateway/web/web_assets.h"
#include "gateway/web/web_auth.h"
#include "gateway/web/web_events.h"

#define COOKIE_NAME    "ifaxgw_session"
#define CSRF_HEADER    "X-IfaxGW-CSRF"
#define CONN_LIMIT     512 /* simultaneous connections */
#define CONN_TIMEOUT_S 30  /* idle connection */
#define CLIENT_MAX     INET6_ADDRSTRLEN
#define TYPE_JSON      "application/json"

static const char csp_page[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; connect-src 'self'; form-action 'none'; "
    "frame-ancestors 'none'; base-uri 'none'";

struct web_server {
    struct MHD_Daemon *mhd;
    struct web_auth *auth;
    struct web_events *events; /* /api/events streams */
    struct web_sources src; /* copy; handlers borrowed */
    struct web_api_env env;
    struct metrics *metrics;
    char *spool_real;
    size_t max_body;
    int port;
};

/* One request's state, from its first handler call to NOTIFY_COMPLETED. */
struct conn {
    char *body; /* max_body + 1 bytes, NUL-terminated */
    size_t len;
    bool too_big;
    char client[CLIENT_MAX];
};

static int64_t
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

static void
client_name(struct MHD_Connection *c, char out[CLIENT_MAX])
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    (void)snprintf(out, CLIENT_MAX, "?");
    if (sa == NULL)
        return;
    if (sa->sa_family == AF_INET)
        (void)inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
                        out, CLIENT_MAX);
    else if (sa->sa_family == AF_INET6)
        (void)inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                        out, CLIENT_MAX);
}

static const char *
asset_type(const char *name)
{
    const char *dot = strrchr(name, '.');

    if (dot == NULL)
        return "application/octet-stream";
    if (strcmp(dot, ".html") == 0)
        return "text/html; charset=utf-8";
    if (strcmp(dot, ".js") == 0)
        return "text/javascript; charset=utf-8";
    if (strcmp(dot, ".css") == 0)
        return "text/css; charset=utf-8";
    if (strcmp(dot, ".png") == 0)
        return "image/png";
    if (strcmp(dot, ".svg") == 0)
        return "image/svg+xml";
    return "application/octet-stream";
}

static const struct web_asset *
asset_find(const char *url)
{
    const char *name = strcmp(url, "/") == 0 ? "index.html" : url + 1;

    if (url[0] != '/' || strchr(name, '/') != NULL)
        return NULL;
    for (const struct web_asset *a = web_assets; a->name != NULL; a++)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

static void
add_common_headers(struct MHD_Response *r, const char *type, bool page)
{
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    /* Thumbnails of a job never change: let the page's 2 s poll reuse them. */
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
                            page ? "no-cache"
                            : strcmp(type, "image/png") == 0
                                ? "private, max-age=300"
                                : "no-store");
    /* Served files get the strict policy; API bodies opened directly in a
     * browser are sandboxed so nothing in them can run. */
    MHD_add_response_header(r, "Content-Security-Policy",
                            page ? csp_page : "default-src 'none'; sandbox");
}

/* Queue reply r (its body is freed by libmicrohttpd) with extra header. */
static enum MHD_Result
send_reply(struct MHD_Connection *c, struct web_reply *rp, const char *hname,
           const char *hvalue)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    if (rp->body != NULL)
        r = MHD_create_response_from_buffer(rp->len, rp->body,
                                            MHD_RESPMEM_MUST_FREE);
    else
        r = MHD_create_response_from_buffer(0, (void *)"",
                                            MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        free(rp->body);
        return MHD_NO;
    }
    add_common_headers(r, rp->type ? rp->type : TYPE_JSON, false);
    if (hname != NULL)
        MHD_add_response_header(r, hname, hvalue);
    ret = MHD_queue_response(c, (unsigned)rp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result
send_error(struct MHD_Connection *c, int status, const char *text)
{
    struct web_reply rp = {0};

    web_api_error(&rp, status, "%s", text);
    if (status == 401)
        return send_reply(c, &rp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                          "Bearer realm=\"ifaxgw\"");
    if (status == 429)
        return send_reply(c, &rp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    return send_reply(c, &rp, NULL, NULL);
}

static enum MHD_Result
send_asset(struct MHD_Connection *c, const struct web_asset *a)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;

    if (r == NULL)
        return MHD_NO;
    add_common_headers(r, asset_type(a->name), true);
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static const char *
query_arg(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

/* Origin, when a browser sends it, must name this very server: a page on
 * another site cannot act even with a stolen CSRF token. */
static bool
origin_ok(struct MHD_Connection *c)
{
    const char *origin =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    const char *host =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    const char *rest;

    if (origin == NULL)
        return true;
    if (host == NULL)
        return false;
    if (strncmp(origin, "http://", 7) == 0)
        rest = origin + 7;
    else if (strncmp(origin, "https://", 8) == 0)
        rest = origin + 8;
    else
        return false;
    return strcmp(rest, host) == 0;
}

static enum web_auth_verdict
request_auth(struct web_server *w, struct MHD_Connection *c)
{
    struct web_auth_request rq;

    if (!origin_ok(c))
        return WEB_AUTH_DENIED;
    rq.authorization = MHD_lookup_connection_value(
        c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    rq.session = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE_NAME);
    rq.csrf = MHD_lookup_connection_value(c, MHD_HEADER_KIND, CSRF_HEADER);
    return web_auth_check(w->auth, &rq, now_s());
}

static enum MHD_Result
do_login(struct web_server *w, struct MHD_Connection *c, struct conn *cn)
{
    char sid[WEB_AUTH_ID_HEX + 1], csrf[WEB_AUTH_ID_HEX + 1];
    char cookie[sizeof COOKIE_NAME + WEB_AUTH_ID_HEX + 80];
    const char *token = NULL;
    struct web_reply rp = {0};
    json_t *obj;

    if (!origin_ok(c))
        return send_error(c, 403, "cross-origin login refused");
    obj = json_loadb(cn->body ? cn->body : "", cn->len, 0, NULL);
    if (obj == NULL || json_unpack(obj, "{s:s}", "token", &token) != 0) {
        json_decref(obj);
        return send_error(c, 400, "need {\"token\": \"...\"}");
    }
    if (web_auth_login(w->auth, token, now_s(), sid, csrf) != 0) {
        json_decref(obj);
        log_warn("web: client=%s login refused", cn->client);
        return send_error(c, 403, "wrong token");
    }
    json_decref(obj);
    (void)snprintf(cookie, sizeof cookie,
                   COOKIE_NAME "=%s; Path=/; HttpOnly; SameSite=Strict; "
                               "Max-Age=%d",
                   sid, WEB_AUTH_SESSION_S);
    log_info("web: client=%s login", cn->client);
    web_api_json(&rp, 200, json_pack("{s:b,s:s}", "ok", 1, "csrf", csrf));
    return send_reply(c, &rp, MHD_HTTP_HEADER_SET_COOKIE, cookie);
}

static enum MHD_Result
do_session(struct web_server *w, struct MHD_Connection *c)
{
    const char *sid =
        MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE_NAME);
    char csrf[WEB_AUTH_ID_HEX + 1];
    struct web_reply rp = {0};

    if (sid != NULL && web_auth_session_csrf(w->auth, sid, now_s(), csrf) == 0)
        web_api_json(&rp, 200,
                     json_pack("{s:b,s:s}", "logged_in", 1, "csrf", csrf));
    else
        web_api_json(&rp, 200, json_pack("{s:b}", "logged_in", 0));
    return send_reply(c, &rp, NULL, NULL);
}

static enum MHD_Result
do_logout(struct web_server *w, struct MHD_Connection *c)
{
    const char *sid =
        MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE_NAME);
    struct web_reply rp = {0};

    if (sid != NULL)
        web_auth_logout(w->auth, sid);
    web_api_json(&rp, 200, json_pack("{s:b}", "ok", 1));
    return send_reply(c, &rp, MHD_HTTP_HEADER_SET_COOKIE,
                      COOKIE_NAME "=; Path=/; HttpOnly; SameSite=Strict; "
                                  "Max-Age=0");
}

static enum MHD_Result
do_api(struct web_server *w, struct MHD_Connection *c, struct conn *cn,
       const char *url, const char *method)
{
    struct web_api_request rq = {method,   url,     query_arg, c,
                                 cn->body, cn->len, now_s()};
    struct web_reply rp = {0};
    char e1[128];

    web_api_handle(&w->env, &rq, &rp);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        log_info("web: client=%s %s %s status=%d", cn->client, method,
                 log_esc(e1, sizeof e1, url), rp.status);
    return send_reply(c, &rp, NULL, NULL);
}

static bool
changes_state(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/* A line that cannot take calls (not opened yet, given up, or failing). */
static void
health_lines(struct web_server *w, json_t *problems)
{
    struct web_line *ls;
    size_t n;
    char text[WEB_NAME_MAX + WEB_TEXT_MAX + 32];

    if (w->src.lines == NULL)
        return;
    ls = xcalloc(WEB_LINES_MAX, sizeof *ls);
    n = w->src.lines(w->src.arg, ls, WEB_LINES_MAX);
    for (size_t i = 0; i < n; i++) {
        if (ls[i].phase != WEB_LINE_DOWN && ls[i].phase != WEB_LINE_ERROR)
            continue;
        (void)snprintf(text, sizeof text, "line %s: %s%s%s", ls[i].name,
                       web_line_phase_name(ls[i].phase),
                       ls[i].detail[0] ? ": " : "", ls[i].detail);
        json_array_append_new(problems, json_string(text));
    }
    free(ls);
}

/* The spool as this process (after the privilege drop) may use it: every
 * state directory writable, and room on its file system. */
static void
health_spool(struct web_server *w, json_t *problems)
{
    static const char *const dirs[] = {"", "/incoming", "/queue", "/done",
                                       "/failed"};
    char path[PATH_MAX], text[PATH_MAX + 64];
    struct statvfs vfs;

    if (w->spool_real == NULL)
        return;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        (void)snprintf(path, sizeof path, "%s%s", w->spool_real, dirs[i]);
        if (faccessat(AT_FDCWD, path, W_OK | X_OK, AT_EACCESS) == -1) {
            (void)snprintf(text, sizeof text, "spool %s: not writable: %s",
                           path, strerror(errno));
            json_array_append_new(problems, json_string(text));
        }
    }
    if (statvfs(w->spool_real, &vfs) == 0 && vfs.f_bavail == 0) {
        (void)snprintf(text, sizeof text, "spool %s: file system full",
                       w->spool_real);
        json_array_append_new(problems, json_string(text));
    }
}

/* /healthz: every reason the gateway cannot do its work now. */
static json_t *
health_problems(struct web_server *w)
{
    json_t *problems = json_array();

    health_lines(w, problems);
    health_spool(w, problems);
    if (w->src.health != NULL)
        w->src.health(w->src.health_arg, problems);
    return problems;
}

/* The ticker's status text for every open event stream. */
static char *
events_status(void *arg)
{
    struct web_server *w = arg;
    struct errbuf why;
    json_t *st;
    char *s;

    errbuf_clear(&why);
    st = web_api_status_json(&w->env, now_s(), &why);
    if (st == NULL)
        st = json_pack("{s:I,s:s}", "now", (json_int_t)now_s(), "error",
                       why.text);
    s = json_dumps(st, JSON_COMPACT);
    json_decref(st);
    return s;
}

/* GET /api/events: the status pushed every second (text/event-stream). */
static enum MHD_Result
do_events(struct web_server *w, struct MHD_Connection *c)
{
    struct MHD_Response *r = web_events_response(w->events, c);
    enum MHD_Result ret;

    if (r == NULL)
        return send_error(c, 503, "too many event streams");
    add_common_headers(r, "text/event-stream", false);
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result
dispatch(struct web_server *w, struct MHD_Connection *c, struct conn *cn,
         const char *url, const char *method)
{
    const struct web_asset *a;
    enum web_auth_verdict v;
    struct web_reply rp = {0};
    char e1[128];

    if (strcmp(url, "/api/login") == 0)
        return strcmp(method, "POST") == 0 ? do_login(w, c, cn)
                                           : send_error(c, 405, "POST only");
    if (strcmp(url, "/api/session") == 0 && !changes_state(method))
        return do_session(w, c);
    if (changes_state(method)) {
        v = request_auth(w, c);
        if (v != WEB_AUTH_OK) {
            log_warn("web: client=%s %s %s refused=%s", cn->client, method,
                     log_esc(e1, sizeof e1, url), web_auth_verdict_name(v));
            return v == WEB_AUTH_MISSING
                       ? send_error(c, 401, "token or session required")
                       : send_error(c, 403,
                                    "wrong token, session or CSRF header");
        }
        if (strcmp(url, "/api/logout") == 0)
            return do_logout(w, c);
    }
    if (strcmp(url, "/api/events") == 0 && strcmp(method, "GET") == 0)
        return do_events(w, c);
    if (strncmp(url, "/api/", 5) == 0)
        return do_api(w, c, cn, url, method);
    if (changes_state(method))
        return send_error(c, 405, "method not allowed");
    if (strcmp(url, "/metrics") == 0) {
        web_api_metrics(&w->env, now_s(), &rp);
        return send_reply(c, &rp, NULL, NULL);
    }
    if (strcmp(url, "/healthz") == 0) {
        json_t *problems = health_problems(w);
        bool ok = json_array_size(problems) == 0;

        web_api_json(&rp, ok ? 200 : 503,
                     json_pack("{s:b,s:o}", "ok", ok, "problems", problems));
        return send_reply(c, &rp, NULL, NULL);
    }
    if ((a = asset_find(url)) != NULL)
        return send_asset(c, a);
    return send_error(c, 404, "not found");
}

static bool
method_known(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
           strcmp(m, "POST") == 0 || strcmp(m, "DELETE") == 0;
}

/* The page's own files and thumbnails are cacheable and fetched in bursts
 * (a history of 50 rows shows 50 thumbnails): they do not count against the
 * rate limit, which guards the API. */
static bool
rate_exempt(const char *url, const char *method)
{
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return false;
    if (strncmp(url, "/api/", 5) != 0)
        return strcmp(url, "/metrics") != 0;
    return strncmp(url, "/api/jobs/", 10) == 0 && strstr(url, "/pages/");
}

/* First call of a request: admit it (rate, method, declared size). */
static enum MHD_Result
request_begin(struct web_server *w, struct MHD_Connection *c, const char *url,
              const char *method, void **con_cls)
{
    struct conn *cn = xcalloc(1, sizeof *cn);
    const char *clen;

    *con_cls = cn;
    client_name(c, cn->client);
    if (!rate_exempt(url, method) &&
        !web_auth_rate_take(w->auth, cn->client, mstime_mono()))
        return send_error(c, 429, "too many requests");
    if (!method_known(method))
        return send_error(c, 405, "method not allowed");
    clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                       MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (clen != NULL && strtoull(clen, NULL, 10) > w->max_body)
        return send_error(c, 413, "request body too large");
    return MHD_YES;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
           const char *method, const char *version, const char *upload,
           size_t *upload_size, void **con_cls)
{
    struct web_server *w = cls;
    struct conn *cn = *con_cls;

    (void)version;
    if (cn == NULL)
        return request_begin(w, c, url, method, con_cls);
    if (*upload_size > 0) {
        /* Chunked bodies have no Content-Length: count as they come. */
        if (!cn->too_big && cn->len + *upload_size <= w->max_body) {
            if (cn->body == NULL)
                cn->body = xmalloc(w->max_body + 1);
            memcpy(cn->body + cn->len, upload, *upload_size);
            cn->len += *upload_size;
            cn->body[cn->len] = '\0';
        } else {
            cn->too_big = true;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (cn->too_big)
        return send_error(c, 413, "request body too large");
    return dispatch(w, c, cn, url, method);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct conn *cn = *con_cls;

    (void)cls;
    (void)c;
    (void)toe;
    if (cn != NULL) {
        free(cn->body);
        free(cn);
        *con_cls = NULL;
    }
}

static int
parse_listen(const char *listen, int port, struct sockaddr_storage *ss,
             bool *v6, struct errbuf *why)
{
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof *ss);
    if (port < 0 || port > 65535)
        return errbuf_set(why, ERR_PERM, "", "web port %d out of range", port);
    if (inet_pton(AF_INET, listen, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        *v6 = false;
        return 0;
    }
    if (inet_pton(AF_INET6, listen, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        *v6 = true;
        return 0;
    }
    return errbuf_set(why, ERR_PERM, "", "web listen \"%s\": not an address",
                      listen);
}

struct web_server *
web_init(const struct web_conf *cf, const struct web_sources *src,
         struct metrics *m, struct errbuf *why)
{
    struct web_server *w = xcalloc(1, sizeof *w);
    struct sockaddr_storage ss;
    const union MHD_DaemonInfo *di;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_ALLOW_SUSPEND_RESUME; /* event streams */
    bool v6 = false;
    char real[PATH_MAX];

    if (parse_listen(cf->listen ? cf->listen : "127.0.0.1", cf->port, &ss, &v6,
                     why) != 0)
        goto fail;
    if (cf->spool != NULL) {
        if (realpath(cf->spool, real) == NULL) {
            errbuf_errno(why, "web: spool %s", cf->spool);
            goto fail;
        }
        w->spool_real = xstrdup(real);
    }
    w->src = *src;
    w->metrics = m;
    w->max_body = cf->max_body ? cf->max_body : WEB_MAX_BODY_DEFAULT;
    w->auth =
        web_auth_init(cf->token, cf->rate_per_min == 0  ? WEB_RATE_DEFAULT
                                 : cf->rate_per_min < 0 ? 0
                                                        : cf->rate_per_min);
    w->env.src = &w->src;
    w->env.metrics = m;
    w->env.spool_real = w->spool_real;
    w->events = web_events_init(events_status, w);
    if (v6)
        flags |= MHD_USE_IPv6;
    w->mhd = MHD_start_daemon(
        flags, (uint16_t)cf->port, NULL, NULL, on_request, w,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)(cf->threads > 0 ? cf->threads : 2),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, w, MHD_OPTION_END);
    if (w->mhd == NULL) {
        errbuf_errno(why, "web: cannot listen on %s port %d",
                     cf->listen ? cf->listen : "127.0.0.1", cf->port);
        goto fail;
    }
    di = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_BIND_PORT);
    w->port = di ? di->port : cf->port;
    return w;
fail:
    web_free(w);
    return NULL;
}

int
web_port(const struct web_server *w)
{
    return w->port;
}

bool
web_set_token(struct web_server *w, const char *token)
{
    return web_auth_set_token(w->auth, token);
}

void
web_free(struct web_server *w)
{
    if (w == NULL)
        return;
    web_events_stop(w->events); /* MHD must not stop with any suspended */
    if (w->mhd != NULL)
        MHD_stop_daemon(w->mhd);
    web_events_free(w->events);
    web_auth_free(w->auth);
    free(w->spool_real);
    free(w);
}

/* relay - libcurl submission to the smarthost; see relay.h */
#include "smtp/relay.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "gateway/util/log.h"
#include "gateway/util/mstime.h"
#include "gateway/util/xalloc.h"

#define RELAY_PORT_SUBMISSION 587 /* RFC 6409 */
#define RELAY_PORT_SMTPS      465 /* RFC 8314 implicit TLS */
#define RELAY_URL_MAX         600

struct relay {
    CURL *curl;
    const struct relay_opts *o;
    char url[RELAY_URL_MAX];
    char errtext[CURL_ERROR_SIZE];
    /* per message */
    struct mime_msg *msg;
    size_t body_size;  /* mime_size(msg): libcurl stops reading there */
    size_t body_read;  /* bytes handed to libcurl */
    bool body_done;    /* the whole body was handed to libcurl */
    /* the step libcurl is in, from the commands it sends (debug callback)
     * and the body reads; its deadline from the timeout table, checked by
     * the progress callback (about once a second at least) */
    enum smtp_step step;
    int64_t deadline_ms;
    enum smtp_step timed_out; /* the step that ran out, or SMTP_STEP_COUNT */
    int replies_after; /* complete replies since body_done */
    int cur_code;      /* reply being read, 0 between replies */
    char cur[RELAY_REPLY_MAX];
    struct relay_result last; /* last complete reply */
};

/* Enter a step: its own timeout from the table, as in direct delivery. */
static void
relay_enter(struct relay *r, enum smtp_step step)
{
    r->step = step;
    r->deadline_ms = mstime_mono() + 1000 * (int64_t)r->o->timeouts->secs[step];
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT; /* curl_global_init */

static void
curl_init_once(void)
{
    (void)curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void
relay_note(struct relay *r, const char *dir, const char *text, size_t n)
{
    char esc[RELAY_LINE_MAX + 8], line[RELAY_LINE_MAX + 16];

    if (r->o->transcript == NULL)
        return;
    log_esc_mem(esc, sizeof esc, text, n);
    (void)snprintf(line, sizeof line, "%s %s", dir, esc);
    r->o->transcript(r->o->transcript_arg, line);
}

/* "d.ddd.ddd " at the start of the text (RFC 3463), class as the code. */
static void
parse_status(char *dst, size_t n, int code, const char *t)
{
    int a, b, c, len = 0;

    dst[0] = '\0';
    if (sscanf(t, "%1d.%3d.%3d%n", &a, &b, &c, &len) == 3 && len > 0 &&
        (t[len] == ' ' || t[len] == '\0') && a == code / 100)
        (void)snprintf(dst, n, "%d.%d.%d", a, b, c);
}

static void
reply_line(struct relay *r, const char *line, size_t n)
{
    int code;
    bool last;
    const char *text;
    size_t used = strlen(r->cur), tn;

    if (n < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
        line[1] > '9' || line[2] < '0' || line[2] > '9')
        return;
    code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    last = (n == 3 || line[3] != '-');
    text = n > 4 ? line + 4 : "";
    tn = n > 4 ? n - 4 : 0;
    if (r->cur_code == 0)
        r->cur[0] = '\0', used = 0;
    r->cur_code = code;
    if (used > 0 && used + 3 < sizeof r->cur)
        memcpy(r->cur + used, " / ", 4), used += 3;
    if (tn > sizeof r->cur - 1 - used)
        tn = sizeof r->cur - 1 - used;
    memcpy(r->cur + used, text, tn);
    r->cur[used + tn] = '\0';
    if (!last)
        return;
    r->cur_code = 0;
    if (code == 221) /* QUIT after a failure must not hide the failure */
        return;
    if (r->step == SMTP_STEP_GREETING)
        relay_enter(r, SMTP_STEP_EHLO); /* until libcurl says otherwise */
    r->last.code = code;
    (void)snprintf(r->last.text, sizeof r->last.text, "%d %s", code, r->cur);
    parse_status(r->last.status, sizeof r->last.status, code, r->cur);
    if (r->body_done)
        r->replies_after++;
}

/* libcurl hands every server reply line of an SMTP transfer to this. */
static size_t
header_cb(char *data, size_t size, size_t nitems, void *arg)
{
    struct relay *r = arg;
    size_t n = size * nitems, k = n;

    while (k > 0 && (data[k - 1] == '\r' || data[k - 1] == '\n'))
        k--;
    if (k > RELAY_LINE_MAX)
        k = RELAY_LINE_MAX;
    relay_note(r, "<", data, k);
    reply_line(r, data, k);
    return n;
}

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
    struct relay *r = arg;
    size_t got = mime_read(r->msg, buf, size * nitems);

    r->body_read += got;
    /* libcurl stops at the size it was given: the last block is the end;
     * from here on the wait is for the reply to "." */
    if (got == 0 || r->body_read >= r->body_size) {
        r->body_done = true;
        relay_enter(r, SMTP_STEP_DOT);
    } else {
        relay_enter(r, SMTP_STEP_BLOCK); /* each block has its own wait */
    }
    return got;
}

/* The step of a command libcurl sends; SMTP_STEP_COUNT: not a command we
 * time (AUTH and its exchanges use the EHLO timeout). */
static enum smtp_step
command_step(const char *c, size_t n, bool *secret)
{
    static const struct {
        const char *verb;
        enum smtp_step step;
    } verbs[] = {{"EHLO", SMTP_STEP_EHLO},         {"HELO", SMTP_STEP_EHLO},
                 {"STARTTLS", SMTP_STEP_STARTTLS}, {"MAIL", SMTP_STEP_MAIL},
                 {"RCPT", SMTP_STEP_RCPT},         {"DATA", SMTP_STEP_DATA},
                 {"RSET", SMTP_STEP_RSET},         {"QUIT", SMTP_STEP_QUIT},
                 {"NOOP", SMTP_STEP_RSET}};

    *secret = false;
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        size_t k = strlen(verbs[i].verb);

        if (n >= k && strncasecmp(c, verbs[i].verb, k) == 0 &&
            (n == k || c[k] == ' ' || c[k] == '\r'))
            return verbs[i].step;
    }
    *secret = true; /* AUTH and what follows a 334 carry credentials */
    return SMTP_STEP_EHLO;
}

/* With CURLOPT_VERBOSE, libcurl hands us (never stderr) what it sends: the
 * step starts with its command. AUTH lines are not transcribed. */
static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t n, void *arg)
{
    struct relay *r = arg;
    bool secret;
    size_t k = n;

    (void)h;
    if (type == CURLINFO_TEXT && n > 12 && memcmp(data, "Connected to", 12) == 0)
        relay_enter(r, SMTP_STEP_GREETING); /* TCP is up: the greeting next */
    if (type != CURLINFO_HEADER_OUT)
        return 0;
    relay_enter(r, command_step(data, n, &secret));
    while (k > 0 && (data[k - 1] == '\r' || data[k - 1] == '\n'))
        k--;
    if (k > RELAY_LINE_MAX)
        k = RELAY_LINE_MAX;
    if (secret)
        relay_note(r, ">", "(AUTH exchange, not logged)", 27);
    else
        relay_note(r, ">", data, k);
    return 0;
}

/* Abort the transfer when the step's own timeout has passed. */
static int
progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
            curl_off_t ulnow)
{
    struct relay *r = arg;

    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    if (r->deadline_ms > 0 && mstime_mono() > r->deadline_ms) {
        r->timed_out = r->step;
        return 1;
    }
    return 0;
}

static long
max_reply_timeout(const struct smtp_timeouts *t)
{
    int i, m = 0;

    for (i = SMTP_STEP_GREETING; i < SMTP_STEP_COUNT; i++)
        if (i != SMTP_STEP_BLOCK && i != SMTP_STEP_QUIT && t->secs[i] > m)
            m = t->secs[i];
    return m;
}

static const char *
login_options(enum config_auth a)
{
    switch (a) {
    case CONFIG_AUTH_PLAIN:
        return "AUTH=PLAIN";
    case CONFIG_AUTH_LOGIN:
        return "AUTH=LOGIN";
    case CONFIG_AUTH_XOAUTH2:
        return "AUTH=XOAUTH2";
    case CONFIG_AUTH_NONE:
        break;
    }
    return NULL;
}

static int
set_auth(struct relay *r, struct errbuf *why)
{
    const struct relay_opts *o = r->o;
    CURLcode rc = CURLE_OK;

    if (o->auth == CONFIG_AUTH_NONE)
        return 0;
    if (o->user == NULL || o->user[0] == '\0')
        return errbuf_set(why, ERR_PERM, "", "relay AUTH needs a user");
    if (o->auth == CONFIG_AUTH_XOAUTH2 && o->bearer == NULL)
        return errbuf_set(why, ERR_PERM, "", "XOAUTH2 needs a token");
    if (o->auth != CONFIG_AUTH_XOAUTH2 && o->password == NULL)
        return errbuf_set(why, ERR_PERM, "", "relay AUTH needs a password");
    rc |= curl_easy_setopt(r->curl, CURLOPT_USERNAME, o->user);
    if (o->auth == CONFIG_AUTH_XOAUTH2)
        rc |= curl_easy_setopt(r->curl, CURLOPT_XOAUTH2_BEARER, o->bearer);
    else
        rc |= curl_easy_setopt(r->curl, CURLOPT_PASSWORD, o->password);
    rc |= curl_easy_setopt(r->curl, CURLOPT_LOGIN_OPTIONS,
                           login_options(o->auth));
    if (rc != CURLE_OK)
        return errbuf_set(why, ERR_PERM, "", "libcurl refused AUTH options");
    return 0;
}

static int
set_options(struct relay *r, struct errbuf *why)
{
    const struct relay_opts *o = r->o;
    const struct smtp_timeouts *t = o->timeouts;
    long ssl = o->tls == CONFIG_TLS_REQUIRED        ? (long)CURLUSESSL_ALL
               : o->tls == CONFIG_TLS_OPPORTUNISTIC ? (long)CURLUSESSL_TRY
                                                    : (long)CURLUSESSL_NONE;
    CURLcode rc = CURLE_OK;

    rc |= curl_easy_setopt(r->curl, CURLOPT_URL, r->url);
    rc |= curl_easy_setopt(r->curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    rc |= curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(r->curl, CURLOPT_USE_SSL, ssl);
    rc |= curl_easy_setopt(r->curl, CURLOPT_ERRORBUFFER, r->errtext);
    rc |= curl_easy_setopt(r->curl, CURLOPT_HEADERFUNCTION, header_cb);
    rc |= curl_easy_setopt(r->curl, CURLOPT_HEADERDATA, r);
    rc |= curl_easy_setopt(r->curl, CURLOPT_READFUNCTION, read_cb);
    rc |= curl_easy_setopt(r->curl, CURLOPT_READDATA, r);
    rc |= curl_easy_setopt(r->curl, CURLOPT_UPLOAD, 1L);
    rc |= curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT,
                           (long)t->secs[SMTP_STEP_CONNECT]);
    /* libcurl has one reply timeout: a backstop over the longest step;
     * each step's own timeout is enforced by progress_cb, which libcurl
     * calls about once a second while it waits (docs/delivery.md) */
    rc |= curl_easy_setopt(r->curl, CURLOPT_SERVER_RESPONSE_TIMEOUT,
                           max_reply_timeout(t) + 2);
    rc |= curl_easy_setopt(r->curl, CURLOPT_NOPROGRESS, 0L);
    rc |= curl_easy_setopt(r->curl, CURLOPT_XFERINFOFUNCTION, progress_cb);
    rc |= curl_easy_setopt(r->curl, CURLOPT_XFERINFODATA, r);
    /* VERBOSE goes to debug_cb only, never to stderr: it tells us the
     * command libcurl sends (the step); AUTH is never transcribed */
    rc |= curl_easy_setopt(r->curl, CURLOPT_DEBUGFUNCTION, debug_cb);
    rc |= curl_easy_setopt(r->curl, CURLOPT_DEBUGDATA, r);
    rc |= curl_easy_setopt(r->curl, CURLOPT_VERBOSE, 1L);
    if (o->ca_file != NULL)
        rc |= curl_easy_setopt(r->curl, CURLOPT_CAINFO, o->ca_file);
    if (rc != CURLE_OK)
        return errbuf_set(why, ERR_PERM, "", "libcurl refused an option");
    return set_auth(r, why);
}

void
relay_opts_from_config(struct relay_opts *o, const struct config *cf)
{
    const struct config_smtp *s = &cf->smtp;

    memset(o, 0, sizeof *o);
    o->host = s->smarthost.host;
    o->port = s->smarthost.port;
    o->helo_name = s->hostname;
    o->tls = s->relay_tls;
    o->auth = s->auth;
    o->user = s->user;
    o->password = s->password;
    o->bearer = s->oauth_token;
    o->ca_file = s->ca_file;
    o->timeouts = &s->timeouts;
}

struct relay *
relay_open(const struct relay_opts *o, struct errbuf *why)
{
    struct relay *r;
    int port = o->port > 0 ? o->port : RELAY_PORT_SUBMISSION;
    bool v6;
    int n;

    if (o->host == NULL || o->host[0] == '\0' || o->timeouts == NULL ||
        strpbrk(o->host, "/@?#[] \r\n") != NULL) {
        errbuf_set(why, ERR_PERM, "", "no usable smarthost configured");
        return NULL;
    }
    if (o->helo_name != NULL && strpbrk(o->helo_name, "/?#[]@ \r\n")) {
        errbuf_set(why, ERR_PERM, "", "bad EHLO name");
        return NULL;
    }
    (void)pthread_once(&curl_once, curl_init_once);
    r = xcalloc(1, sizeof *r);
    r->o = o;
    v6 = strchr(o->host, ':') != NULL;
    n = snprintf(r->url, sizeof r->url, "%s://%s%s%s:%d/%s",
                 port == RELAY_PORT_SMTPS ? "smtps" : "smtp", v6 ? "[" : "",
                 o->host, v6 ? "]" : "", port,
                 o->helo_name ? o->helo_name : "");
    r->curl = curl_easy_init();
    if (n < 0 || (size_t)n >= sizeof r->url || r->curl == NULL ||
        set_options(r, why) == -1) {
        if (n < 0 || (size_t)n >= sizeof r->url || r->curl == NULL)
            errbuf_set(why, ERR_TEMP, "", "cannot set up libcurl");
        relay_close(r);
        return NULL;
    }
    return r;
}

static enum err_class
curl_class(CURLcode rc, int code)
{
    if (code >= 500 && code < 600 && rc != CURLE_LOGIN_DENIED)
        return ERR_PERM;
    switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return ERR_PERM;
    default:
        return ERR_TEMP;
    }
}

int
relay_send(struct relay *r, const char *from, const char *rcpt,
           struct mime_msg *msg, struct relay_result *res, struct errbuf *why)
{
    struct curl_slist *to = NULL;
    char from_b[MIME_ADDR_MAX + 3], rcpt_b[MIME_ADDR_MAX + 3];
    CURLcode rc;

    memset(res, 0, sizeof *res);
    if (mime_check_addr(from) == -1 || mime_check_addr(rcpt) == -1)
        return errbuf_set(why, ERR_PERM, "5.1.3", "bad envelope address");
    (void)snprintf(from_b, sizeof from_b, "<%s>", from);
    (void)snprintf(rcpt_b, sizeof rcpt_b, "<%s>", rcpt);
    to = curl_slist_append(NULL, rcpt_b);
    if (to == NULL)
        return errbuf_set(why, ERR_TEMP, "", "out of memory");
    mime_rewind(msg);
    r->msg = msg;
    r->body_size = mime_size(msg);
    r->body_read = 0;
    r->timed_out = SMTP_STEP_COUNT;
    /* a new connection: connect, then (debug_cb) the greeting; a reused
     * one starts with MAIL, which debug_cb announces */
    relay_enter(r, SMTP_STEP_CONNECT);
    r->body_done = false;
    r->replies_after = 0;
    r->cur_code = 0;
    memset(&r->last, 0, sizeof r->last);
    r->errtext[0] = '\0';
    (void)curl_easy_setopt(r->curl, CURLOPT_MAIL_FROM, from_b);
    (void)curl_easy_setopt(r->curl, CURLOPT_MAIL_RCPT, to);
    (void)curl_easy_setopt(r->curl, CURLOPT_INFILESIZE_LARGE,
                           (curl_off_t)mime_size(msg));
    rc = curl_easy_perform(r->curl);
    (void)curl_easy_setopt(r->curl, CURLOPT_MAIL_RCPT, NULL);
    curl_slist_free_all(to);
    r->msg = NULL;
    *res = r->last;
    if (rc == CURLE_OK && res->code >= 200 && res->code < 300)
        return 0;
    /* RFC 5321 4.5.3.2.6: no answer to "." may still mean accepted */
    res->possible_duplicate = r->body_done && r->replies_after == 0;
    if (res->code >= 400)
        return errbuf_set(why, curl_class(rc, res->code), res->status,
                          "smarthost %s: %s", r->o->host, res->text);
    if (r->timed_out != SMTP_STEP_COUNT)
        return errbuf_set(why, ERR_TEMP,
                          res->possible_duplicate ? "4.4.2" : "4.4.1",
                          "smarthost %s %s: timeout (%d s)%s", r->o->host,
                          config_smtp_step_name(r->timed_out),
                          r->o->timeouts->secs[r->timed_out],
                          res->possible_duplicate ? " after the final dot"
                                                  : "");
    return errbuf_set(why, curl_class(rc, 0),
                      res->possible_duplicate ? "4.4.2" : "4.4.1",
                      "smarthost %s: %s%s", r->o->host,
                      r->errtext[0] ? r->errtext : curl_easy_strerror(rc),
                      res->possible_duplicate ? " (after the final dot)" : "");
}

void
relay_close(struct relay *r)
{
    if (r == NULL)
        return;
    if (r->curl != NULL) {
        /* the QUIT libcurl sends at cleanup waits for its reply under the
         * one reply timeout it has: make it the quit step's */
        (void)curl_easy_setopt(r->curl, CURLOPT_SERVER_RESPONSE_TIMEOUT,
                               (long)r->o->timeouts->secs[SMTP_STEP_QUIT]);
        curl_easy_cleanup(r->curl);
    }
    free(r);
}

/* smtp_client - direct-mode SMTP client session; contract in smtp_client.h */
#include "smtp/smtp_client.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gateway/util/log.h"
#include "gateway/util/mstime.h"
#include "gateway/util/xalloc.h"
#include "smtp/smtp_addr.h"
#include "smtp/smtp_conn.h"

#define SMTP_CMD_MAX                                                           \
    1100 /* MAIL/RCPT with every parameter: path 256 +                         \
            ORCPT 500 + the rest, well over 512 */
#define SMTP_BLOCK_MAX      16384 /* body bytes read per block from the caller */
#define SMTP_NOTIFY_DEFAULT "SUCCESS,FAILURE,DELAY"

struct smtp_session {
    const struct smtp_opts *o;
    struct smtp_conn conn;
    enum smtp_step step;
    int64_t deadline_ms;
    unsigned ext;
    unsigned long size_max;
    const struct dns_target *target; /* borrowed during open() */
    char peer[DNS_HOST_MAX + DNS_ADDR_MAX + 16];
    struct smtp_reply ehlo;
    struct smtp_reply reply;
    char line[SMTP_LONG_LINE_MAX + 2];
};

static const struct {
    const char *kw;
    unsigned bit;
} ext_table[] = {
    {"CONNEG", SMTP_EXT_CONNEG},
    {"DSN", SMTP_EXT_DSN},
    {"SIZE", SMTP_EXT_SIZE},
    {"8BITMIME", SMTP_EXT_8BITMIME},
    {"PIPELINING", SMTP_EXT_PIPELINE},
    {"STARTTLS", SMTP_EXT_STARTTLS},
    {"ENHANCEDSTATUSCODES", SMTP_EXT_ENHANCED},
};

const char *
smtp_step_name(enum smtp_step step)
{
    return config_smtp_step_name(step); /* the config key names the step */
}

void
smtp_transcript_stdio(void *arg, const char *line)
{
    fprintf((FILE *)arg, "%s\n", line);
    fflush((FILE *)arg);
}

/* One transcript line: UTC time with milliseconds, direction, text
 * escaped (bytes from the wire) or as is (our notes: printable, their
 * far-end parts already escaped in an errbuf; escaping again would
 * double them). */
static void
note_line(struct smtp_session *s, char dir, const char *text, size_t n,
          bool escape)
{
    char esc[SMTP_LINE_MAX + 64], line[sizeof esc + 40];
    struct timespec ts;
    struct tm tm;

    if (s->o->transcript == NULL)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    if (escape)
        log_esc_mem(esc, sizeof esc, text, n);
    else
        (void)snprintf(esc, sizeof esc, "%.*s", (int)n, text);
    snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %c %s",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, dir, esc);
    s->o->transcript(s->o->transcript_arg, line);
}

static void
note_mem(struct smtp_session *s, char dir, const char *text, size_t n)
{
    note_line(s, dir, text, n, true);
}

static void note(struct smtp_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(struct smtp_session *s, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    note_line(s, '*', buf, strlen(buf), false);
}

/* O2: the only writer of s->step; arms the step's deadline. */
static void
smtp_enter(struct smtp_session *s, enum smtp_step next)
{
    int secs = s->o->timeouts->secs[next];

    if (secs <= 0)
        IFX_BUG("smtp timeout for %s is %d", smtp_step_name(next), secs);
    s->step = next;
    s->deadline_ms = mstime_mono() + 1000 * (int64_t)secs;
}

/* An I/O failure ends the connection: name the step, keep the class. */
static int
io_fail(struct smtp_session *s, struct errbuf *why)
{
    note(s, "%s failed: %s", smtp_step_name(s->step), why->text);
    errbuf_prefix(why, "%s %s", s->peer, smtp_step_name(s->step));
    if (why->cls != ERR_PERM)
        why->cls = ERR_TEMP;
    smtp_conn_close(&s->conn);
    return -1;
}

static int
send_line(struct smtp_session *s, const char *cmd, struct errbuf *why)
{
    char buf[SMTP_CMD_MAX + 3];
    int n = snprintf(buf, sizeof buf, "%s\r\n", cmd);

    if (n < 0 || (size_t)n >= sizeof buf)
        IFX_BUG("smtp command over %d bytes", SMTP_CMD_MAX);
    note_mem(s, '>', cmd, strlen(cmd));
    if (smtp_conn_write(&s->conn, buf, (size_t)n, s->deadline_ms, why) == -1)
        return io_fail(s, why);
    return 0;
}

static int
read_reply(struct smtp_session *s, struct smtp_reply *r, struct errbuf *why)
{
    size_t n;
    int rc;

    smtp_reply_init(r);
    if (s->step == SMTP_STEP_RCPT) /* a capability may come on one line */
        smtp_reply_long(r);
    do {
        if (smtp_conn_readline(&s->conn, s->line, r->line_max + 1, &n,
                               s->deadline_ms, why) == -1)
            return io_fail(s, why);
        note_mem(s, '<', s->line, n);
        rc = smtp_reply_add(r, s->line, n, why);
        if (rc == -1)
            return io_fail(s, why);
    } while (rc == 0);
    if (r->code == 421) /* RFC 5321 3.8: the server is closing */
        smtp_conn_close(&s->conn);
    return 0;
}

/* Enter step, send cmd, read the reply into s->reply. */
static int
command(struct smtp_session *s, enum smtp_step step, const char *cmd,
        struct errbuf *why)
{
    if (s->conn.fd == -1)
        return errbuf_set(why, ERR_TEMP, "4.4.2", "%s: session not open",
                          smtp_step_name(step));
    smtp_enter(s, step);
    if (send_line(s, cmd, why) == -1)
        return -1;
    return read_reply(s, &s->reply, why);
}

static int
reply_fail(struct smtp_session *s, struct errbuf *why)
{
    char what[DNS_HOST_MAX + 80];

    snprintf(what, sizeof what, "%s %s", s->peer, smtp_step_name(s->step));
    return smtp_reply_error(&s->reply, why, what);
}

static void
parse_ehlo(struct smtp_session *s)
{
    const char *p = s->ehlo.text, *end = s->ehlo.text + s->ehlo.len;

    s->ext = 0;
    s->size_max = 0;
    p = memchr(p, '\n', (size_t)(end - p)); /* line 1: the server's name */
    while (p != NULL && p < end) {
        const char *line = p + 1,
                   *eol = memchr(line, '\n', (size_t)(end - line));
        size_t len = eol ? (size_t)(eol - line) : (size_t)(end - line);
        size_t kw = 0;

        while (kw < len && line[kw] != ' ' && line[kw] != '=')
            kw++;
        for (size_t i = 0; i < sizeof ext_table / sizeof ext_table[0]; i++) {
            if (strlen(ext_table[i].kw) == kw &&
                strncasecmp(line, ext_table[i].kw, kw) == 0)
                s->ext |= ext_table[i].bit;
        }
        if (kw == 4 && strncasecmp(line, "SIZE", 4) == 0 && kw < len)
            s->size_max = strtoul(line + kw + 1, NULL, 10);
        p = eol;
    }
}

static int
say_hello(struct smtp_session *s, struct errbuf *why)
{
    char cmd[SMTP_CMD_MAX];

    snprintf(cmd, sizeof cmd, "EHLO %s", s->o->helo_name);
    if (command(s, SMTP_STEP_EHLO, cmd, why) == -1)
        return -1;
    if (s->reply.code / 100 == 2) {
        s->ehlo = s->reply;
        parse_ehlo(s);
        return 0;
    }
    if (s->reply.code / 100 != 5 || s->conn.fd == -1)
        return reply_fail(s, why);
    /* RFC 5321 3.2: a server without EHLO answers 500/502/504/550. */
    snprintf(cmd, sizeof cmd, "HELO %s", s->o->helo_name);
    if (command(s, SMTP_STEP_EHLO, cmd, why) == -1)
        return -1;
    if (s->reply.code / 100 != 2)
        return reply_fail(s, why);
    s->ehlo = s->reply;
    s->ext = 0;
    s->size_max = 0;
    return 0;
}

/* STARTTLS per policy. Returns 0 (TLS or allowed plain), -1 with why;
 * *hs_failed tells the caller a handshake broke (retry plain if allowed). */
static int
start_tls(struct smtp_session *s, bool *hs_failed, struct errbuf *why)
{
    enum smtp_tls_policy pol = s->o->tls;
    const char *name = s->o->tls_name ? s->o->tls_name : s->target->host;

    *hs_failed = false;
    if (pol == SMTP_TLS_NONE)
        return 0;
    if (!(s->ext & SMTP_EXT_STARTTLS)) {
        if (pol == SMTP_TLS_REQUIRED)
            return errbuf_set(why, ERR_TEMP, "4.7.4",
                              "%s: STARTTLS required but not offered", s->peer);
        return 0;
    }
    if (command(s, SMTP_STEP_STARTTLS, "STARTTLS", why) == -1)
        return -1;
    if (s->reply.code != 220) {
        if (pol == SMTP_TLS_REQUIRED || s->conn.fd == -1) {
            reply_fail(s, why);
            why->cls = ERR_TEMP;
            return -1;
        }
        return 0; /* opportunistic: carry on in the clear */
    }
    if (smtp_conn_starttls(&s->conn,
                           pol == SMTP_TLS_REQUIRED ? SMTP_CONN_VERIFY
                                                    : SMTP_CONN_NOVERIFY,
                           s->o->ca_file, name, s->deadline_ms, why) == -1) {
        *hs_failed = true;
        return io_fail(s, why);
    }
    note(s, "TLS established (%s)",
         pol == SMTP_TLS_REQUIRED ? "verified" : "not verified");
    return say_hello(s, why); /* RFC 3207 4.2: forget what we knew */
}

static int
open_one(struct smtp_session *s, const struct dns_target *t, bool tls_ok,
         struct errbuf *why)
{
    struct smtp_opts plain;
    const struct smtp_opts *saved = s->o;
    bool hs_failed = false;
    int rc = -1;

    s->target = t;
    s->ext = 0;
    smtp_reply_init(&s->ehlo);
    snprintf(s->peer, sizeof s->peer, "%s[%s]:%d", t->host, t->addr, t->port);
    note(s, "connecting to %s", s->peer);
    smtp_enter(s, SMTP_STEP_CONNECT);
    if (smtp_conn_connect(&s->conn, t->addr, t->port, s->deadline_ms, why) ==
        -1)
        return io_fail(s, why);
    smtp_enter(s, SMTP_STEP_GREETING);
    if (read_reply(s, &s->reply, why) == -1)
        return -1;
    if (s->reply.code != 220) {
        reply_fail(s, why);
        smtp_conn_close(&s->conn);
        return -1;
    }
    if (say_hello(s, why) == -1)
        goto done;
    if (!tls_ok) {
        plain = *s->o;
        plain.tls = SMTP_TLS_NONE;
        s->o = &plain;
    }
    rc = start_tls(s, &hs_failed, why);
    s->o = saved;
    if (rc == -1 && hs_failed && saved->tls == SMTP_TLS_OPPORTUNISTIC) {
        note(s, "TLS handshake failed; opportunistic: retrying in the clear");
        return open_one(s, t, false, why);
    }
done:
    if (rc == -1)
        smtp_conn_close(&s->conn);
    return rc;
}

struct smtp_session *
smtp_session_init(const struct smtp_opts *o)
{
    struct smtp_session *s = xcalloc(1, sizeof *s);

    s->o = o;
    smtp_conn_init(&s->conn);
    smtp_reply_init(&s->ehlo);
    smtp_reply_init(&s->reply);
    s->step = SMTP_STEP_CONNECT;
    return s;
}

int
smtp_session_open(struct smtp_session *s, const struct dns_targets *t,
                  struct errbuf *why)
{
    bool any_temp = false;

    if (t->count == 0)
        return errbuf_set(why, ERR_PERM, "5.1.2", "no target host");
    for (size_t i = 0; i < t->count; i++) {
        if (open_one(s, &t->t[i], true, why) == 0)
            return 0;
        if (why->cls != ERR_PERM)
            any_temp = true;
    }
    s->target = NULL;
    s->peer[0] = '\0';
    if (any_temp) /* RFC 5321 5.1: a host that may answer later: retry */
        why->cls = ERR_TEMP;
    return -1;
}

unsigned
smtp_session_ext(const struct smtp_session *s)
{
    return s->ext;
}

unsigned long
smtp_session_size_max(const struct smtp_session *s)
{
    return s->size_max;
}

const struct smtp_reply *
smtp_session_ehlo(const struct smtp_session *s)
{
    return &s->ehlo;
}

const struct smtp_reply *
smtp_session_reply(const struct smtp_session *s)
{
    return &s->reply;
}

const char *
smtp_session_peer(const struct smtp_session *s)
{
    return s->conn.fd == -1 ? "" : s->peer;
}

bool
smtp_session_tls(const struct smtp_session *s)
{
    return smtp_conn_is_tls(&s->conn);
}

static bool
dsn_on(const struct smtp_session *s)
{
    return s->o->dsn && (s->ext & SMTP_EXT_DSN);
}

int
smtp_session_mail(struct smtp_session *s, const char *from, const char *envid,
                  size_t size, struct errbuf *why)
{
    char cmd[SMTP_CMD_MAX], x[3 * SMTP_ENVID_MAX + 1];
    size_t o;

    if (smtp_addr_check(from, true, why) == -1)
        return -1;
    o = (size_t)snprintf(cmd, sizeof cmd, "MAIL FROM:<%s>", from);
    if ((s->ext & SMTP_EXT_SIZE) && size > 0)
        o += (size_t)snprintf(cmd + o, sizeof cmd - o, " SIZE=%zu", size);
    if (dsn_on(s)) {
        o += (size_t)snprintf(cmd + o, sizeof cmd - o, " RET=HDRS");
        if (envid != NULL) {
            if (strlen(envid) > SMTP_ENVID_MAX)
                return errbuf_set(why, ERR_PERM, "5.5.4", "ENVID over %d",
                                  SMTP_ENVID_MAX);
            if (smtp_xtext_encode(x, sizeof x, envid, why) == -1)
                return -1;
            snprintf(cmd + o, sizeof cmd - o, " ENVID=%s", x);
        }
    }
    if (command(s, SMTP_STEP_MAIL, cmd, why) == -1)
        return -1;
    if (s->reply.code / 100 != 2)
        return reply_fail(s, why);
    return 0;
}

static int
rcpt_once(struct smtp_session *s, const char *addr, bool conneg,
          struct errbuf *why)
{
    char cmd[SMTP_CMD_MAX], x[SMTP_ORCPT_MAX + 1];
    size_t o = (size_t)snprintf(cmd, sizeof cmd, "RCPT TO:<%s>", addr);

    if (dsn_on(s)) {
        if (smtp_xtext_encode(x, sizeof x - 7, addr, why) == -1)
            return -1;
        o += (size_t)snprintf(
            cmd + o, sizeof cmd - o, " NOTIFY=%s ORCPT=rfc822;%s",
            s->o->notify ? s->o->notify : SMTP_NOTIFY_DEFAULT, x);
    }
    if (conneg)
        snprintf(cmd + o, sizeof cmd - o, " CONNEG");
    return command(s, SMTP_STEP_RCPT, cmd, why);
}

static bool
conneg_unsupported(int code)
{
    /* RFC 4141 5.2: 504; RFC 5321 555 and 501 seen in the field */
    return code == 504 || code == 555 || code == 501;
}

int
smtp_session_rcpt(struct smtp_session *s, const char *addr, bool want_conneg,
                  struct smtp_rcpt_result *res, struct errbuf *why)
{
    bool conneg = want_conneg && (s->ext & SMTP_EXT_CONNEG);

    memset(res, 0, offsetof(struct smtp_rcpt_result, reply));
    smtp_reply_init(&res->reply);
    if (smtp_addr_check(addr, false, why) == -1)
        return -1;
    if (rcpt_once(s, addr, conneg, why) == -1)
        return -1;
    res->conneg_sent = conneg;
    if (conneg && conneg_unsupported(s->reply.code) && s->conn.fd != -1) {
        note(s, "CONNEG refused (%d): RCPT again without it", s->reply.code);
        res->conneg_refused = true;
        res->conneg_sent = false;
        if (rcpt_once(s, addr, false, why) == -1)
            return -1;
    }
    res->reply = s->reply;
    res->code = s->reply.code;
    snprintf(res->status, sizeof res->status, "%s", s->reply.status);
    if (s->reply.code / 100 != 2)
        return reply_fail(s, why);
    return 0;
}

struct stuffer {
    bool bol;     /* at the beginning of a line */
    bool prev_cr; /* the last input byte was CR (its CRLF is out) */
};

/* Dot-stuff and normalise line ends (RFC 5321 4.5.2, 2.3.8) from in to
 * out (room for 3 * n bytes). Returns the bytes written. */
static size_t
stuff(struct stuffer *st, const char *in, size_t n, char *out)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        char c = in[i];

        if (c == '\n' && st->prev_cr) {
            st->prev_cr = false;
            continue;
        }
        st->prev_cr = (c == '\r');
        if (c == '\r' || c == '\n') {
            out[o++] = '\r';
            out[o++] = '\n';
            st->bol = true;
            continue;
        }
        if (st->bol && c == '.')
            out[o++] = '.';
        out[o++] = c;
        st->bol = false;
    }
    return o;
}

static int
send_body(struct smtp_session *s, smtp_body_fn body, void *arg,
          struct errbuf *why)
{
    struct stuffer st = {.bol = true};
    char *in = xmalloc(SMTP_BLOCK_MAX), *out = xmalloc(3 * SMTP_BLOCK_MAX + 8);
    size_t total = 0, blocks = 0;
    int rc = -1;

    for (;;) {
        ssize_t n = body(arg, in, SMTP_BLOCK_MAX, why);
        size_t o;

        if (n < 0) {
            note(s, "body source failed: %s", why->text);
            smtp_conn_close(&s->conn); /* cannot end DATA without a message */
            goto out;
        }
        o = stuff(&st, in, (size_t)n, out);
        if (n == 0) {
            if (!st.bol) {
                out[o++] = '\r';
                out[o++] = '\n';
            }
        }
        if (o > 0) {
            smtp_enter(s, SMTP_STEP_BLOCK);
            if (smtp_conn_write(&s->conn, out, o, s->deadline_ms, why) == -1) {
                io_fail(s, why);
                goto out;
            }
            total += o;
            blocks++;
        }
        if (n == 0)
            break;
    }
    note(s, "[message body: %zu bytes in %zu blocks]", total, blocks);
    rc = 0;
out:
    free(in);
    free(out);
    return rc;
}

int
smtp_session_data(struct smtp_session *s, smtp_body_fn body, void *arg,
                  struct smtp_data_result *res, struct errbuf *why)
{
    memset(res, 0, sizeof *res);
    if (command(s, SMTP_STEP_DATA, "DATA", why) == -1)
        return -1;
    if (s->reply.code != 354) {
        res->code = s->reply.code;
        if (s->reply.code / 100 == 2) /* 250 to DATA: nonsense, broken peer */
            smtp_conn_close(&s->conn);
        return reply_fail(s, why);
    }
    if (send_body(s, body, arg, why) == -1)
        return -1;
    smtp_enter(s, SMTP_STEP_DOT);
    if (send_line(s, ".", why) == -1 || read_reply(s, &s->reply, why) == -1) {
        /* RFC 5321 4.5.3.2.6: the peer may have taken it; retry, never
         * bounce, and say a duplicate is possible. */
        res->possible_duplicate = true;
        why->cls = ERR_TEMP;
        errbuf_prefix(why, "possible duplicate");
        return -1;
    }
    res->code = s->reply.code;
    snprintf(res->status, sizeof res->status, "%s", s->reply.status);
    log_esc_mem(res->text, sizeof res->text, s->reply.text,
                strcspn(s->reply.text, "\n"));
    if (s->reply.code / 100 != 2)
        return reply_fail(s, why);
    return 0;
}

struct membody {
    const char *p;
    size_t left;
};

static ssize_t
membody_read(void *arg, char *buf, size_t n, struct errbuf *why)
{
    struct membody *m = arg;
    size_t k = m->left < n ? m->left : n;

    (void)why;
    memcpy(buf, m->p, k);
    m->p += k;
    m->left -= k;
    return (ssize_t)k;
}

int
smtp_session_data_buf(struct smtp_session *s, const char *msg, size_t n,
                      struct smtp_data_result *res, struct errbuf *why)
{
    struct membody m = {.p = msg, .left = n};

    return smtp_session_data(s, membody_read, &m, res, why);
}

int
smtp_session_rset(struct smtp_session *s, struct errbuf *why)
{
    if (command(s, SMTP_STEP_RSET, "RSET", why) == -1)
        return -1;
    if (s->reply.code / 100 != 2) {
        reply_fail(s, why);
        smtp_conn_close(&s->conn);
        return -1;
    }
    return 0;
}

void
smtp_session_quit(struct smtp_session *s)
{
    struct errbuf why;

    errbuf_clear(&why);
    if (s->conn.fd != -1 && command(s, SMTP_STEP_QUIT, "QUIT", &why) == 0 &&
        s->reply.code != 221)
        note(s, "unexpected reply to QUIT: %d", s->reply.code);
    smtp_conn_close(&s->conn);
}

struct smtp_session *
smtp_session_free(struct smtp_session *s)
{
    if (s == NULL)
        return NULL;
    smtp_conn_close(&s->conn);
    free(s);
    return NULL;
}

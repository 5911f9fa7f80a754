/* smtp_send - drive smtp/smtp_client through one whole transaction for the
 * integration tests (dns_resolve, open, MAIL, RCPT..., DATA, QUIT).
 *
 *   smtp_send --to ADDR [--to ADDR...] [--host H[:P]] [--dns IP:PORT]
 *             [--from ADDR] [--msg FILE | --size BYTES] [--timeout S]
 *             [--tls none|opportunistic|required] [--ca FILE] [--tls-name N]
 *             [--no-conneg] [--no-dsn] [--envid ID] [--transcript FILE]
 *             [--resolve-only] [--port P] [--seed N] [--repeat N]
 * Prints "key=value" lines; exit 0 delivered to every recipient, 1 a
 * permanent failure, 3 a temporary one, 2 usage. */
#define _GNU_SOURCE /* getopt_long */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/errbuf.h"
#include "gateway/util/log.h"
#include "smtp/dns.h"
#include "smtp/smtp_client.h"

#define MAX_RCPT 16

struct args {
    const char *to[MAX_RCPT];
    int nto;
    const char *host, *dns, *from, *msgfile, *ca, *tls_name, *envid, *tfile;
    long size;
    int timeout_s, port;
    unsigned seed;
    enum smtp_tls_policy tls;
    bool conneg, dsn, resolve_only;
    int repeat; /* transactions on the one session, RSET between */
};

static char *
load_message(const struct args *a, size_t *n)
{
    char *buf;

    if (a->msgfile != NULL) {
        FILE *f = fopen(a->msgfile, "rb");
        long len;
        if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0) {
            perror(a->msgfile);
            exit(2);
        }
        rewind(f);
        buf = malloc((size_t)len + 1);
        if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len)
            exit(2);
        fclose(f);
        *n = (size_t)len;
        return buf;
    }
    /* --size: headers, then lines of 76 'x' with a leading dot now and then
     * (exercises dot-stuffing) */
    buf = malloc((size_t)a->size + 200);
    if (buf == NULL)
        exit(2);
    *n = (size_t)snprintf(buf, 200, "From: <%s>\r\nSubject: test\r\n\r\n",
                          a->from);
    while (*n + 80 < (size_t)a->size + 100) {
        memset(buf + *n, 'x', 76);
        if ((*n / 78) % 7 == 0)
            buf[*n] = '.';
        buf[*n + 76] = '\r';
        buf[*n + 77] = '\n';
        *n += 78;
    }
    return buf;
}

static void
print_reply_lines(const char *key, const struct smtp_reply *r)
{
    char esc[SMTP_LINE_MAX * 4 + 8];
    const char *p = r->text;

    for (;;) {
        size_t n = strcspn(p, "\n");
        log_esc_mem(esc, sizeof esc, p, n);
        printf("%s=%s\n", key, esc);
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
}

static int
finish(const struct errbuf *why)
{
    printf("result=%s status=%s text=%s\n", err_class_name(why->cls),
           why->status[0] ? why->status : "-", why->text);
    if (why->cls == ERR_NONE)
        return 0;
    return why->cls == ERR_PERM ? 1 : 3;
}

/* MAIL, every RCPT, DATA: 0 when all recipients took it, else -1 with why
 * (the last failure). */
static int
transaction(struct smtp_session *s, const struct args *a, const char *msg,
            size_t n, struct errbuf *why)
{
    static struct smtp_rcpt_result res;
    struct smtp_data_result dres;
    int ok = 0, rc;

    if (smtp_session_mail(s, a->from, a->envid, n, why) == -1)
        return -1;
    for (int i = 0; i < a->nto; i++) {
        struct errbuf rw;
        errbuf_clear(&rw);
        rc = smtp_session_rcpt(s, a->to[i], a->conneg, &res, &rw);
        printf("rcpt=%s code=%d status=%s conneg_sent=%d conneg_refused=%d\n",
               a->to[i], res.code, res.status[0] ? res.status : "-",
               res.conneg_sent, res.conneg_refused);
        if (res.code != 0)
            print_reply_lines("rcpt_text", &res.reply);
        if (rc == 0)
            ok++;
        else
            *why = rw;
        if (rc == -1 && res.code == 0)
            return -1; /* the connection is gone */
    }
    if (ok == 0)
        return -1;
    rc = smtp_session_data_buf(s, msg, n, &dres, why);
    printf("data=%d status=%s possible_duplicate=%d\n", dres.code,
           dres.status[0] ? dres.status : "-", dres.possible_duplicate);
    if (rc == -1 || ok < a->nto)
        return -1;
    errbuf_clear(why);
    return 0;
}

static int
run(const struct args *a)
{
    struct smtp_timeouts to;
    struct dns_pin pin = {.match = a->to[0], .target = a->host};
    struct dns_opts dopts = {.servers = a->dns,
                             .pins = &pin,
                             .npins = a->host ? 1 : 0,
                             .timeout_s = a->timeout_s,
                             .tries = 1,
                             .port = a->port,
                             .seed = a->seed};
    FILE *tf = a->tfile ? fopen(a->tfile, "w") : NULL;
    struct smtp_opts o = {.helo_name = "gw.test",
                          .timeouts = &to,
                          .tls = a->tls,
                          .ca_file = a->ca,
                          .tls_name = a->tls_name,
                          .dsn = a->dsn,
                          .transcript = tf ? smtp_transcript_stdio : NULL,
                          .transcript_arg = tf};
    static struct dns_targets t;
    struct smtp_session *s = NULL;
    struct errbuf why;
    size_t n = 0;
    char *msg = NULL;

    for (int i = 0; i < SMTP_STEP_COUNT; i++)
        to.secs[i] = a->timeout_s;
    errbuf_clear(&why);
    if (dns_resolve(a->to[0], &dopts, &t, &why) == -1)
        goto out;
    for (size_t i = 0; i < t.count; i++)
        printf("target=%s %s %d %d\n", t.t[i].host, t.t[i].addr, t.t[i].port,
               t.t[i].pref);
    if (a->resolve_only)
        goto out;
    s = smtp_session_init(&o);
    if (smtp_session_open(s, &t, &why) == -1)
        goto out;
    printf("open=%s ext=0x%02x tls=%s\n", smtp_session_peer(s),
           smtp_session_ext(s), smtp_session_tls(s) ? "yes" : "no");
    msg = load_message(a, &n);
    for (int k = 0; k < (a->repeat > 0 ? a->repeat : 1); k++) {
        if (k > 0 && smtp_session_rset(s, &why) == -1)
            goto out;
        if (transaction(s, a, msg, n, &why) == -1)
            goto out;
    }
    smtp_session_quit(s);
out:
    smtp_session_free(s);
    free(msg);
    if (tf)
        fclose(tf);
    return finish(&why);
}

int
main(int argc, char **argv)
{
    static const struct option lo[] = {{"to", 1, NULL, 'r'},
                                       {"host", 1, NULL, 'H'},
                                       {"dns", 1, NULL, 'D'},
                                       {"from", 1, NULL, 'f'},
                                       {"msg", 1, NULL, 'm'},
                                       {"size", 1, NULL, 's'},
                                       {"timeout", 1, NULL, 'T'},
                                       {"tls", 1, NULL, 't'},
                                       {"ca", 1, NULL, 'a'},
                                       {"tls-name", 1, NULL, 'n'},
                                       {"no-conneg", 0, NULL, 'C'},
                                       {"no-dsn", 0, NULL, 'N'},
                                       {"envid", 1, NULL, 'e'},
                                       {"transcript", 1, NULL, 'x'},
                                       {"resolve-only", 0, NULL, 'R'},
                                       {"port", 1, NULL, 'p'},
                                       {"seed", 1, NULL, 'S'},
                                       {"repeat", 1, NULL, 'n' + 256},
                                       {NULL, 0, NULL, 0}};
    struct args a = {.from = "gw@gw.test",
                     .size = 2000,
                     .timeout_s = 30,
                     .tls = SMTP_TLS_NONE,
                     .conneg = true,
                     .dsn = true};
    int c;

    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (a.nto == MAX_RCPT)
                return 2;
            a.to[a.nto++] = optarg;
            break;
        case 'H':
            a.host = optarg;
            break;
        case 'D':
            a.dns = optarg;
            break;
        case 'f':
            a.from = optarg;
            break;
        case 'm':
            a.msgfile = optarg;
            break;
        case 's':
            a.size = atol(optarg);
            break;
        case 'T':
            a.timeout_s = atoi(optarg);
            break;
        case 'a':
            a.ca = optarg;
            break;
        case 'n':
            a.tls_name = optarg;
            break;
        case 'C':
            a.conneg = false;
            break;
        case 'N':
            a.dsn = false;
            break;
        case 'e':
            a.envid = optarg;
            break;
        case 'x':
            a.tfile = optarg;
            break;
        case 'n' + 256:
            a.repeat = atoi(optarg);
            break;
        case 'R':
            a.resolve_only = true;
            break;
        case 'p':
            a.port = atoi(optarg);
            break;
        case 'S':
            a.seed = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 't':
            a.tls = strcmp(optarg, "required") == 0 ? SMTP_TLS_REQUIRED
                    : strcmp(optarg, "opportunistic") == 0
                        ? SMTP_TLS_OPPORTUNISTIC
                        : SMTP_TLS_NONE;
            break;
        default:
            return 2;
        }
    }
    if (a.nto == 0 || a.timeout_s <= 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    return run(&a);
}

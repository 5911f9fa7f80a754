/* probe command: ask a recipient for its capabilities, send nothing
 * (smtp_client.h, dns.h; docs/smtp.md) */
#define _GNU_SOURCE /* getopt_long */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/config.h"
#include "gateway/commands.h"
#include "gateway/util/errbuf.h"
#include "gateway/util/log.h"
#include "smtp/conneg.h"
#include "smtp/dns.h"
#include "smtp/featexpr.h"
#include "smtp/smtp_addr.h"
#include "smtp/smtp_client.h"

#define PROBE_EXIT_OK    0
#define PROBE_EXIT_PERM  1 /* permanent: 5xx, NXDOMAIN, null MX */
#define PROBE_EXIT_USAGE 2
#define PROBE_EXIT_TEMP  3 /* temporary: 4xx, timeouts, refused */

struct probe_args {
    const char *addr, *host, *dns, *helo, *from, *ca, *conf, *source;
    int tls;       /* enum smtp_tls_policy, -1: the config's */
    int timeout_s; /* 0: the defaults above */
    bool transcript;
};

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: ifaxgw probe ADDRESS [-c CONF] [--host H[:PORT]] "
            "[--dns IP[:PORT],...]\n"
            "       [--helo NAME] [--from ADDR] [--tls none|opportunistic|"
            "required] [--ca FILE]\n"
            "       [--timeout SECS] [--transcript] [--source \"MMR 204x196 "
            "A4\"]\n"
            "Resolves ADDRESS, connects, EHLO, MAIL, RCPT TO:<ADDRESS> CONNEG "
            "(when\nadvertised), RSET, QUIT: sends no message. Prints the "
            "extensions, the\ncapability reply, the parsed capability and what "
            "would be sent for pages\nlike --source (default \"MH 204x196 "
            "A4\").\n"
            "Exit: 0 recipient accepted, 1 permanent failure, 2 usage, "
            "3 temporary failure.\n");
}

static int
parse_args(int argc, char **argv, struct probe_args *a)
{
    static const struct option longopts[] = {
        {"host", required_argument, NULL, 'H'},
        {"dns", required_argument, NULL, 'D'},
        {"helo", required_argument, NULL, 'e'},
        {"from", required_argument, NULL, 'f'},
        {"tls", required_argument, NULL, 't'},
        {"ca", required_argument, NULL, 'a'},
        {"timeout", required_argument, NULL, 'T'},
        {"transcript", no_argument, NULL, 'v'},
        {"source", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            a->conf = optarg;
            break;
        case 'H':
            a->host = optarg;
            break;
        case 'D':
            a->dns = optarg;
            break;
        case 'e':
            a->helo = optarg;
            break;
        case 'f':
            a->from = optarg;
            break;
        case 'a':
            a->ca = optarg;
            break;
        case 'v':
            a->transcript = true;
            break;
        case 's':
            a->source = optarg;
            break;
        case 'T':
            a->timeout_s = atoi(optarg);
            break;
        case 't':
            if (strcmp(optarg, "none") == 0)
                a->tls = SMTP_TLS_NONE;
            else if (strcmp(optarg, "opportunistic") == 0)
                a->tls = SMTP_TLS_OPPORTUNISTIC;
            else if (strcmp(optarg, "required") == 0)
                a->tls = SMTP_TLS_REQUIRED;
            else
                return -1;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -1;
        }
    }
    if (optind != argc - 1 || a->timeout_s < 0)
        return -1;
    a->addr = argv[optind];
    return 0;
}

static void
print_lines(const char *label, const struct smtp_reply *r)
{
    char esc[SMTP_LINE_MAX * 4 + 8];
    const char *p = r->text;

    printf("%s:\n", label);
    for (;;) {
        size_t n = strcspn(p, "\n");
        log_esc_mem(esc, sizeof esc, p, n);
        /* as received: "250-" on every line but the last (RFC 5321 4.2) */
        printf("  %d%c%s\n", r->code, p[n] == '\0' ? ' ' : '-', esc);
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
}

static void
print_ext(struct smtp_session *s)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{SMTP_EXT_CONNEG, "CONNEG"},
                 {SMTP_EXT_DSN, "DSN"},
                 {SMTP_EXT_SIZE, "SIZE"},
                 {SMTP_EXT_8BITMIME, "8BITMIME"},
                 {SMTP_EXT_PIPELINE, "PIPELINING"},
                 {SMTP_EXT_STARTTLS, "STARTTLS"},
                 {SMTP_EXT_ENHANCED, "ENHANCEDSTATUSCODES"}};
    unsigned ext = smtp_session_ext(s);

    printf("peer: %s\ntls: %s\nextensions:", smtp_session_peer(s),
           smtp_session_tls(s) ? "yes" : "no");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (ext & names[i].bit)
            printf(" %s", names[i].name);
    if (smtp_session_size_max(s) > 0)
        printf(" (SIZE %lu)", smtp_session_size_max(s));
    printf("\n");
}

static void
print_caps(const char *filter)
{
    struct errbuf why;
    struct featexpr *e =
        featexpr_parse(filter, strlen(filter),
                       FEATEXPR_LENIENT_CMP | FEATEXPR_SEQ_AND, NULL, &why);
    char *norm = e ? featexpr_print(e) : NULL;
    char esc[4 * CONNEG_FEATURES_MAX];

    printf("capability (parsed): %s\n",
           norm ? log_esc(esc, sizeof esc, norm) : "unparsable");
    free(norm);
    featexpr_free(e);
}

static void
print_choice(const struct conneg_choice *ch)
{
    char esc[4 * CONNEG_ERRTEXT_MAX];

    if (ch->parse_failed)
        printf("capability error: line %d column %d: %s\n", ch->err_line,
               ch->err_col, log_esc(esc, sizeof esc, ch->err_text));
    printf("outcome: %s\nwould send: profile %c, %s %dx%d, width %d, %s\n",
           conneg_outcome_name(ch->outcome), ch->profile,
           page_coding_name(ch->fmt.coding), ch->fmt.xres, ch->fmt.yres,
           ch->fmt.width, conneg_paper_name(ch->fmt.paper));
    printf("content-type: %s\ncontent-features: %s\n", ch->mime_type,
           ch->features);
}

static void
print_rcpt(const struct smtp_rcpt_result *res, unsigned ext,
           const struct conneg_source *src)
{
    struct conneg_caps caps = {0};
    struct conneg_choice ch;
    struct errbuf why;

    if (res->status[0] != '\0')
        printf("rcpt: %d %s\n", res->code, res->status);
    else
        printf("rcpt: %d (no enhanced status)\n", res->code);
    if (!(ext & SMTP_EXT_CONNEG))
        printf("conneg: not advertised\n");
    else if (res->conneg_refused)
        printf("conneg: refused by the server, capabilities unknown\n");
    else
        printf("conneg: asked\n");
    print_lines("capability reply (raw)", &res->reply);
    if (res->conneg_sent &&
        conneg_caps_from_reply(res->reply.text, &caps, &why) == -1)
        printf("capability error: %s\n", why.text);
    if (caps.text != NULL)
        print_caps(caps.text);
    else
        printf("capability (parsed): none\n");
    if (conneg_choose(caps.text, src, &ch, &why) == 0) {
        if (ch.parse_failed)
            conneg_caps_where(&caps, ch.err_pos, &ch.err_line, &ch.err_col);
        print_choice(&ch);
    } else {
        printf("choice error: %s\n", why.text);
    }
    conneg_caps_release(&caps);
}

static int
exit_for(const struct errbuf *why)
{
    return why->cls == ERR_PERM ? PROBE_EXIT_PERM : PROBE_EXIT_TEMP;
}

static int
probe(const struct probe_args *a, const struct config *cf,
      struct smtp_timeouts *to, const struct conneg_source *src)
{
    struct dns_pin pin = {.match = a->addr, .target = a->host};
    struct dns_conf dc;
    struct dns_opts dopts;
    struct smtp_opts sopts = {.helo_name = a->helo,
                              .timeouts = to,
                              .tls = a->tls,
                              .ca_file = a->ca,
                              .dsn = true,
                              .transcript =
                                  a->transcript ? smtp_transcript_stdio : NULL,
                              .transcript_arg = stderr};
    struct dns_targets *t = calloc(1, sizeof *t);
    struct smtp_rcpt_result *res = calloc(1, sizeof *res);
    struct smtp_session *s = smtp_session_init(&sopts);
    struct errbuf why;
    int rc = PROBE_EXIT_OK;

    dns_conf_init(&dc, &cf->smtp);
    dopts = dc.opts;
    if (a->dns != NULL)
        dopts.servers = a->dns;
    if (a->host != NULL) {
        dopts.pins = &pin;
        dopts.npins = 1;
    }
    if (a->timeout_s > 0)
        dopts.timeout_s = a->timeout_s;
    errbuf_clear(&why);
    if (t == NULL || res == NULL) {
        rc = PROBE_EXIT_TEMP;
        goto out;
    }
    if (dns_resolve(a->addr, &dopts, t, &why) == -1 ||
        smtp_session_open(s, t, &why) == -1)
        goto fail;
    print_ext(s);
    print_lines("ehlo reply", smtp_session_ehlo(s));
    if (smtp_session_mail(s, a->from, NULL, 0, &why) == -1)
        goto fail;
    if (smtp_session_rcpt(s, a->addr, true, res, &why) == -1 && res->code == 0)
        goto fail;
    print_rcpt(res, smtp_session_ext(s), src);
    if (res->code / 100 != 2)
        goto fail;
    if (smtp_session_rset(s, &why) == -1)
        goto fail;
    smtp_session_quit(s);
    goto out;
fail:
    printf("error: %s %s %s\n", err_class_name(why.cls),
           why.status[0] ? why.status : "-", why.text);
    rc = exit_for(&why);
    smtp_session_quit(s);
out:
    smtp_session_free(s);
    dns_conf_release(&dc);
    free(t);
    free(res);
    return rc;
}

static struct config *
load_config(const char *path)
{
    struct config_errors errs;
    struct config *cf;

    if (path == NULL && access(CONFIG_DEFAULT_FILE, R_OK) != 0)
        return config_default();
    cf = config_load(path ? path : CONFIG_DEFAULT_FILE, &errs);
    for (int i = 0; cf == NULL && i < errs.count; i++)
        fprintf(stderr, "ifaxgw probe: %s\n", errs.msg[i]);
    return cf;
}

int
probe_cmd_main(int argc, char **argv)
{
    struct probe_args a = {.tls = -1};
    struct smtp_timeouts to;
    struct conneg_source src;
    struct config *cf;
    struct errbuf why;
    int rc;

    if (parse_args(argc, argv, &a) == -1) {
        usage(stderr);
        return PROBE_EXIT_USAGE;
    }
    if (conneg_source_parse(a.source ? a.source : "MH 204x196 A4", &src,
                            &why) == -1) {
        fprintf(stderr, "ifaxgw probe: %s\n", why.text);
        return PROBE_EXIT_USAGE;
    }
    cf = load_config(a.conf);
    if (cf == NULL)
        return PROBE_EXIT_USAGE;
    if (a.helo == NULL)
        a.helo = cf->smtp.hostname;
    if (a.from == NULL)
        a.from = cf->smtp.from ? cf->smtp.from : "";
    if (a.ca == NULL)
        a.ca = cf->smtp.ca_file;
    if (a.tls == -1)
        a.tls = cf->smtp.direct_tls == CONFIG_TLS_NONE ? SMTP_TLS_NONE
                : cf->smtp.direct_tls == CONFIG_TLS_REQUIRED
                    ? SMTP_TLS_REQUIRED
                    : SMTP_TLS_OPPORTUNISTIC;
    to = cf->smtp.timeouts;
    if (a.timeout_s > 0)
        for (int i = 0; i < SMTP_STEP_COUNT; i++)
            to.secs[i] = a.timeout_s;
    if (smtp_addr_check(a.addr, false, &why) == -1 ||
        smtp_addr_check(a.from, true, &why) == -1) {
        fprintf(stderr, "ifaxgw probe: %s\n", why.text);
        config_free(cf);
        return PROBE_EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN); /* TLS writes to a closed peer */
    rc = probe(&a, cf, &to, &src);
    config_free(cf);
    return rc;
}

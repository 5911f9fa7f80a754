/* config_cmd - the check-config and route commands (gateway/commands.h) */
#define _GNU_SOURCE /* getopt_long */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/config.h"
#include "conf/route.h"
#include "gateway/commands.h"
#include "gateway/util/log.h"

static const char check_usage[] =
    "usage: ifaxgw check-config [-c FILE] [--default] [--print-default]\n"
    "\n"
    "Validate a config file and list every problem as FILE:LINE: PROBLEM.\n"
    "Exit 0 with a short summary when the file is good, 1 when it has\n"
    "problems, 2 on a usage error. Warnings do not change the exit status.\n"
    "\n"
    "  -c, --config FILE   the file to check (default " CONFIG_DEFAULT_FILE
    ")\n"
    "      --default       check the embedded default configuration instead\n"
    "      --print-default print the embedded default configuration and exit\n"
    "  -h, --help          this text\n";

static const char route_usage[] =
    "usage: ifaxgw route [-c FILE | --default] [--line L] [--source S]\n"
    "                    [--called N] [--caller C] [--csid S] [--time HH:MM]\n"
    "\n"
    "Show which route a call (or a scan, or `ifaxgw submit` with the same\n"
    "--line/--called/--caller/--csid) would take, why it matched, its\n"
    "recipients and the expanded subject. Exit 0 when a route matched, 1\n"
    "when none did (or the config has problems), 2 on a usage error.\n"
    "\n"
    "  -c, --config FILE   config file (default " CONFIG_DEFAULT_FILE ")\n"
    "      --default       use the embedded default configuration\n"
    "      --line L        the line the call came in on\n"
    "      --source S      line name or scan:PROFILE (default: the line)\n"
    "      --called N      called number (DID)\n"
    "      --caller C      caller ID\n"
    "      --csid S        the sender's station identity (CSID)\n"
    "      --time HH:MM    time of day (default: now, local time)\n"
    "  -h, --help          this text\n";

static void
print_errors(const struct config_errors *e)
{
    for (int i = 0; i < e->count; i++)
        fprintf(stderr, "%s\n", e->msg[i]);
    if (e->dropped > 0)
        fprintf(stderr, "... and %d more problems\n", e->dropped);
    for (int i = 0; i < e->nwarn; i++)
        fprintf(stderr, "%s\n", e->warn[i]);
}

static void
print_recipient(const struct config_recipient *r)
{
    printf("    %s mode=%s format=%s tls=%s", r->address,
           config_smtp_mode_name(r->mode), config_format_name(r->format),
           config_tls_name(r->tls));
    if (r->host != NULL)
        printf(" host=%s%s%s:%d", strchr(r->host, ':') ? "[" : "", r->host,
               strchr(r->host, ':') ? "]" : "", r->port);
    printf("%s\n", r->mdn ? " mdn" : "");
}

static void
print_summary(const struct config *cf)
{
    const struct config_smtp *s = &cf->smtp;

    printf("%s: ok\n", cf->file);
    printf("  gateway %s, spool %s, %d delivery workers\n", cf->gateway.name,
           cf->gateway.spool, cf->gateway.workers);
    for (int i = 0; i < cf->n_lines; i++) {
        const struct config_line *ln = &cf->lines[i];

        if (ln->kind == CONFIG_LINE_AUDIOSOCKET)
            printf("  line %s: audiosocket %s port %d, %d calls at once\n",
                   ln->name, ln->listen, ln->port, ln->max_calls);
        else
            printf("  line %s: %s %s\n", ln->name,
                   ln->kind == CONFIG_LINE_MODEM ? "modem" : "audio",
                   ln->kind == CONFIG_LINE_MODEM ? ln->device : ln->audio);
    }
    if (cf->scanner_button_profile != NULL)
        printf("  scanner button: scans with profile %s (read every %d ms)\n",
               cf->scanner_button_profile, cf->scanner_button_poll_ms);
    for (int i = 0; i < cf->n_profiles; i++)
        printf("  scan profile %s: %d dpi %s%s%s\n", cf->profiles[i].name,
               cf->profiles[i].resolution,
               config_paper_name(cf->profiles[i].paper),
               cf->profiles[i].route != NULL ? " -> route " : "",
               cf->profiles[i].route != NULL ? cf->profiles[i].route->name
                                             : "");
    for (int i = 0; i < cf->n_routes; i++)
        printf("  route %s: %s, %d recipient%s\n", cf->routes[i].name,
               cf->routes[i].reject      ? "reject"
               : cf->routes[i].has_match ? "match"
                                         : "catch-all",
               cf->routes[i].n_recipients,
               cf->routes[i].n_recipients == 1 ? "" : "s");
    printf("  smtp %s as %s, from %s, retry", config_smtp_mode_name(s->mode),
           s->hostname, s->from);
    for (int i = 0; i < s->n_retry; i++)
        printf("%s%d", i ? "," : " ", s->retry_s[i]);
    printf(" s, expiry %d s\n  smtp timeouts:", s->expiry_s);
    for (int i = 0; i < SMTP_STEP_COUNT; i++)
        printf(" %s=%d", config_smtp_step_name((enum smtp_step)i),
               s->timeouts.secs[i]);
    printf("\n  web %s %s:%d\n", cf->web.enable ? "on" : "off", cf->web.listen,
           cf->web.port);
}

/* Who will use the spool: gateway.user (the daemon started as root drops
 * to it), else whoever runs this. */
struct spool_user {
    const char *name;
    uid_t uid;
    gid_t gids[64];
    int ngids;
};

static bool
spool_user_get(const struct config *cf, const char *file, struct spool_user *u)
{
    const struct passwd *pw = cf->gateway.user != NULL
                                  ? getpwnam(cf->gateway.user)
                                  : getpwuid(geteuid());

    if (pw == NULL) {
        if (cf->gateway.user != NULL)
            fprintf(stderr,
                    "%s: warning: on this machine: gateway.user %s: no such "
                    "user (the daemon "
                    "will not start)\n",
                    file, cf->gateway.user);
        return false;
    }
    u->name = pw->pw_name;
    u->uid = pw->pw_uid;
    u->ngids = (int)(sizeof u->gids / sizeof u->gids[0]);
    if (getgrouplist(pw->pw_name, pw->pw_gid, u->gids, &u->ngids) == -1) {
        u->gids[0] = pw->pw_gid; /* more than 64 groups: primary only */
        u->ngids = 1;
    }
    return true;
}

/* May u do what (S_IWOTH|S_IXOTH style bits, "other" position) on st? */
static bool
spool_user_may(const struct spool_user *u, const struct stat *st, unsigned what)
{
    if (u->uid == 0)
        return true;
    if (st->st_uid == u->uid)
        return ((st->st_mode >> 6) & what) == what;
    for (int i = 0; i < u->ngids; i++)
        if (st->st_gid == u->gids[i])
            return ((st->st_mode >> 3) & what) == what;
    return (st->st_mode & what) == what;
}

/*
 * Warn when gateway.user cannot reach the spool (a parent it may not
 * search), or the spool or a state directory is not writable for it. The
 * daemon started as root hands the spool tree itself to gateway.user, but
 * not its parents; started otherwise it changes nothing.
 */
static void
check_spool(const struct config *cf, const char *file)
{
    static const char *const dirs[] = {"", "/incoming", "/queue", "/done",
                                       "/failed"};
    struct spool_user u;
    char path[PATH_MAX];
    struct stat st;
    const char *hint = cf->gateway.user != NULL
                           ? " (the daemon started as root hands the spool "
                             "to it)"
                           : "";

    if (!spool_user_get(cf, file, &u) || cf->gateway.spool[0] != '/')
        return;
    /* every existing parent must let the user pass */
    (void)snprintf(path, sizeof path, "%s", cf->gateway.spool);
    for (char *p = strchr(path + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
        *p = '\0';
        if (stat(path, &st) == 0 && !spool_user_may(&u, &st, 01)) {
            fprintf(stderr,
                    "%s: warning: on this machine: spool %s: user %s may not "
                    "enter %s\n",
                    file, cf->gateway.spool, u.name, path);
            return;
        }
        *p = '/';
    }
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        (void)snprintf(path, sizeof path, "%s%s", cf->gateway.spool, dirs[i]);
        if (stat(path, &st) == -1) {
            if (i == 0 && errno != ENOENT)
                fprintf(stderr, "%s: warning: on this machine: spool %s: %s\n",
                        file, path, strerror(errno));
            if (i == 0) /* created at the first start */
                return;
            continue;
        }
        if (!spool_user_may(&u, &st, 03)) {
            fprintf(stderr,
                    "%s: warning: on this machine: spool %s: not writable for "
                    "user %s%s\n",
                    file, path, u.name, hint);
            return;
        }
    }
}

/* Warn about a modem line whose device is not there (yet): the line
 * retries, but takes no call until it appears. */
static void
check_devices(const struct config *cf, const char *file)
{
    struct stat st;

    for (int i = 0; i < cf->n_lines; i++) {
        const struct config_line *l = &cf->lines[i];

        if (l->kind != CONFIG_LINE_MODEM || l->device == NULL)
            continue;
        if (stat(l->device, &st) == -1)
            fprintf(stderr,
                    "%s:%d: warning: on this machine: line %s: device %s: %s\n",
                    file, l->src_line, l->name, l->device, strerror(errno));
        else if (!S_ISCHR(st.st_mode))
            fprintf(
                stderr,
                "%s:%d: warning: on this machine: line %s: device %s: not a "
                "character device\n",
                file, l->src_line, l->name, l->device);
    }
}

/* Load -c FILE or the embedded default; NULL after printing problems. */
static struct config *
load(const char *file, int use_default, struct config_errors *errs)
{
    struct config *cf;

    if (use_default)
        cf = config_load_string(config_default_text(), "<default>", errs);
    else
        cf = config_load(file, errs);
    print_errors(errs);
    return cf;
}

int
config_cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"default", no_argument, NULL, 'd'},
        {"print-default", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *file = CONFIG_DEFAULT_FILE;
    int use_default = 0, c;
    struct config_errors *errs;
    struct config *cf;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            file = optarg;
            break;
        case 'd':
            use_default = 1;
            break;
        case 'p':
            fputs(config_default_text(), stdout);
            return 0;
        case 'h':
            fputs(check_usage, stdout);
            return 0;
        default:
            fputs(check_usage, stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fputs(check_usage, stderr);
        return 2;
    }
    errs = calloc(1, sizeof *errs); /* ~20 KiB: not on the stack */
    if (errs == NULL)
        return 1;
    cf = load(file, use_default, errs);
    if (cf != NULL) {
        /* this machine, not the file: warnings, never errors */
        check_devices(cf, use_default ? "<default>" : file);
        check_spool(cf, use_default ? "<default>" : file);
        print_summary(cf);
    } else
        fprintf(stderr, "%s: %d problem%s\n", use_default ? "<default>" : file,
                errs->count + errs->dropped,
                errs->count + errs->dropped == 1 ? "" : "s");
    free(errs);
    c = cf != NULL ? 0 : 1;
    config_free(cf);
    return c;
}

static int
parse_time(const char *s)
{
    int h, m;
    char end;

    if (sscanf(s, "%2d:%2d%c", &h, &m, &end) != 2 || h < 0 || h > 23 || m < 0 ||
        m > 59)
        return -1;
    return h * 60 + m;
}

static void
print_route(const struct config_route *rt, const struct route_query *q,
            const char *why, const char *time_text)
{
    struct route_vars v = {.csid = q->csid,
                           .caller = q->caller,
                           .called = q->called,
                           .line = q->line,
                           .source = q->source != NULL ? q->source : q->line,
                           .job = "JOB",
                           .time = time_text,
                           .pages = 1};
    char subject[CONFIG_SUBJECT_MAX + 1], e[CONFIG_SUBJECT_MAX * 4 + 8];

    printf("route: %s (line %d)\n", rt->name, rt->src_line);
    printf("why: %s\n", why);
    if (rt->reject) {
        printf("action: reject (the call is refused unanswered)\n");
        return;
    }
    printf("recipients:\n");
    for (int i = 0; i < rt->n_recipients; i++)
        print_recipient(&rt->recipients[i]);
    if (rt->notify != NULL)
        printf("notify: %s%s\n", rt->notify,
               rt->notify_success ? " (also on success)" : "");
    route_subject(rt, &v, subject, sizeof subject);
    /* 8-bit from a hostile CSID stays escaped on a terminal, too. */
    printf("subject: %s\n", log_esc(e, sizeof e, subject));
}

struct route_args {
    const char *file;
    int use_default;
    const char *time;
    struct route_query q;
};

static int
route_args(int argc, char **argv, struct route_args *a)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"default", no_argument, NULL, 'd'},
        {"line", required_argument, NULL, 'l'},
        {"source", required_argument, NULL, 's'},
        {"called", required_argument, NULL, 'n'},
        {"from", required_argument, NULL, 'f'},
        {"caller", required_argument, NULL, 'f'},
        {"csid", required_argument, NULL, 'i'},
        {"time", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            a->file = optarg;
            break;
        case 'd':
            a->use_default = 1;
            break;
        case 'l':
            a->q.line = optarg;
            break;
        case 's':
            a->q.source = optarg;
            break;
        case 'n':
            a->q.called = optarg;
            break;
        case 'f':
            a->q.caller = optarg;
            break;
        case 'i':
            a->q.csid = optarg;
            break;
        case 't':
            a->time = optarg;
            break;
        case 'h':
            fputs(route_usage, stdout);
            return 0;
        default:
            fputs(route_usage, stderr);
            return 2;
        }
    }
    /* a submit without --line has no source: called, caller, CSID decide */
    if (optind != argc || (a->q.line == NULL && a->q.source == NULL &&
                           a->q.called == NULL && a->q.caller == NULL &&
                           a->q.csid == NULL)) {
        fprintf(stderr, "ifaxgw route: give --line, --source, --called, "
                        "--caller or --csid\n");
        fputs(route_usage, stderr);
        return 2;
    }
    return -1;
}

int
config_cmd_route(int argc, char **argv)
{
    struct route_args a = {.file = CONFIG_DEFAULT_FILE};
    struct config_errors *errs;
    struct config *cf;
    const struct config_route *rt;
    char why[ROUTE_WHY_MAX], now[8], e[200];
    int rc = route_args(argc, argv, &a);

    if (rc != -1)
        return rc;
    if (a.time != NULL && (a.q.minute_of_day = parse_time(a.time)) < 0) {
        fprintf(stderr, "ifaxgw route: --time wants HH:MM\n");
        return 2;
    }
    if (a.time == NULL) {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        a.q.minute_of_day = tm.tm_hour * 60 + tm.tm_min;
        snprintf(now, sizeof now, "%02d:%02d", tm.tm_hour, tm.tm_min);
        a.time = now;
    }
    errs = calloc(1, sizeof *errs);
    if (errs == NULL)
        return 1;
    cf = load(a.file, a.use_default, errs);
    free(errs);
    if (cf == NULL)
        return 1;
    if (a.q.line != NULL && config_line_find(cf, a.q.line) == NULL)
        fprintf(stderr, "note: the config has no line '%s'\n",
                log_esc(e, sizeof e, a.q.line));
    if (a.q.source != NULL && strncmp(a.q.source, "scan:", 5) == 0 &&
        config_profile_find(cf, a.q.source + 5) == NULL)
        fprintf(stderr, "note: the config has no scan profile '%s'\n",
                log_esc(e, sizeof e, a.q.source + 5));
    rt = route_match(cf, &a.q, why, sizeof why);
    if (rt != NULL)
        print_route(rt, &a.q, why, a.time);
    else
        printf("no route: %s\n"
               "a call is answered and its job kept in failed/ (\"no route "
               "matched\"); `ifaxgw queue retry ID` routes it again\n",
               why);
    config_free(cf);
    return rt != NULL ? 0 : 1;
}

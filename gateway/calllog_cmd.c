/* calllog_cmd - "ifaxgw calls": the call log, one line per call (as
 * HylaFAX's xferfaxlog), and one call with its T.30 ladder.
 *
 * Reads spool/calls/ (gateway/intake/calllog) and nothing else; safe next to a
 * running daemon. Exit status: 0 ok, 1 failure (no such call, I/O), 2
 * usage. */
#define _GNU_SOURCE /* strptime, timegm */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "conf/config.h"
#include "gateway/cli.h"
#include "gateway/commands.h"
#include "gateway/intake/calllog.h"
#include "gateway/spool/spool.h"
#include "gateway/util/log.h"
#include "gateway/util/mstime.h"

#define CMD_ESC_MAX 96 /* shown width of one far-end field */

static const char usage_text[] =
    "usage: ifaxgw calls [-c FILE | --spool DIR] [FILTERS] [--json]\n"
    "       ifaxgw calls [-c FILE | --spool DIR] show ID [--json]\n"
    "\n"
    "The call log: every call a line had (or `ifaxgw receive` took),\n"
    "answered or refused, pages or none, newest first, one line each:\n"
    "  start (UTC), line, duration, result, pages, bit rate, ECM,\n"
    "  caller, called number, CSID, call id, then the job or the reason.\n"
    "show ID prints one call with its T.30 ladder (frames decoded, failures\n"
    "marked !) and the raw transcript.\n"
    "\n"
    "filters:\n"
    "  --line L        calls on line L\n"
    "  --result R      ok, partial, failed or refused\n"
    "  --since WHEN    calls started since WHEN: YYYY-MM-DD[THH:MM[:SS]]\n"
    "                  (UTC) or an age like 90m, 12h, 7d\n"
    "  -q TEXT         TEXT in the CSID, caller, called number or job id\n"
    "  --limit N       at most N calls (default all)\n"
    "options:\n"
    "  -c FILE         config file (default /etc/ifaxgw/ifaxgw.conf); its\n"
    "                  gateway.spool is used\n"
    "  --spool DIR     use this spool directory instead\n"
    "  --json          JSON: {\"total\":N,\"calls\":[...]} or the record\n"
    "  -h, --help      this text\n";

static int
usage(FILE *f, int rc)
{
    fputs(usage_text, f);
    return rc;
}

struct calls_args {
    const char *conf, *spool, *show;
    struct calllog_query q;
    bool json;
};

/* "2026-12-03", "2026-12-03T14:00[:00]" (UTC) or "90m"/"12h"/"7d"/"30s";
 * -1 when it is none of them. */
static int64_t
parse_since(const char *s, int64_t now_ms)
{
    static const char *const fmts[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
                                       "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
                                       "%Y-%m-%d"};
    struct tm tm;
    char *end;
    long v;

    for (size_t i = 0; i < sizeof fmts / sizeof *fmts; i++) {
        memset(&tm, 0, sizeof tm);
        end = strptime(s, fmts[i], &tm);
        if (end != NULL && (*end == '\0' || strcmp(end, "Z") == 0))
            return (int64_t)timegm(&tm) * 1000;
    }
    v = strtol(s, &end, 10);
    if (end == s || v < 0 || v > 100000 || end[0] == '\0' || end[1] != '\0')
        return -1;
    switch (end[0]) {
    case 's':
        return now_ms - (int64_t)v * 1000;
    case 'm':
        return now_ms - (int64_t)v * 60000;
    case 'h':
        return now_ms - (int64_t)v * 3600000;
    case 'd':
        return now_ms - (int64_t)v * 86400000;
    }
    return -1;
}

static int
parse_args(int argc, char **argv, struct calls_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        bool more = i + 1 < argc;
        char *end;

        if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0)
            return usage(stdout, 0);
        if (strcmp(o, "--json") == 0)
            a->json = true;
        else if (strcmp(o, "-c") == 0 && more)
            a->conf = argv[++i];
        else if (strcmp(o, "--spool") == 0 && more)
            a->spool = argv[++i];
        else if (strcmp(o, "--line") == 0 && more)
            a->q.line = argv[++i];
        else if (strcmp(o, "--result") == 0 && more)
            a->q.result = argv[++i];
        else if (strcmp(o, "-q") == 0 && more)
            a->q.text = argv[++i];
        else if (strcmp(o, "--since") == 0 && more) {
            a->q.since_ms = parse_since(argv[++i], mstime_wall());
            if (a->q.since_ms < 0) {
                fprintf(stderr, "ifaxgw calls: --since: a date "
                                "YYYY-MM-DD[THH:MM[:SS]] or an age like 12h\n");
                return 2;
            }
        } else if (strcmp(o, "--limit") == 0 && more) {
            long v = strtol(argv[++i], &end, 10);

            if (*end != '\0' || v < 1 || v > 1000000) {
                fprintf(stderr, "ifaxgw calls: --limit: 1 to 1000000\n");
                return 2;
            }
            a->q.limit = (size_t)v;
        } else if (strcmp(o, "show") == 0 && more && a->show == NULL)
            a->show = argv[++i];
        else
            return usage(stderr, 2);
    }
    return -1;
}

static const char *
str_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s != NULL ? s : "";
}

static int64_t
int_of(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static void
fmt_time(int64_t ms, char *buf, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M:%SZ", &tm);
}

/* One call, one line: what xferfaxlog says, with the outcome first. */
static void
print_line(const json_t *c)
{
    char start[32], caller[CMD_ESC_MAX], called[CMD_ESC_MAX], csid[CMD_ESC_MAX],
        name[CMD_ESC_MAX], tail[2 * CMD_ESC_MAX + 16], line[CMD_ESC_MAX];
    const char *job = str_of(c, "job");

    fmt_time(int_of(c, "start_ms"), start, sizeof start);
    log_esc(caller, 20, str_of(c, "caller_id"));
    log_esc(name, 24, str_of(c, "caller_name"));
    log_esc(called, 20, str_of(c, "called_number"));
    log_esc(csid, 24, str_of(c, "remote_csid"));
    log_esc(line, 16, str_of(c, "line"));
    if (job[0] != '\0') {
        (void)snprintf(tail, sizeof tail, "job=%s", job);
    } else {
        char reason[CMD_ESC_MAX];

        (void)snprintf(tail, sizeof tail, "reason=\"%s\"",
                       log_esc(reason, sizeof reason, str_of(c, "reason")));
    }
    printf("%s %-8s %6.1fs %-8s %3" PRId64 " %5" PRId64 " %-3s "
           "caller=\"%s\"%s%s%s called=\"%s\" csid=\"%s\" id=%s %s\n",
           start, line, (double)int_of(c, "duration_ms") / 1000.0,
           str_of(c, "result"), int_of(c, "npages"), int_of(c, "bit_rate"),
           json_is_true(json_object_get(c, "ecm")) ? "ecm" : "-", caller,
           name[0] ? " (" : "", name, name[0] ? ")" : "", called, csid,
           str_of(c, "id"), tail);
}

static int
cmd_list(struct calllog *cl, struct calls_args *a)
{
    json_t *calls = NULL, *c;
    size_t total = 0, i;
    struct errbuf why;

    if (calllog_list(cl, &a->q, &calls, &total, &why) == -1) {
        fprintf(stderr, "ifaxgw calls: %s\n", why.text);
        return 1;
    }
    if (a->json) {
        json_t *o =
            json_pack("{s:I,s:o}", "total", (json_int_t)total, "calls", calls);

        json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        putchar('\n');
        json_decref(o);
        return 0;
    }
    json_array_foreach(calls, i, c) print_line(c);
    if (json_array_size(calls) < total)
        printf("(%zu of %zu calls shown)\n", json_array_size(calls), total);
    json_decref(calls);
    return 0;
}

static void
print_ladder(const json_t *ladder)
{
    const json_t *steps = json_object_get(ladder, "steps"), *s, *v;
    const char *key;
    size_t i;

    printf("T.30 ladder (<- from the caller, -> ours; ! failure, ~ "
           "warning):\n");
    json_array_foreach(steps, i, s)
    {
        const char *level = str_of(s, "level");
        int64_t t = int_of(s, "t_ms");

        const char *dir = str_of(s, "dir");

        printf("  %c %+5" PRId64 ".%03d %s %-4s %s\n",
               level[0] == 'f'   ? '!'
               : level[0] == 'w' ? '~'
                                 : ' ',
               t / 1000, (int)(t % 1000),
               strcmp(dir, "rx") == 0   ? "<-"
               : strcmp(dir, "tx") == 0 ? "->"
                                        : "  ",
               str_of(s, "name"), str_of(s, "text"));
    }
    printf("counts:");
    json_object_foreach((json_t *)json_object_get(ladder, "counts"), key, v)
    {
        if (json_integer_value(v) > 0)
            printf(" %s=%" PRId64, key, (int64_t)json_integer_value(v));
    }
    printf("\n");
}

static int
cmd_show(struct calllog *cl, struct calls_args *a)
{
    json_t *call = NULL, *ladder;
    struct errbuf why;
    char e[4 * CALLLOG_REASON_MAX], start[32];
    int rc = calllog_show(cl, a->show, &call, &why);

    if (rc == CALLLOG_NOT_FOUND) {
        fprintf(stderr, "ifaxgw calls: no call %s\n", a->show);
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "ifaxgw calls: %s\n", why.text);
        return 1;
    }
    ladder = calllog_ladder(call);
    if (a->json) {
        json_object_set_new(call, "ladder", ladder);
        json_dumpf(call, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        putchar('\n');
        json_decref(call);
        return 0;
    }
    print_line(call);
    fmt_time(int_of(call, "start_ms"), start, sizeof start);
    printf("start: %s  duration: %.1f s  result: %s\n", start,
           (double)int_of(call, "duration_ms") / 1000.0,
           str_of(call, "result"));
    printf("reason: %s\n", log_esc(e, sizeof e, str_of(call, "reason")));
    print_ladder(ladder);
    printf("transcript:\n%s", str_of(call, "transcript"));
    json_decref(ladder);
    json_decref(call);
    return 0;
}

int
calllog_cmd_main(int argc, char **argv)
{
    struct calls_args a;
    struct config *cf;
    struct calllog *cl;
    int rc = parse_args(argc, argv, &a);

    if (rc >= 0)
        return rc;
    cf = a.conf == NULL && a.spool != NULL ? config_default()
                                           : cli_config_load(a.conf);
    if (cf == NULL)
        return 1;
    cl = calllog_open(a.spool != NULL ? a.spool : cf->gateway.spool);
    rc = a.show != NULL ? cmd_show(cl, &a) : cmd_list(cl, &a);
    calllog_free(cl);
    config_free(cf);
    return rc;
}

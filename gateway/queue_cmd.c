/* queue_cmd - "ifaxgw queue": list, show, retry, delete spool jobs.
 *
 * Runs as a queue client next to a running daemon: changes take the job's
 * flock and touch spool/ctl/kick (docs/spool.md). Exit status: 0 ok,
 * 1 failure (no such job, busy, I/O), 2 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "conf/config.h"
#include "gateway/cli.h"
#include "gateway/commands.h"
#include "gateway/spool/queue.h"
#include "gateway/spool/spool.h"
#include "gateway/util/log.h"
#include "gateway/util/mstime.h"

#define CMD_ESC_MAX 256 /* shown width of one hostile field */

static const char usage_text[] =
    "usage: ifaxgw queue [-c FILE | --spool DIR] COMMAND [ARGS]\n"
    "\n"
    "Inspect and change the job spool, also while the daemon runs.\n"
    "\n"
    "commands:\n"
    "  list [--state S] [--json]  jobs, oldest first; S is incoming, queue,\n"
    "                             done, failed or all (default all)\n"
    "  show ID [--json]           everything about one job\n"
    "  retry ID                   make a failed or deferred job due now (one\n"
    "                             no route took is routed again)\n"
    "  delete ID                  remove a job (not while being delivered or\n"
    "                             received; a leftover in incoming/ is "
    "removed)\n"
    "\n"
    "options:\n"
    "  -c FILE       config file (default /etc/ifaxgw/ifaxgw.conf); its\n"
    "                gateway.spool is used\n"
    "  --spool DIR   use this spool directory instead\n"
    "  -h, --help    this text (also after a command)\n";

static int
usage(FILE *f, int rc)
{
    fputs(usage_text, f);
    return rc;
}

static void
fmt_time(int64_t ms, char *buf, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (ms <= 0) {
        snprintf(buf, n, "-");
        return;
    }
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M:%SZ", &tm);
}

static json_t *
job_json(const struct job *j)
{
    json_t *o = job_meta_ok(j) ? job_to_json(j) : json_object();

    json_object_set_new(o, "id", json_string(j->id));
    json_object_set_new(o, "state", json_string(job_state_name(j->state)));
    if (j->note != NULL)
        json_object_set_new(o, "note", json_string(j->note));
    if (!job_meta_ok(j) && j->state == JOB_INCOMING)
        json_object_set_new(o, "pages", json_integer(j->pages));
    else if (!job_meta_ok(j))
        json_object_set_new(o, "error", json_string("unreadable meta.json"));
    return o;
}

struct list_ctx {
    bool json;
    json_t *arr;
    int n;
};

static void
rcpt_summary(const struct job *j, char *buf, size_t n)
{
    size_t done = 0, failed = 0;

    for (size_t i = 0; i < j->n_rcpt; i++) {
        done += j->rcpt[i].state == RCPT_DELIVERED;
        failed += j->rcpt[i].state == RCPT_FAILED;
    }
    snprintf(buf, n, "%zu/%zu%s", done, j->n_rcpt, failed ? " failed" : "");
}

static int
list_cb(void *arg, const struct job *j)
{
    struct list_ctx *c = arg;
    char created[32], rc[32], csid[CMD_ESC_MAX], next[32];

    c->n++;
    if (c->json) {
        json_array_append_new(c->arr, job_json(j));
        return 0;
    }
    if (!job_meta_ok(j)) {
        if (j->state == JOB_INCOMING)
            printf("%-29s %-8s %-20s %-5s %5d %-10s %-20s (%s)\n", j->id,
                   job_state_name(j->state), "-", "-", j->pages, "-", "-",
                   j->note != NULL ? j->note : "no meta.json yet");
        else
            printf("%-29s %-8s (unreadable meta.json)\n", j->id,
                   job_state_name(j->state));
        return 0;
    }
    int64_t due = job_next_due_ms(j);
    fmt_time(j->created_ms, created, sizeof created);
    rcpt_summary(j, rc, sizeof rc);
    if (j->state != JOB_QUEUED)
        snprintf(next, sizeof next, "-");
    else if (due == 0)
        snprintf(next, sizeof next, "now");
    else
        fmt_time(due, next, sizeof next);
    log_esc(csid, 24, j->csid != NULL ? j->csid : "");
    printf("%-29s %-8s %-20s %-5s %5d %-10s %-20s %s%s%s%s%s\n", j->id,
           job_state_name(j->state), created,
           j->source != NULL ? j->source : "-", j->pages, rc, next, csid,
           j->partial ? " (partial)" : "", j->n_rcpt == 0 ? " (" : "",
           j->n_rcpt == 0 ? (j->note != NULL ? j->note : "no recipient") : "",
           j->n_rcpt == 0 ? ")" : "");
    return 0;
}

static int
cmd_list(struct queue *q, int argc, char **argv)
{
    struct list_ctx c = {0};
    int state = JOB_STATE_COUNT;
    struct errbuf why;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            c.json = true;
        } else if (strcmp(argv[i], "--state") == 0 && i + 1 < argc) {
            const char *s = argv[++i];
            state =
                strcmp(s, "all") == 0 ? JOB_STATE_COUNT : job_state_parse(s);
            if (state < 0) {
                fprintf(stderr, "ifaxgw queue list: unknown state\n");
                return 2;
            }
        } else {
            return usage(stderr, 2);
        }
    }
    if (c.json)
        c.arr = json_array();
    else
        printf("%-29s %-8s %-20s %-5s %5s %-10s %-20s %s\n", "ID", "STATE",
               "CREATED", "FROM", "PAGES", "DELIVERED", "NEXT TRY", "CSID");
    int rc = queue_list(q, (enum job_state)state, list_cb, &c, &why);
    if (rc == -1) {
        fprintf(stderr, "ifaxgw queue list: %s\n", why.text);
        json_decref(c.arr);
        return 1;
    }
    if (c.json) {
        json_dumpf(c.arr, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(c.arr);
    }
    return 0;
}

static void
show_field(const char *name, const char *value)
{
    char e[CMD_ESC_MAX];

    if (value != NULL)
        printf("%-14s %s\n", name, log_esc(e, sizeof e, value));
}

static void
show_rcpt(const struct job_rcpt *r, size_t i)
{
    char e[CMD_ESC_MAX], t[32];

    printf("recipient %zu   %s\n", i + 1, log_esc(e, sizeof e, r->address));
    printf("  mode %s, format %s, tls %s%s%s%s\n", rcpt_mode_name(r->mode),
           rcpt_format_name(r->format), rcpt_tls_name(r->tls),
           r->mdn ? ", mdn" : "", r->host ? ", host " : "",
           r->host ? log_esc(e, sizeof e, r->host) : "");
    printf("  state %s, attempts %d", rcpt_state_name(r->state), r->attempts);
    if (r->state == RCPT_DEFERRED) {
        fmt_time(r->next_try_ms, t, sizeof t);
        printf(", next try %s", t);
    }
    if (r->delivered_ms > 0) {
        fmt_time(r->delivered_ms, t, sizeof t);
        printf(", delivered %s", t);
    }
    putchar('\n');
    if (r->profile != NULL)
        printf("  profile %s\n", log_esc(e, sizeof e, r->profile));
    if (r->reply != NULL)
        printf("  reply \"%s\"\n", log_esc(e, sizeof e, r->reply));
    if (r->capability != NULL)
        printf("  capability \"%s\"\n", log_esc(e, sizeof e, r->capability));
}

static void
show_text(const struct job *j)
{
    char t[32], n[16];

    show_field("id", j->id);
    show_field("state", job_state_name(j->state));
    show_field("note", j->note);
    if (!job_meta_ok(j)) {
        snprintf(n, sizeof n, "%d", j->pages);
        show_field("pages", n);
        show_field("meta.json", "not written yet");
        return;
    }
    show_field("failed", j->failed_reason);
    show_field("message-id", j->message_id);
    show_field("source", j->source);
    show_field("line", j->line);
    show_field("csid", j->csid);
    show_field("caller", j->caller);
    show_field("called", j->called);
    snprintf(n, sizeof n, "%d", j->pages);
    show_field("pages", n);
    if (j->partial)
        show_field("partial", j->partial_reason ? j->partial_reason : "yes");
    fmt_time(j->created_ms, t, sizeof t);
    show_field("created", t);
    if (j->finished_ms > 0) {
        fmt_time(j->finished_ms, t, sizeof t);
        show_field("finished", t);
    }
    show_field("route", j->route);
    show_field("subject", j->subject);
    show_field("notify", j->notify);
    for (size_t i = 0; i < j->n_rcpt; i++)
        show_rcpt(&j->rcpt[i], i);
}

static int
cmd_show(struct queue *q, int argc, char **argv)
{
    const char *id = NULL;
    bool json = false;
    struct errbuf why;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (id == NULL && argv[i][0] != '-')
            id = argv[i];
        else
            return usage(stderr, 2);
    }
    if (id == NULL)
        return usage(stderr, 2);
    struct job *j = queue_load(q, id, &why);
    if (j == NULL) {
        fprintf(stderr, "ifaxgw queue show: %s\n", why.text);
        return 1;
    }
    if (json) {
        json_t *o = job_json(j);
        json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        putchar('\n');
        json_decref(o);
    } else {
        show_text(j);
    }
    job_free(j);
    return 0;
}

static int
cmd_change(struct queue *q, const char *cmd, int argc, char **argv)
{
    struct errbuf why;
    int rc;

    if (argc != 1 || argv[0][0] == '-')
        return usage(stderr, 2);
    if (strcmp(cmd, "retry") == 0)
        rc = queue_retry(q, argv[0], mstime_wall(), &why);
    else
        rc = queue_delete(q, argv[0], &why);
    if (rc == -1) {
        fprintf(stderr, "ifaxgw queue %s: %s\n", cmd, why.text);
        return 1;
    }
    printf("%s: %s\n", argv[0],
           strcmp(cmd, "retry") == 0 ? "due now" : "deleted");
    return 0;
}

static bool
wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    return false;
}

int
queue_cmd_main(int argc, char **argv)
{
    const char *conf = NULL, *spool = NULL;
    int i = 1;

    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return usage(stdout, 0);
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            conf = argv[++i];
        else if (strcmp(argv[i], "--spool") == 0 && i + 1 < argc)
            spool = argv[++i];
        else
            return usage(stderr, 2);
    }
    if (i >= argc)
        return usage(stderr, 2);
    const char *cmd = argv[i++];
    if (strcmp(cmd, "list") != 0 && strcmp(cmd, "show") != 0 &&
        strcmp(cmd, "retry") != 0 && strcmp(cmd, "delete") != 0) {
        fprintf(stderr, "ifaxgw queue: unknown command\n");
        return usage(stderr, 2);
    }
    if (wants_help(argc - i, argv + i))
        return usage(stdout, 0);
    struct config *cf = conf == NULL && spool != NULL ? config_default()
                                                      : cli_config_load(conf);
    if (cf == NULL)
        return 1;
    struct queue *q = cli_queue_open(cf, spool, false);
    int rc = 1;
    if (q != NULL) {
        if (strcmp(cmd, "list") == 0)
            rc = cmd_list(q, argc - i, argv + i);
        else if (strcmp(cmd, "show") == 0)
            rc = cmd_show(q, argc - i, argv + i);
        else
            rc = cmd_change(q, cmd, argc - i, argv + i);
    }
    queue_close(q);
    config_free(cf);
    return rc;
}

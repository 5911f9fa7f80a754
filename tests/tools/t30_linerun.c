/*
 * t30_linerun - run one t30/line on a modem device, for the real-time tests
 *
 *   t30_linerun -d DEVICE -o DIR [-c CALLS] [-r RINGS] [-s STATION]
 *               [-x REJECT_CALLER] [-n CID_CMD] [-t IDLE_S] [-e]
 * Every answered call gets DIR/callN/pages.tif, meta.json (the call
 * record), t30.log and at.log (line_at_transcript); each status change prints one line on stdout:
 *   status=<name> page=N bit_rate=R text="..."
 * and each call end prints "call=N result=... pages=N csid=\"...\"
 * caller=\"...\" ecm=0|1 bit_rate=R". -e: the line offers ECM (and T.6).
 * -x: calls from that caller ID are left ringing; the line then waits for
 * caller ID up to the 2nd RING (line_set_cid_wait).
 * Exits 0 after CALLS calls ended (default 1) or on SIGTERM/SIGINT.
 */
#include <sys/stat.h>

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gateway/util/log.h"
#include "t30/callrec.h"
#include "t30/line.h"

static atomic_int stop_flag;

struct run {
    struct line_state *ls;
    const char *dir;
    const char *reject;
    int calls, done;
    char cur[512];
};

static void
on_sig(int sig)
{
    (void)sig;
    atomic_store(&stop_flag, 1);
}

static void
on_status(void *arg, const struct line_report *r)
{
    char esc[512];

    (void)arg;
    printf("status=%s page=%d bit_rate=%d text=\"%s\"\n",
           line_status_name(r->status), r->page, r->bit_rate,
           log_esc(esc, sizeof esc, r->text));
    fflush(stdout);
}

static bool
on_answer(void *arg, const struct line_call *c)
{
    struct run *run = arg;
    char e1[256], e2[256];

    char e3[256];

    printf("ring caller=\"%s\" called=\"%s\" rings=%d name=\"%s\"\n",
           log_esc(e1, sizeof e1, c->caller_id),
           log_esc(e2, sizeof e2, c->called), c->rings,
           log_esc(e3, sizeof e3, c->caller_name));
    fflush(stdout);
    return run->reject == NULL || strcmp(run->reject, c->caller_id) != 0;
}

static int
on_start(void *arg, const struct line_call *c, char *path, size_t n,
         struct errbuf *why)
{
    struct run *run = arg;

    (void)c;
    snprintf(run->cur, sizeof run->cur, "%s/call%d", run->dir, run->done + 1);
    if (mkdir(run->cur, 0750) != 0)
        return errbuf_errno(why, "mkdir %s", run->cur);
    snprintf(path, n, "%s/pages.tif", run->cur);
    return 0;
}

static void
on_end(void *arg, const struct callrec *rec)
{
    struct run *run = arg;
    char path[600], esc[128], esc2[128];
    json_t *j;
    char *log;
    FILE *f;

    run->done++;
    if (rec == NULL) {
        printf("call=%d aborted\n", run->done);
    } else {
        j = callrec_to_json(rec);
        snprintf(path, sizeof path, "%s/meta.json", run->cur);
        json_dump_file(j, path, JSON_INDENT(2));
        json_decref(j);
        log = callrec_transcript(rec);
        snprintf(path, sizeof path, "%s/t30.log", run->cur);
        if ((f = fopen(path, "w")) != NULL) {
            fputs(log, f);
            fclose(f);
        }
        free(log);
        snprintf(path, sizeof path, "%s/at.log", run->cur);
        if ((f = fopen(path, "w")) != NULL) {
            fputs(line_at_transcript(run->ls), f);
            fclose(f);
        }
        printf("call=%d result=%s pages=%zu csid=\"%s\" caller=\"%s\" "
               "ecm=%d bit_rate=%d\n",
               run->done, callrec_result_name(rec->result), rec->npages,
               log_esc(esc, sizeof esc, rec->remote_csid),
               log_esc(esc2, sizeof esc2, rec->caller_id), rec->ecm ? 1 : 0,
               rec->bit_rate);
    }
    fflush(stdout);
    if (run->done >= run->calls)
        atomic_store(&stop_flag, 1);
}

int
main(int argc, char **argv)
{
    struct config_line cl;
    struct run run = {.calls = 1};
    struct errbuf why;
    struct line_state *ls;
    struct sigaction sa;
    int c;

    memset(&cl, 0, sizeof cl);
    cl.name = "modem0";
    cl.kind = CONFIG_LINE_MODEM;
    cl.rings = 1;
    cl.cid_enable = "AT+VCID=1";
    cl.modems = 7;
    cl.compressions = 3;
    cl.baud = 115200;
    cl.call_timeout_s = 600;
    cl.idle_timeout_s = 60;
    snprintf(cl.station_id, sizeof cl.station_id, "+1 555 0199");
    while ((c = getopt(argc, argv, "d:o:c:r:s:x:n:t:e")) != -1) {
        switch (c) {
        case 'd':
            cl.device = optarg;
            break;
        case 'o':
            run.dir = optarg;
            break;
        case 'c':
            run.calls = atoi(optarg);
            break;
        case 'r':
            cl.rings = atoi(optarg);
            break;
        case 's':
            snprintf(cl.station_id, sizeof cl.station_id, "%s", optarg);
            break;
        case 'x':
            run.reject = optarg;
            break;
        case 'n':
            cl.cid_enable = optarg;
            break;
        case 't':
            cl.idle_timeout_s = atoi(optarg);
            break;
        case 'e':
            cl.ecm = true;
            cl.compressions = 7; /* T.6 needs ECM */
            break;
        default:
            return 2;
        }
    }
    if (cl.device == NULL || run.dir == NULL) {
        fprintf(stderr, "usage: t30_linerun -d DEVICE -o DIR [-c CALLS]\n");
        return 2;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    ls = line_init(NULL, &cl, &why);
    if (ls == NULL) {
        fprintf(stderr, "t30_linerun: %s\n", why.text);
        return 1;
    }
    run.ls = ls;
    line_set_status_handler(ls, on_status, &run);
    line_set_answer_handler(ls, on_answer, &run);
    line_set_job_handler(ls, on_start, on_end, &run);
    /* -x decides on caller ID: wait for it (it may follow the 1st RING) */
    line_set_cid_wait(ls, run.reject != NULL);
    line_run(ls, &stop_flag);
    line_free(ls);
    return 0;
}

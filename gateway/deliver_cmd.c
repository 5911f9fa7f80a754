/* deliver command: `ifaxgw deliver [-c CONF] [--once] [--workers N]` makes
 * one pass over what is due in the spool when it starts (smtp/deliver.h)
 * and exits; recipients deferred meanwhile wait for a later run or the
 * daemon. */
#define _GNU_SOURCE /* getopt_long */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/snapshot.h"
#include "gateway/cli.h"
#include "gateway/commands.h"
#include "gateway/util/log.h"
#include "gateway/util/mstime.h"
#include "smtp/deliver.h"

#define DELIVER_WORKERS_MAX 64

struct run {
    struct deliver_ctx *d;
    struct queue *q;
    atomic_int in_pass; /* workers inside deliver_run_once() */
    int64_t start_ms; /* what is due at this instant is the pass */
    bool once;
    int rc; /* 0, or 1 after a queue error */
};

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: ifaxgw deliver [-c CONF] [--spool DIR] [--once] "
            "[--workers N]\n"
            "One pass: delivers every recipient of the spool's queued jobs "
            "that is due\nwhen it starts (direct with CONNEG, or relay "
            "through the smarthost), records\neach outcome, sends notices, "
            "and exits; a recipient deferred during the pass\nwaits for the "
            "next run or the daemon. --once: at most one job.\nExit: 0 "
            "done (outcomes are in the queue), 1 spool or config failure, "
            "2 usage.\n");
}

static void *
run_worker(void *arg)
{
    struct run *r = arg;
    struct errbuf why;
    int rc;

    for (;;) {
        /* one pass: claim only what was due when the command started;
         * a recipient deferred meanwhile is due later, so it waits for
         * the next run (or the daemon) instead of looping here */
        atomic_fetch_add(&r->in_pass, 1);
        rc = deliver_run_once(r->d, r->start_ms, &why);
        atomic_fetch_sub(&r->in_pass, 1);
        if (rc == -1) {
            log_error("delivery: %s", why.text);
            r->rc = 1;
        }
        if (rc == -1 || r->once)
            break;
        if (rc == 0) {
            /* nothing we may take now; a job left for a destination busy
             * with another worker becomes claimable when that one ends */
            if (atomic_load(&r->in_pass) == 0)
                break;
            (void)queue_wait(r->q, mstime_wall() + 1000);
        }
    }
    return NULL;
}

int
deliver_cmd_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"once", no_argument, NULL, 'o'},
        {"workers", required_argument, NULL, 'w'},
        {"spool", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *conf = NULL, *spool = NULL;
    struct run run = {0};
    pthread_t th[DELIVER_WORKERS_MAX];
    struct deliver_stats st;
    struct config *cf;
    struct queue *q;
    struct errbuf why;
    int c, i, workers = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            conf = optarg;
            break;
        case 'o':
            run.once = true;
            break;
        case 's':
            spool = optarg;
            break;
        case 'w':
            workers = atoi(optarg);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc || workers < 1 || workers > DELIVER_WORKERS_MAX) {
        usage(stderr);
        return 2;
    }
    (void)signal(SIGPIPE, SIG_IGN); /* TLS writes (smtp_conn.h) */
    cf = cli_config_load(conf);
    if (cf == NULL)
        return 1;
    log_set_level(cf->gateway.log_level);
    q = cli_queue_open(cf, spool, true);
    if (q == NULL) {
        config_free(cf);
        return 1;
    }
    run.d = deliver_init(q, cf, &why);
    if (run.d == NULL) {
        fprintf(stderr, "ifaxgw deliver: %s\n", why.text);
        queue_close(q);
        config_free(cf);
        return 1;
    }
    if (run.once)
        workers = 1;
    run.start_ms = mstime_wall();
    run.q = q;
    atomic_init(&run.in_pass, 0);
    for (i = 0; i < workers; i++)
        if (pthread_create(&th[i], NULL, run_worker, &run) != 0)
            break;
    while (i-- > 0)
        pthread_join(th[i], NULL);
    deliver_get_stats(run.d, &st);
    printf("deliver: jobs=%llu delivered=%llu deferred=%llu failed=%llu "
           "notices=%llu duplicates=%llu\n",
           (unsigned long long)st.jobs, (unsigned long long)st.delivered,
           (unsigned long long)st.deferred, (unsigned long long)st.failed,
           (unsigned long long)st.notices, (unsigned long long)st.duplicates);
    deliver_free(run.d);
    queue_close(q);
    config_free(cf);
    return run.rc;
}

/*
 * deliver_enqueue - put a job into a spool for the delivery tests
 *
 *   deliver_enqueue SPOOL PAGES.TIF [--csid S] [--caller S] [--subject S]
 *       [--notify ADDR] [--route NAME] [--count N]
 *       --rcpt ADDR[,relay][,pdf|tiff|tiff-s][,mdn][,host=H:P] ...
 *
 * Opens the spool as a client (as `ifaxgw receive` would), creates the job,
 * copies the pages, adds the recipients, commits. Prints "job=ID msgid=ID"
 * per job. Exit 0, or 1 with the queue's reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/spool/job.h"
#include "gateway/spool/queue.h"
#include "gateway/util/errbuf.h"

#define RCPT_ARGS_MAX 16

static int
copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
    char buf[65536];
    size_t n;
    int rc = 0;

    if (in == NULL || out == NULL) {
        if (in)
            fclose(in);
        return -1;
    }
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    fclose(in);
    if (fclose(out) != 0)
        rc = -1;
    return rc;
}

static void
parse_rcpt(char *arg, struct rcpt_spec *r)
{
    char *save = NULL, *tok = strtok_r(arg, ",", &save);

    memset(r, 0, sizeof *r);
    r->address = tok;
    while ((tok = strtok_r(NULL, ",", &save)) != NULL) {
        if (strcmp(tok, "relay") == 0)
            r->mode = RCPT_MODE_RELAY;
        else if (strcmp(tok, "mdn") == 0)
            r->mdn = true;
        else if (strncmp(tok, "host=", 5) == 0)
            r->host = tok + 5;
        else if (strncmp(tok, "tls=", 4) == 0)
            r->tls = (enum rcpt_tls)rcpt_tls_parse(tok + 4);
        else if (rcpt_format_parse(tok) >= 0)
            r->format = (enum rcpt_format)rcpt_format_parse(tok);
    }
}

int
main(int argc, char **argv)
{
    static const int retry[] = {60};
    struct queue_policy pol = {retry, 1, 86400, 86400};
    struct queue_opts o = {0};
    struct rcpt_spec rcpts[RCPT_ARGS_MAX];
    const char *csid = "+1 555 0100", *caller = "5550100", *subject = NULL;
    const char *notify = NULL, *route = "test";
    size_t nr = 0, i;
    int count = 1, k;
    struct queue *q;
    struct errbuf why;

    if (argc < 3) {
        fprintf(stderr, "usage: deliver_enqueue SPOOL PAGES.TIF --rcpt ...\n");
        return 2;
    }
    for (k = 3; k + 1 < argc; k += 2) {
        if (strcmp(argv[k], "--rcpt") == 0 && nr < RCPT_ARGS_MAX)
            parse_rcpt(argv[k + 1], &rcpts[nr++]);
        else if (strcmp(argv[k], "--csid") == 0)
            csid = argv[k + 1];
        else if (strcmp(argv[k], "--caller") == 0)
            caller = argv[k + 1];
        else if (strcmp(argv[k], "--subject") == 0)
            subject = argv[k + 1];
        else if (strcmp(argv[k], "--notify") == 0)
            notify = argv[k + 1];
        else if (strcmp(argv[k], "--route") == 0)
            route = argv[k + 1];
        else if (strcmp(argv[k], "--count") == 0)
            count = atoi(argv[k + 1]);
        else {
            fprintf(stderr, "deliver_enqueue: bad option %s\n", argv[k]);
            return 2;
        }
    }
    o.policy = &pol;
    o.hostname = "gw.test";
    q = queue_open(argv[1], &o, &why);
    if (q == NULL) {
        fprintf(stderr, "deliver_enqueue: %s\n", why.text);
        return 1;
    }
    for (k = 0; k < count; k++) {
        struct job *j = queue_create(q, "fax", &why);
        char path[4096];

        if (j == NULL)
            goto fail;
        if (job_path(j, "pages.tif", path, sizeof path) == NULL ||
            copy_file(argv[2], path) == -1) {
            errbuf_set(&why, ERR_PERM, "", "cannot copy %s", argv[2]);
            goto fail_job;
        }
        if (job_set_line(j, "line0", &why) == -1 ||
            job_set_csid(j, csid, &why) == -1 ||
            job_set_caller(j, caller, &why) == -1 ||
            job_set_route(j, route, subject ? subject : "Fax from test sender",
                          notify, &why) == -1)
            goto fail_job;
        for (i = 0; i < nr; i++)
            if (job_add_rcpt(j, &rcpts[i], &why) == -1)
                goto fail_job;
        if (queue_commit(q, j, &why) == -1)
            goto fail_job;
        printf("job=%s msgid=%s\n", j->id, j->message_id);
        job_free(j);
        continue;
    fail_job:
        (void)queue_abort(q, j, NULL);
        job_free(j);
    fail:
        fprintf(stderr, "deliver_enqueue: %s\n", why.text);
        queue_close(q);
        return 1;
    }
    queue_close(q);
    return 0;
}

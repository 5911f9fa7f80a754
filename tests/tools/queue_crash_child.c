/* queue_crash_child - drives gateway/spool/queue for the crash, disk-full and
 * CLI integration tests.
 *
 *   queue_crash_child run SPOOL ACKFILE SEED   commit jobs and record outcomes
 *       forever; after each call returns, append one line to ACKFILE:
 *         C <id> <pages> <fnv1a64 of pages.tif> <bytes>   committed
 *         R <id> <rcpt> <state> <attempts>               outcome recorded
 *         M <id> <state dir>                              released and moved
 *   queue_crash_child recover SPOOL     open as the daemon (runs recovery),
 *       print "recovered <what> <id>" per action, close
 *   queue_crash_child fill SPOOL        disk-full scenario (see the test)
 *   queue_crash_child populate SPOOL    one job per state, "<id> <state>"
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tiffio.h>

#include "gateway/spool/job.h"
#include "gateway/spool/queue.h"
#include "gateway/spool/spool.h"
#include "gateway/util/mstime.h"

static const int retry_s[] = {1, 2};
static const struct queue_policy policy = {
    .retry_s = retry_s, .n_retry = 2, .expiry_s = 3600, .retention_s = 3600};

static int
router(void *arg, struct job *j, struct errbuf *why)
{
    struct rcpt_spec a = {.address = "fax@example.org"};
    struct rcpt_spec b = {.address = "desk@example.net",
                          .mode = RCPT_MODE_RELAY,
                          .format = RCPT_FMT_PDF};
    (void)arg;
    if (job_add_rcpt(j, &a, why) < 0 || job_add_rcpt(j, &b, why) < 0)
        return -1;
    return job_set_route(j, "crash", "Fax", NULL, why);
}

static void
on_recover(void *arg, enum queue_recovery what, const char *id,
           const char *detail)
{
    (void)arg;
    printf("recovered %s %s %s\n", queue_recovery_name(what), id, detail);
}

static struct queue *
open_q(const char *spool, bool daemon)
{
    struct queue_opts o = {.policy = &policy,
                           .daemon = daemon,
                           .hostname = "crash.test",
                           .router = router,
                           .on_recover = on_recover};
    struct errbuf why;
    struct queue *q = queue_open(spool, &o, &why);

    if (q == NULL) {
        fprintf(stderr, "queue_open: %s\n", why.text);
        exit(1);
    }
    return q;
}

static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* n pages of 1728 x rows random bits, uncompressed; returns 0 or -1. */
static int
write_pages(const char *path, int n, int rows, uint64_t *seed)
{
    TIFF *t = TIFFOpen(path, "w");
    unsigned char line[216];

    if (t == NULL)
        return -1;
    for (int p = 0; p < n; p++) {
        TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 1728);
        TIFFSetField(t, TIFFTAG_IMAGELENGTH, rows);
        TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
        TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
        TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rows);
        TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
        for (int r = 0; r < rows; r++) {
            for (size_t k = 0; k < sizeof line; k++)
                line[k] = (unsigned char)rnd(seed);
            if (TIFFWriteScanline(t, line, (uint32_t)r, 0) != 1) {
                TIFFClose(t);
                return -1;
            }
        }
        if (TIFFWriteDirectory(t) != 1) {
            TIFFClose(t);
            return -1;
        }
    }
    TIFFClose(t);
    return 0;
}

static int
fnv_file(const char *path, uint64_t *h, long *size)
{
    FILE *f = fopen(path, "rb");
    int c;

    if (f == NULL)
        return -1;
    *h = 1469598103934665603ull;
    *size = 0;
    while ((c = getc(f)) != EOF) {
        *h = (*h ^ (unsigned char)c) * 1099511628211ull;
        (*size)++;
    }
    fclose(f);
    return 0;
}

static void ack(int fd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
ack(int fd, const char *fmt, ...)
{
    char line[256];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line || write(fd, line, (size_t)n) != n)
        exit(3);
}

static void
commit_one(struct queue *q, int ackfd, uint64_t *seed)
{
    struct errbuf why;
    char path[512];
    uint64_t h;
    long size;
    int pages = 1 + (int)(rnd(seed) % 3);
    struct job *j = queue_create(q, "fax", &why);

    if (j == NULL) {
        fprintf(stderr, "create: %s\n", why.text);
        exit(1);
    }
    job_path(j, "pages.tif", path, sizeof path);
    if (write_pages(path, pages, 24, seed) == -1 ||
        fnv_file(path, &h, &size) == -1) {
        fprintf(stderr, "write pages failed\n");
        exit(1);
    }
    (void)job_set_csid(j, "crash test", &why);
    if (queue_commit(q, j, &why) == -1) {
        fprintf(stderr, "commit: %s\n", why.text);
        exit(1);
    }
    ack(ackfd, "C %s %d %016llx %ld\n", j->id, pages, (unsigned long long)h,
        size);
    job_free(j);
}

static void
deliver_one(struct queue *q, int ackfd, uint64_t *seed)
{
    struct errbuf why;
    int64_t now = mstime_wall();
    struct job *j = queue_claim(q, now, &why);
    static const enum rcpt_result pick[] = {
        RCPT_RESULT_DELIVERED, RCPT_RESULT_DELIVERED, RCPT_RESULT_DEFERRED,
        RCPT_RESULT_DEFERRED, RCPT_RESULT_FAILED};

    if (j == NULL)
        return;
    for (size_t i = 0; i < j->n_rcpt; i++) {
        if (!job_rcpt_due(j, i, now))
            continue;
        struct rcpt_outcome o = {.result = pick[rnd(seed) % 5],
                                 .reply = "250 2.0.0 queued as 1234",
                                 .profile = "S",
                                 .now_ms = now};
        if (queue_record(q, j, i, &o, &why) == -1) {
            fprintf(stderr, "record: %s\n", why.text);
            exit(1);
        }
        ack(ackfd, "R %s %zu %s %d\n", j->id, i,
            rcpt_state_name(j->rcpt[i].state), j->rcpt[i].attempts);
    }
    char id[JOB_ID_MAX];
    snprintf(id, sizeof id, "%s", j->id);
    bool final = job_final(j);
    if (queue_release(q, j, &why) == -1) {
        fprintf(stderr, "release: %s\n", why.text);
        exit(1);
    }
    if (final) {
        /* the directory tells where it went */
        char p[600];
        snprintf(p, sizeof p, "%s/done/%s", queue_spool_dir(q), id);
        ack(ackfd, "M %s %s\n", id, access(p, F_OK) == 0 ? "done" : "failed");
    }
}

static int
run(const char *spool, const char *ackfile, uint64_t seed)
{
    int ackfd = open(ackfile, O_WRONLY | O_CREAT | O_APPEND, 0644);

    if (ackfd == -1) {
        perror(ackfile);
        return 1;
    }
    seed = seed * 2654435761u + (uint64_t)getpid() + 1;
    struct queue *q = open_q(spool, true);
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        commit_one(q, ackfd, &seed);
        deliver_one(q, ackfd, &seed);
    }
}

/* Fill the file system under a job's feet: commit must fail with ENOSPC,
 * leave nothing in queue/, and succeed once space is back. */
static int
fill(const char *spool)
{
    struct queue *q = open_q(spool, true);
    struct errbuf why;
    char path[512], filler[600];
    uint64_t seed = 42;
    static char block[4096];

    struct job *j = queue_create(q, "scan", &why);
    if (j == NULL) {
        fprintf(stderr, "create: %s\n", why.text);
        return 1;
    }
    job_path(j, "pages.tif", path, sizeof path);
    if (write_pages(path, 1, 24, &seed) == -1) {
        fprintf(stderr, "write pages failed\n");
        return 1;
    }
    snprintf(filler, sizeof filler, "%s/filler", spool);
    int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    memset(block, 0x55, sizeof block);
    while (fd != -1 && write(fd, block, sizeof block) > 0)
        ;
    if (fd == -1 || errno != ENOSPC) {
        fprintf(stderr, "could not fill the file system\n");
        return 1;
    }
    close(fd);
    if (queue_commit(q, j, &why) == 0) {
        fprintf(stderr, "commit succeeded on a full disk\n");
        return 1;
    }
    printf("full: %s: %s\n", err_class_name(why.cls), why.text);
    fflush(stdout);
    /* the test inspects the spool now, then removes this file */
    char marker[600];
    snprintf(marker, sizeof marker, "%s/go", spool);
    printf("waiting %s\n", j->id);
    fflush(stdout);
    while (access(marker, F_OK) != 0)
        usleep(10000);
    if (queue_commit(q, j, &why) == -1) {
        fprintf(stderr, "commit after space returned: %s\n", why.text);
        return 1;
    }
    printf("committed %s\n", j->id);
    job_free(j);
    queue_close(q);
    return 0;
}

static int
populate(const char *spool)
{
    struct queue *q = open_q(spool, true);
    struct errbuf why;
    uint64_t seed = 7;
    static const enum rcpt_result first[] = {
        RCPT_RESULT_DELIVERED, RCPT_RESULT_FAILED, RCPT_RESULT_DEFERRED};
    static const char *const names[] = {"done", "failed", "deferred",
                                        "pending"};

    for (int k = 0; k < 4; k++) {
        char path[512];
        struct job *j = queue_create(q, "fax", &why);
        job_path(j, "pages.tif", path, sizeof path);
        if (write_pages(path, 2, 24, &seed) == -1)
            return 1;
        (void)job_set_csid(j, k == 0 ? "evil\x1b[31m\"csid" : "+1 555 0100",
                           &why);
        if (queue_commit(q, j, &why) == -1) {
            fprintf(stderr, "commit: %s\n", why.text);
            return 1;
        }
        if (k < 3) {
            struct job *c = queue_claim(q, mstime_wall(), &why);
            for (size_t i = 0; c != NULL && i < c->n_rcpt; i++) {
                struct rcpt_outcome o = {
                    .result = i == 0 ? first[k] : RCPT_RESULT_DELIVERED,
                    .reply = "250 ok",
                    .now_ms = mstime_wall()};
                if (queue_record(q, c, i, &o, &why) == -1)
                    return 1;
            }
            if (c == NULL || queue_release(q, c, &why) == -1)
                return 1;
        }
        printf("%s %s\n", j->id, names[k]);
        job_free(j);
    }
    queue_close(q);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "run") == 0)
        return run(argv[2], argv[3], strtoull(argv[4], NULL, 10));
    if (argc == 3 && strcmp(argv[1], "recover") == 0) {
        queue_close(open_q(argv[2], true));
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "fill") == 0)
        return fill(argv[2]);
    if (argc == 3 && strcmp(argv[1], "populate") == 0)
        return populate(argv[2]);
    fprintf(stderr, "usage: queue_crash_child run SPOOL ACKFILE SEED | "
                    "recover SPOOL | fill SPOOL | populate SPOOL\n");
    return 2;
}

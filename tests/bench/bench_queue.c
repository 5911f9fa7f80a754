/* bench_queue - durable commits per second next to the raw fsync limit,
 * and start-up recovery time of a large spool.
 *
 *   bench_queue DIR [COMMITS [JOBS]]   (defaults 200, 10000)
 *
 * Raw limit: for the same bytes as one job (pages.tif + meta.json), write
 * a file, fsync it, rename it, fsync the directory: the least a durable
 * write costs on this file system. Queue: queue_create + write pages.tif +
 * queue_commit of a one-page ~50 KB job. Rounds alternate so both see the
 * same disk weather; the best round of each counts. Prints figures only.
 */
#define _DEFAULT_SOURCE
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tiffio.h>

#include "gateway/spool/job.h"
#include "gateway/spool/queue.h"
#include "gateway/spool/spool.h"
#include "gateway/util/mstime.h"

#define ROUNDS 3

static const int retry_s[] = {300, 900, 3600};
static const struct queue_policy policy = {.retry_s = retry_s,
                                           .n_retry = 3,
                                           .expiry_s = 4 * 86400,
                                           .retention_s = 7 * 86400};

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
    fprintf(stderr, "bench_queue: %s\n", what);
    exit(1);
}

/* One page of 1728 x 230 noise, uncompressed: about 50 KB. */
static char *
make_page(const char *dir, size_t *len)
{
    char path[4096];
    unsigned char line[216];
    uint32_t s = 1;

    snprintf(path, sizeof path, "%s/page.tif", dir);
    TIFF *t = TIFFOpen(path, "w");
    if (t == NULL)
        die("TIFFOpen");
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 1728);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, 230);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 230);
    for (uint32_t r = 0; r < 230; r++) {
        for (size_t k = 0; k < sizeof line; k++) {
            s = s * 1103515245u + 12345u;
            line[k] = (unsigned char)(s >> 16);
        }
        TIFFWriteScanline(t, line, r, 0);
    }
    TIFFClose(t);
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd == -1 || fstat(fd, &st) == -1)
        die("page");
    char *buf = malloc((size_t)st.st_size);
    if (buf == NULL || read(fd, buf, (size_t)st.st_size) != st.st_size)
        die("read page");
    close(fd);
    unlink(path);
    *len = (size_t)st.st_size;
    return buf;
}

static void
write_file(const char *path, const char *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);

    if (fd == -1 || write(fd, buf, len) != (ssize_t)len || close(fd) == -1)
        die("write pages");
}

static double
raw_round(const char *dir, const char *buf, size_t len, int n)
{
    char tmp[4096], dst[4096];
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    double t0 = now_s();

    for (int i = 0; i < n; i++) {
        snprintf(tmp, sizeof tmp, "%s/f%d.tmp", dir, i);
        snprintf(dst, sizeof dst, "%s/f%d", dir, i);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640);
        if (fd == -1 || write(fd, buf, len) != (ssize_t)len ||
            fsync(fd) == -1 || close(fd) == -1 || rename(tmp, dst) == -1 ||
            fsync(dfd) == -1)
            die("raw write");
    }
    double rate = n / (now_s() - t0);
    for (int i = 0; i < n; i++) {
        snprintf(dst, sizeof dst, "%s/f%d", dir, i);
        unlink(dst);
    }
    close(dfd);
    return rate;
}

static struct job *
one_job(struct queue *q, const char *page, size_t len)
{
    struct errbuf why;
    char path[4096];
    struct rcpt_spec r = {.address = "fax@example.org"};
    struct job *j = queue_create(q, "scan", &why);

    if (j == NULL)
        die(why.text);
    write_file(job_path(j, "pages.tif", path, sizeof path), page, len);
    if (job_add_rcpt(j, &r, &why) < 0 || job_set_line(j, "a4", &why) < 0)
        die(why.text);
    return j;
}

static double
queue_round(struct queue *q, const char *page, size_t len, int n)
{
    struct errbuf why;
    double t0 = now_s();

    for (int i = 0; i < n; i++) {
        struct job *j = one_job(q, page, len);
        if (queue_commit(q, j, &why) == -1)
            die(why.text);
        job_free(j);
    }
    return n / (now_s() - t0);
}

static void
empty_spool(const char *spool)
{
    char cmd[8192];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", spool);
    if (system(cmd) != 0)
        die("rm");
}

static struct queue *
open_q(const char *spool, bool daemon)
{
    struct errbuf why;
    struct queue_opts o = {.policy = &policy, .daemon = daemon};
    struct queue *q = queue_open(spool, &o, &why);

    if (q == NULL)
        die(why.text);
    return q;
}

/* Clone one committed job into n queued jobs without fsync (set-up only). */
static void
fill_spool(const char *spool, const char *page, size_t len, int n)
{
    struct queue *q = open_q(spool, false);
    struct errbuf why;
    struct job *j = one_job(q, page, len);
    char src[4096], dst[4096], dir[4096];

    if (queue_commit(q, j, &why) == -1)
        die(why.text);
    json_t *meta = job_to_json(j);
    snprintf(src, sizeof src, "%s/queue/%s/pages.tif", spool, j->id);
    for (int i = 0; i < n - 1; i++) {
        char id[JOB_ID_MAX];
        snprintf(id, sizeof id, "20260101T000000.000-%08x", (unsigned)i);
        snprintf(dir, sizeof dir, "%s/queue/%s", spool, id);
        if (mkdir(dir, 0750) == -1)
            die("mkdir");
        snprintf(dst, sizeof dst, "%s/pages.tif", dir);
        if (link(src, dst) == -1)
            die("link");
        json_object_set_new(meta, "id", json_string(id));
        snprintf(dst, sizeof dst, "%s/meta.json", dir);
        if (json_dump_file(meta, dst, JSON_INDENT(2) | JSON_SORT_KEYS))
            die("meta");
    }
    json_decref(meta);
    job_free(j);
    queue_close(q);
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: bench_queue DIR [COMMITS [JOBS]]");
    int n = argc > 2 ? atoi(argv[2]) : 200;
    int jobs = argc > 3 ? atoi(argv[3]) : 10000;
    char spool[4096], raw[4096];
    size_t len;

    snprintf(spool, sizeof spool, "%s/spool", argv[1]);
    snprintf(raw, sizeof raw, "%s/raw", argv[1]);
    if (mkdir(raw, 0750) == -1 && errno != EEXIST)
        die("mkdir raw");
    char *page = make_page(argv[1], &len);

    /* the meta.json a commit writes, so the raw loop writes as much */
    struct queue *q = open_q(spool, false);
    struct job *j = one_job(q, page, len);
    json_t *m = job_to_json(j);
    char *text = json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS);
    size_t total = len + strlen(text) + 40; /* + message-id, times */
    char *both = calloc(1, total);
    memcpy(both, page, len);
    free(text);
    json_decref(m);
    job_free(j);
    queue_close(q);
    empty_spool(spool);

    double best_raw = 0, best_q = 0;
    for (int r = 0; r < ROUNDS; r++) {
        double a = raw_round(raw, both, total, n);
        q = open_q(spool, false);
        double b = queue_round(q, page, len, n);
        queue_close(q);
        empty_spool(spool);
        printf("round %d: raw %.1f/s queue %.1f/s\n", r + 1, a, b);
        best_raw = a > best_raw ? a : best_raw;
        best_q = b > best_q ? b : best_q;
    }
    printf("page bytes: %zu, job bytes written: %zu\n", len, total);
    printf("raw durable writes (write+fsync+rename+fsync dir): %.1f/s\n",
           best_raw);
    printf("queue durable commits (one-page job): %.1f/s\n", best_q);
    printf("ratio: %.2f (target >= 0.9)\n", best_q / best_raw);

    fill_spool(spool, page, len, jobs);
    double t0 = now_s();
    q = open_q(spool, true);
    double t = now_s() - t0;
    struct queue_counts c;
    queue_counts(q, mstime_wall(), &c);
    printf("recovery of %d queued jobs: %.3f s (%zu indexed; target < 1 s)\n",
           jobs, t, c.n[JOB_QUEUED]);
    /* the lazy part, which workers do after start-up: read every
     * meta.json once (a forced rescan does exactly that for entries whose
     * meta.json has not been read yet) */
    struct errbuf why;
    t0 = now_s();
    if (queue_rescan(q, true, &why) == -1)
        die(why.text);
    printf("reading all %d meta.json files after start-up: %.3f s\n", jobs,
           now_s() - t0);
    queue_close(q);
    empty_spool(spool);
    free(both);
    free(page);
    return c.n[JOB_QUEUED] == (size_t)jobs ? 0 : 1;
}

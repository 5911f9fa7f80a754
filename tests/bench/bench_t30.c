/*
 * bench_t30 - CPU and memory of the gateway's audio receive path.
 *
 * Records the sender's side of a 3-page call once (SpanDSP sender against
 * our receiver, in memory), then replays it into N concurrent receivers,
 * interleaved block by block as one line thread would run them:
 *   bare: SpanDSP fax_state_t receivers writing a TIFF (the baseline)
 *   ours: t30/faxrx sessions writing pages.tif in a job directory, then the
 *         call record (meta JSON) and the t30.log transcript
 * Prints CPU seconds per second of call audio for both, their ratio
 * (target <= 1.10), receive channels per core, and heap per active call
 * (target <= 0.5 MB). Exits non-zero only when a replayed call fails.
 *   bench_t30 DOC.tif [REPEATS]
 */
#define _GNU_SOURCE /* mallinfo2 */
#include <sys/stat.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <spandsp.h>

#include "t30/callrec.h"
#include "t30/faxrx.h"

#define NMAX 16

struct audio {
    int16_t *s;
    size_t n, cap;
};

static int snd_code = -1;

static void
on_snd_e(t30_state_t *t, void *a, int code)
{
    (void)t;
    (void)a;
    snd_code = code;
}

static double
cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t
heap(void)
{
    return mallinfo2().uordblks;
}

static void
record(const char *doc, const char *dir, struct audio *au)
{
    struct faxrx_opts o;
    struct errbuf why;
    char path[512];
    fax_state_t *snd = fax_init(NULL, TRUE);
    t30_state_t *t30 = fax_get_t30_state(snd);
    struct faxrx *rx;
    int16_t a[FAXRX_BLOCK], b[FAXRX_BLOCK];

    faxrx_opts_default(&o);
    snprintf(path, sizeof path, "%s/rec.tif", dir);
    rx = faxrx_init(&o, path, 0, &why);
    fax_set_transmit_on_idle(snd, TRUE);
    t30_set_tx_ident(t30, "+1 555 0100");
    t30_set_supported_modems(t30, T30_SUPPORT_V17 | T30_SUPPORT_V29 |
                                      T30_SUPPORT_V27TER);
    t30_set_ecm_capability(t30, TRUE);
    t30_set_supported_compressions(t30, T30_SUPPORT_T4_1D_COMPRESSION |
                                            T30_SUPPORT_T4_2D_COMPRESSION |
                                            T30_SUPPORT_T6_COMPRESSION);
    t30_set_tx_file(t30, doc, -1, -1);
    t30_set_phase_e_handler(t30, on_snd_e, NULL);
    while (!(faxrx_done(rx) && snd_code >= 0) && au->n < 8000 * 3600) {
        fax_tx(snd, a, FAXRX_BLOCK);
        if (au->n + FAXRX_BLOCK > au->cap) {
            au->cap = au->cap ? 2 * au->cap : 1 << 20;
            au->s = realloc(au->s, au->cap * sizeof *au->s);
        }
        memcpy(au->s + au->n, a, sizeof a);
        au->n += FAXRX_BLOCK;
        if (!faxrx_done(rx))
            faxrx_block(rx, a, b, FAXRX_BLOCK);
        else
            memset(b, 0, sizeof b);
        fax_rx(snd, b, FAXRX_BLOCK);
    }
    fprintf(stderr, "recorded %.1f s of sender audio, %zu pages, %s\n",
            au->n / 8000.0, faxrx_record(rx)->npages,
            callrec_result_name(faxrx_record(rx)->result));
    faxrx_free(rx);
    fax_free(snd);
}

struct bare {
    fax_state_t *fax;
    int code;
    int pages;
};

static void
bare_e(t30_state_t *t, void *a, int code)
{
    struct bare *b = a;
    t30_stats_t st;

    t30_get_transfer_statistics(t, &st);
    b->pages = st.pages_rx;
    b->code = code;
}

/* Baseline: N bare SpanDSP receivers. Returns CPU s; *peak = heap. */
static double
run_bare(const struct audio *au, int n, const char *dir, size_t *peak)
{
    struct bare b[NMAX];
    int16_t out[FAXRX_BLOCK], in[FAXRX_BLOCK];
    char path[512];
    size_t base = heap(), top = 0;
    double t0 = cpu_s(), t;
    int bad = 0;

    for (int i = 0; i < n; i++) {
        t30_state_t *t30;

        b[i].fax = fax_init(NULL, FALSE);
        b[i].code = -1;
        t30 = fax_get_t30_state(b[i].fax);
        snprintf(path, sizeof path, "%s/bare%d.tif", dir, i);
        fax_set_transmit_on_idle(b[i].fax, TRUE);
        t30_set_supported_modems(t30, T30_SUPPORT_V17 | T30_SUPPORT_V29 |
                                          T30_SUPPORT_V27TER);
        t30_set_ecm_capability(t30, TRUE);
        t30_set_supported_compressions(t30, T30_SUPPORT_T4_1D_COMPRESSION |
                                                T30_SUPPORT_T4_2D_COMPRESSION |
                                                T30_SUPPORT_T6_COMPRESSION);
        t30_set_rx_encoding(t30, T4_COMPRESSION_ITU_T6);
        t30_set_rx_file(t30, path, -1);
        t30_set_phase_e_handler(t30, bare_e, &b[i]);
    }
    for (size_t k = 0; k + FAXRX_BLOCK <= au->n; k += FAXRX_BLOCK) {
        for (int i = 0; i < n; i++) {
            if (b[i].code >= 0)
                continue;
            memcpy(in, au->s + k, sizeof in);
            fax_rx(b[i].fax, in, FAXRX_BLOCK);
            fax_tx(b[i].fax, out, FAXRX_BLOCK);
        }
        if ((k / FAXRX_BLOCK) % 50 == 0 && heap() - base > top)
            top = heap() - base;
    }
    for (int i = 0; i < n; i++) {
        bad += b[i].code != T30_ERR_OK;
        fax_free(b[i].fax);
    }
    t = cpu_s() - t0;
    *peak = top;
    if (bad)
        fprintf(stderr, "bare: %d calls failed\n", bad);
    return bad ? -1 : t;
}

struct ours {
    struct faxrx *rx;
    char dir[512];
};

static void
store_record(void *arg, const struct callrec *rec)
{
    struct ours *o = arg;
    char path[600];
    json_t *j = callrec_to_json(rec);
    char *log = callrec_transcript(rec);
    FILE *f;

    snprintf(path, sizeof path, "%s/meta.json", o->dir);
    json_dump_file(j, path, JSON_INDENT(2));
    snprintf(path, sizeof path, "%s/t30.log", o->dir);
    if ((f = fopen(path, "w")) != NULL) {
        fputs(log, f);
        fflush(f);
        fsync(fileno(f));
        fclose(f);
    }
    free(log);
    json_decref(j);
}

static double
run_ours(const struct audio *au, int n, const char *dir, size_t *peak)
{
    struct ours c[NMAX];
    struct faxrx_opts o;
    struct errbuf why;
    char path[600];
    size_t base = heap(), top = 0;
    double t0 = cpu_s(), t;
    int bad = 0;

    faxrx_opts_default(&o);
    for (int i = 0; i < n; i++) {
        snprintf(c[i].dir, sizeof c[i].dir, "%s/job%d", dir, i);
        mkdir(c[i].dir, 0750);
        snprintf(path, sizeof path, "%s/pages.tif", c[i].dir);
        c[i].rx = faxrx_init(&o, path, 0, &why);
        if (c[i].rx == NULL)
            return -1;
        faxrx_set_record_handler(c[i].rx, store_record, &c[i]);
    }
    for (size_t k = 0; k + FAXRX_BLOCK <= au->n; k += FAXRX_BLOCK) {
        for (int i = 0; i < n; i++)
            if (!faxrx_done(c[i].rx))
                faxrx_block(c[i].rx, au->s + k, NULL, FAXRX_BLOCK);
        if ((k / FAXRX_BLOCK) % 50 == 0 && heap() - base > top)
            top = heap() - base;
    }
    for (int i = 0; i < n; i++) {
        faxrx_hangup(c[i].rx);
        bad += faxrx_record(c[i].rx)->result != CALLREC_OK;
        faxrx_free(c[i].rx);
    }
    t = cpu_s() - t0;
    *peak = top;
    if (bad)
        fprintf(stderr, "ours: %d calls failed\n", bad);
    return bad ? -1 : t;
}

static int
cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
    static const int ns[] = {1, 4, 16};
    struct audio au = {0};
    char dir[] = "/tmp/bench_t30.XXXXXX";
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    int rc = 0;

    if (argc < 2 || mkdtemp(dir) == NULL) {
        fprintf(stderr, "usage: bench_t30 DOC.tif [REPEATS]\n");
        return 2;
    }
    if (reps < 1 || reps > 15)
        reps = 5;
    record(argv[1], dir, &au);
    printf("bench_t30: %.1f s of call audio (3-page V.17 ECM T.6 call), "
           "median of %d runs\n",
           au.n / 8000.0, reps);
    printf("%4s %14s %14s %7s %12s %12s %12s\n", "N", "bare cpu-s/s",
           "ours cpu-s/s", "ratio", "ours ch/core", "bare KB/call",
           "ours KB/call");
    for (size_t x = 0; x < sizeof ns / sizeof ns[0]; x++) {
        int n = ns[x];
        double tb[15], to[15], secs = n * au.n / 8000.0;
        size_t pb = 0, po = 0;

        for (int r = 0; r < reps; r++) {
            tb[r] = run_bare(&au, n, dir, &pb);
            to[r] = run_ours(&au, n, dir, &po);
            if (tb[r] < 0 || to[r] < 0)
                rc = 1;
        }
        qsort(tb, (size_t)reps, sizeof tb[0], cmp_d);
        qsort(to, (size_t)reps, sizeof to[0], cmp_d);
        printf("%4d %14.6f %14.6f %7.3f %12.0f %12.1f %12.1f\n", n,
               tb[reps / 2] / secs, to[reps / 2] / secs,
               to[reps / 2] / tb[reps / 2], secs / to[reps / 2],
               pb / (double)n / 1024.0, po / (double)n / 1024.0);
    }
    printf("targets: ratio <= 1.10, memory <= 512 KB per active call "
           "(heap peak during the call incl. fax_state_t)\n");
    free(au.s);
    {
        char cmd[64];

        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            rc = 1;
    }
    return rc;
}

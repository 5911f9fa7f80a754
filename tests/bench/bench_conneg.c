/* bench_conneg - parse + choose for the seed 002 capability (corrected),
 * as a bare filter and from the raw RCPT reply, in operations per second on
 * one core, with same-run baselines (copying the text, parsing alone).
 * usage: bench_conneg REPLY-FILE [SECONDS-PER-STEP]
 * Exit 1 only if a result is wrong; time never fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/util/xalloc.h"
#include "smtp/conneg.h"
#include "smtp/featexpr.h"

/* CPU time of this thread: "one core", even on a shared machine */
static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum step { COPY, PARSE, CHOOSE, REPLY };

static volatile size_t sink;

static int
run_once(enum step s, const char *filter, const char *reply,
         const struct conneg_source *src)
{
    struct conneg_choice ch;
    struct errbuf why;
    char buf[4096];

    switch (s) {
    case COPY: {
        size_t n = strlen(filter);
        memcpy(buf, filter, n + 1);
        sink += (size_t)buf[n / 2];
        return 1;
    }
    case PARSE: {
        struct featexpr *e = featexpr_parse(filter, strlen(filter),
                                            FEATEXPR_LENIENT_CMP, NULL, &why);
        if (e == NULL)
            return 0;
        sink += featexpr_size(e);
        featexpr_free(e);
        return 1;
    }
    case CHOOSE:
        if (conneg_choose(filter, src, &ch, &why) != 0)
            return 0;
        return ch.outcome == CONNEG_CHOSEN && ch.fmt.coding == PAGE_CODING_JBIG;
    case REPLY:
        if (conneg_choose_reply(reply, src, &ch, &why) != 0)
            return 0;
        return ch.outcome == CONNEG_CHOSEN && ch.fmt.coding == PAGE_CODING_JBIG;
    }
    return 0;
}

static double
measure(enum step s, const char *filter, const char *reply,
        const struct conneg_source *src, double secs)
{
    long n = 0, batch = 1024; /* clock reads are syscalls */
    double t0 = now_s(), t;

    do {
        for (long i = 0; i < batch; i++)
            if (!run_once(s, filter, reply, src)) {
                fprintf(stderr, "bench_conneg: wrong result in step %d\n",
                        (int)s);
                exit(1);
            }
        n += batch;
        t = now_s() - t0;
    } while (t < secs);
    return (double)n / t;
}

int
main(int argc, char **argv)
{
    struct conneg_source src = {.coding = PAGE_CODING_MMR,
                                .xres = 204,
                                .yres = 196,
                                .width = 1728,
                                .paper = PAGE_PAPER_A4};
    struct conneg_caps caps;
    struct errbuf why;
    double secs = argc > 2 ? atof(argv[2]) : 1.0;
    char *reply;
    size_t n;
    FILE *f;

    if (argc < 2 || (f = fopen(argv[1], "rb")) == NULL) {
        fprintf(stderr, "usage: bench_conneg REPLY-FILE [SECONDS]\n");
        return 2;
    }
    reply = xmalloc(1 << 16);
    n = fread(reply, 1, (1 << 16) - 1, f);
    reply[n] = '\0';
    fclose(f);
    if (conneg_caps_from_reply(reply, &caps, &why) != 1) {
        fprintf(stderr, "bench_conneg: no capability in %s\n", argv[1]);
        return 1;
    }
    printf("capability: %zu bytes from %zu reply bytes, %zu fragments\n",
           caps.len, n, caps.nfrag);
    double copy = measure(COPY, caps.text, reply, &src, secs);
    double parse = measure(PARSE, caps.text, reply, &src, secs);
    double choose = measure(CHOOSE, caps.text, reply, &src, secs);
    double rep = measure(REPLY, caps.text, reply, &src, secs);
    printf("baseline strlen+memcpy of the filter: %12.0f ops/s\n", copy);
    printf("baseline parse alone:                 %12.0f ops/s\n", parse);
    printf("parse + choose (bare filter):         %12.0f ops/s  "
           "(%.1fx the parse time, %.0fx the copy)\n",
           choose, parse / choose, copy / choose);
    printf("reassemble + parse + choose (reply):  %12.0f ops/s\n", rep);
    printf("target 100000 ops/s: %s\n",
           choose >= 100000 && rep >= 100000 ? "met" : "NOT met");
    conneg_caps_release(&caps);
    free(reply);
    return 0;
}

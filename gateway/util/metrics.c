/* metrics - counters in OpenMetrics text; see metrics.h */
#include "gateway/util/metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/xalloc.h"

struct family_desc {
    const char *name; /* without the _total suffix */
    const char *help;
    const char *label1;
    const char *label2; /* NULL: one label */
};

static const struct family_desc families[METRICS_FAMILY_COUNT] = {
    [METRICS_CALLS] = {"ifaxgw_calls", "Fax calls answered, by line and result",
                       "line", "result"},
    [METRICS_PAGES] = {"ifaxgw_pages", "Pages taken in, by source", "source",
                       NULL},
    [METRICS_FAILURES] = {"ifaxgw_failures", "Failures, by cause", "cause",
                          NULL},
    [METRICS_DELIVERIES] = {"ifaxgw_deliveries",
                            "Deliveries per recipient, by outcome and profile",
                            "outcome", "profile"},
};

struct series {
    enum metrics_family family;
    char l1[METRICS_LABEL_MAX];
    char l2[METRICS_LABEL_MAX];
    uint64_t value;
};

struct metrics {
    pthread_mutex_t lock; /* guards everything below */
    struct series *series;
    size_t n;
    uint64_t dropped;
};

struct strbuf {
    char *s;
    size_t len, cap;
};

static void sb_printf(struct strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct strbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            IFX_BUG("vsnprintf failed");
        if ((size_t)n < b->cap - b->len)
            break;
        b->cap = 2 * b->cap + (size_t)n;
        b->s = xrealloc(b->s, b->cap);
    }
    b->len += (size_t)n;
}

/* OpenMetrics label value: escape \ " and newline; other control bytes and
 * non-ASCII become '?' so a hostile value cannot break the line format. */
static void
label_escape(char *dst, size_t n, const char *src)
{
    size_t o = 0;

    for (; src != NULL && *src && o + 3 < n; src++) {
        unsigned char c = (unsigned char)*src;

        if (c == '\\' || c == '"') {
            dst[o++] = '\\';
            dst[o++] = (char)c;
        } else if (c == '\n') {
            dst[o++] = '\\';
            dst[o++] = 'n';
        } else {
            dst[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
        }
    }
    dst[o] = '\0';
}

static struct series *
series_find(struct metrics *m, enum metrics_family f, const char *l1,
            const char *l2)
{
    for (size_t i = 0; i < m->n; i++) {
        struct series *s = &m->series[i];

        if (s->family == f && strcmp(s->l1, l1) == 0 && strcmp(s->l2, l2) == 0)
            return s;
    }
    return NULL;
}

struct metrics *
metrics_init(void)
{
    struct metrics *m = xcalloc(1, sizeof *m);

    pthread_mutex_init(&m->lock, NULL);
    m->series = xcalloc(METRICS_SERIES_MAX, sizeof *m->series);
    return m;
}

void
metrics_free(struct metrics *m)
{
    if (m == NULL)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m->series);
    free(m);
}

static void
labels_norm(enum metrics_family f, const char *l1, const char *l2,
            char n1[METRICS_LABEL_MAX], char n2[METRICS_LABEL_MAX])
{
    (void)snprintf(n1, METRICS_LABEL_MAX, "%s", l1 ? l1 : "");
    (void)snprintf(n2, METRICS_LABEL_MAX, "%s",
                   (families[f].label2 && l2) ? l2 : "");
}

void
metrics_add(struct metrics *m, enum metrics_family f, const char *l1,
            const char *l2, uint64_t n)
{
    char n1[METRICS_LABEL_MAX], n2[METRICS_LABEL_MAX];
    struct series *s;

    if ((unsigned)f >= METRICS_FAMILY_COUNT)
        IFX_BUG("metrics family %d", (int)f);
    if (m == NULL) /* a module run without a registry (CLI, tests) */
        return;
    labels_norm(f, l1, l2, n1, n2);
    pthread_mutex_lock(&m->lock);
    s = series_find(m, f, n1, n2);
    if (s == NULL && m->n < METRICS_SERIES_MAX) {
        s = &m->series[m->n++];
        s->family = f;
        memcpy(s->l1, n1, sizeof s->l1);
        memcpy(s->l2, n2, sizeof s->l2);
    }
    if (s != NULL)
        s->value += n;
    else
        m->dropped += n;
    pthread_mutex_unlock(&m->lock);
}

uint64_t
metrics_get(struct metrics *m, enum metrics_family f, const char *l1,
            const char *l2)
{
    char n1[METRICS_LABEL_MAX], n2[METRICS_LABEL_MAX];
    struct series *s;
    uint64_t v;

    labels_norm(f, l1, l2, n1, n2);
    pthread_mutex_lock(&m->lock);
    s = series_find(m, f, n1, n2);
    v = s ? s->value : 0;
    pthread_mutex_unlock(&m->lock);
    return v;
}

static void
render_family(struct metrics *m, struct strbuf *b, enum metrics_family f)
{
    const struct family_desc *d = &families[f];
    char e1[2 * METRICS_LABEL_MAX + 1], e2[2 * METRICS_LABEL_MAX + 1];

    sb_printf(b, "# TYPE %s counter\n# HELP %s %s.\n", d->name, d->name,
              d->help);
    for (size_t i = 0; i < m->n; i++) {
        const struct series *s = &m->series[i];

        if (s->family != f)
            continue;
        label_escape(e1, sizeof e1, s->l1);
        if (d->label2 == NULL) {
            sb_printf(b, "%s_total{%s=\"%s\"} %llu\n", d->name, d->label1, e1,
                      (unsigned long long)s->value);
            continue;
        }
        label_escape(e2, sizeof e2, s->l2);
        sb_printf(b, "%s_total{%s=\"%s\",%s=\"%s\"} %llu\n", d->name, d->label1,
                  e1, d->label2, e2, (unsigned long long)s->value);
    }
}

static void
render_queue(struct strbuf *b, const struct metrics_queue *q, size_t nq)
{
    char e[2 * METRICS_LABEL_MAX + 1];

    sb_printf(b, "# TYPE ifaxgw_queue_jobs gauge\n"
                 "# HELP ifaxgw_queue_jobs Jobs in the spool, by state.\n");
    for (size_t i = 0; i < nq; i++) {
        label_escape(e, sizeof e, q[i].state);
        sb_printf(b, "ifaxgw_queue_jobs{state=\"%s\"} %llu\n", e,
                  (unsigned long long)q[i].jobs);
    }
    sb_printf(b, "# TYPE ifaxgw_queue_oldest_age_seconds gauge\n"
                 "# UNIT ifaxgw_queue_oldest_age_seconds seconds\n"
                 "# HELP ifaxgw_queue_oldest_age_seconds Age of the oldest "
                 "job, by state.\n");
    for (size_t i = 0; i < nq; i++) {
        label_escape(e, sizeof e, q[i].state);
        sb_printf(b, "ifaxgw_queue_oldest_age_seconds{state=\"%s\"} %.3f\n", e,
                  q[i].oldest_age_s);
    }
}

char *
metrics_render(struct metrics *m, const struct metrics_queue *q, size_t nq,
               size_t *len)
{
    struct strbuf b = {xmalloc(4096), 0, 4096};

    b.s[0] = '\0';
    pthread_mutex_lock(&m->lock);
    for (int f = 0; f < METRICS_FAMILY_COUNT; f++)
        render_family(m, &b, (enum metrics_family)f);
    sb_printf(&b,
              "# TYPE ifaxgw_metrics_dropped counter\n"
              "# HELP ifaxgw_metrics_dropped Counts lost to the series "
              "limit.\nifaxgw_metrics_dropped_total %llu\n",
              (unsigned long long)m->dropped);
    pthread_mutex_unlock(&m->lock);
    render_queue(&b, q, nq);
    sb_printf(&b, "# EOF\n");
    *len = b.len;
    return b.s;
}

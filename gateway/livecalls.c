/* livecalls - calls in progress on a line of many; contract in livecalls.h */
#include "gateway/livecalls.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/xalloc.h"

void
livecalls_init(struct livecalls *t, size_t max)
{
    t->e = max > 0 ? xcalloc(max, sizeof *t->e) : NULL;
    t->n = 0;
    t->max = max;
}

void
livecalls_free(struct livecalls *t)
{
    free(t->e);
    t->e = NULL;
    t->n = t->max = 0;
}

static size_t
livecalls_find(const struct livecalls *t, const char *id)
{
    size_t i = 0;

    while (i < t->n && strcmp(t->e[i].id, id) != 0)
        i++;
    return i;
}

/* A new entry at the end (oldest first); NULL when full. */
static struct livecalls_entry *
livecalls_add(struct livecalls *t, const struct line_report *r, int64_t now)
{
    struct livecalls_entry *e;

    if (t->n == t->max)
        return NULL;
    e = &t->e[t->n++];
    memset(e, 0, sizeof *e);
    (void)snprintf(e->id, sizeof e->id, "%s", r->call);
    (void)snprintf(e->caller, sizeof e->caller, "%s",
                   r->caller ? r->caller : "");
    (void)snprintf(e->called, sizeof e->called, "%s",
                   r->called ? r->called : "");
    e->start_ms = now;
    return e;
}

enum livecalls_result
livecalls_report(struct livecalls *t, const struct line_report *r,
                 int64_t now_ms)
{
    struct livecalls_entry *e;
    size_t i;
    bool added = false;

    if (r->call == NULL || strlen(r->call) > LIVECALLS_ID_MAX)
        return LIVECALLS_BAD;
    i = livecalls_find(t, r->call);
    if (r->status != LINE_STATUS_RECEIVING) {
        if (i == t->n)
            return LIVECALLS_UNKNOWN;
        memmove(&t->e[i], &t->e[i + 1], (t->n - i - 1) * sizeof *t->e);
        t->n--;
        return LIVECALLS_REMOVED;
    }
    if (i < t->n) {
        e = &t->e[i];
    } else {
        if ((e = livecalls_add(t, r, now_ms)) == NULL)
            return LIVECALLS_FULL;
        added = true;
    }
    if (added || e->page != r->page || e->bit_rate != r->bit_rate ||
        e->training_rate != r->training_rate)
        e->progress_ms = now_ms;
    e->page = r->page;
    e->bit_rate = r->bit_rate;
    e->training_rate = r->training_rate;
    if (r->csid != NULL)
        (void)snprintf(e->csid, sizeof e->csid, "%s", r->csid);
    return added ? LIVECALLS_ADDED : LIVECALLS_UPDATED;
}

size_t
livecalls_copy(const struct livecalls *t, struct livecalls_entry *out,
               size_t max)
{
    size_t n = t->n < max ? t->n : max;

    if (n > 0)
        memcpy(out, t->e, n * sizeof *out);
    return n;
}

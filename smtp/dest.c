/* dest - per-destination limits and dead-destination cache; see dest.h */
#include "smtp/dest.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/xalloc.h"

struct dest {
    char key[DEST_KEY_MAX];
    int busy;             /* sessions running now */
    bool ok;              /* the last session opened */
    int64_t dead_until;   /* epoch ms; 0 = alive */
    char why[DEST_WHY_MAX];
};

struct dest_table {
    pthread_mutex_t lock;
    struct dest *d;
    size_t n;
};

struct dest_table *
dest_table_init(void)
{
    struct dest_table *t = xcalloc(1, sizeof *t);

    pthread_mutex_init(&t->lock, NULL);
    return t;
}

void
dest_table_free(struct dest_table *t)
{
    if (t == NULL)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t->d);
    free(t);
}

static struct dest *
find(struct dest_table *t, const char *key)
{
    for (size_t i = 0; i < t->n; i++)
        if (strncmp(t->d[i].key, key, DEST_KEY_MAX - 1) == 0)
            return &t->d[i];
    return NULL;
}

/* An entry for key: new, or an idle one recycled (an idle destination that
 * is neither dead nor known good carries nothing worth keeping first).
 * NULL when all DEST_MAX are busy or dead. */
static struct dest *
add(struct dest_table *t, const char *key, int64_t now_ms)
{
    struct dest *e = NULL;

    if (t->n < DEST_MAX) {
        if (t->n % 64 == 0)
            t->d = xrealloc(t->d, (t->n + 64) * sizeof *t->d);
        e = &t->d[t->n++];
    } else {
        for (size_t i = 0; i < t->n && e == NULL; i++)
            if (t->d[i].busy == 0 && t->d[i].dead_until <= now_ms)
                e = &t->d[i];
        if (e == NULL)
            return NULL;
    }
    memset(e, 0, sizeof *e);
    (void)snprintf(e->key, sizeof e->key, "%s", key);
    return e;
}

enum dest_state
dest_reserve(struct dest_table *t, const char *key, int limit, int64_t now_ms,
             char *why, size_t n)
{
    enum dest_state st = DEST_RESERVED;
    struct dest *e;

    pthread_mutex_lock(&t->lock);
    e = find(t, key);
    if (e == NULL)
        e = add(t, key, now_ms);
    if (e == NULL) {
        /* table full of live destinations: admit, untracked */
    } else if (e->dead_until > now_ms) {
        st = DEST_DEAD;
        if (why != NULL)
            (void)snprintf(why, n, "%s (not tried again for %lld s)", e->why,
                           (long long)((e->dead_until - now_ms + 999) / 1000));
    } else if (e->busy >= (e->ok ? (limit > 0 ? limit : 1) : 1)) {
        st = DEST_FULL;
    } else {
        e->busy++;
    }
    pthread_mutex_unlock(&t->lock);
    return st;
}

void
dest_release(struct dest_table *t, const char *key, enum dest_outcome o,
             const char *cause, int dead_s, int64_t now_ms)
{
    struct dest *e;

    pthread_mutex_lock(&t->lock);
    e = find(t, key);
    if (e != NULL) {
        if (e->busy > 0)
            e->busy--;
        if (o == DEST_OPENED) {
            e->ok = true;
            e->dead_until = 0;
        } else if (o == DEST_OPEN_FAILED) {
            e->ok = false;
            if (dead_s > 0) {
                e->dead_until = now_ms + (int64_t)dead_s * 1000;
                (void)snprintf(e->why, sizeof e->why, "%s",
                               cause ? cause : "");
            }
        }
    }
    pthread_mutex_unlock(&t->lock);
}

/* snapshot - the configuration in force (contract in conf/snapshot.h) */
#include "conf/snapshot.h"

#include <pthread.h>
#include <stddef.h>

#include "gateway/util/xalloc.h"

/* The only mutable globals of conf/: guarded by snapshot_lock. The holder
 * owns one reference of current; each snapshot_get() adds one. */
static pthread_mutex_t snapshot_lock = PTHREAD_MUTEX_INITIALIZER;
static struct config *current;

/* Drop one reference; returns cf when that was the last (caller frees
 * outside the lock). Call with snapshot_lock held. */
static struct config *
snapshot_unref(struct config *cf)
{
    if (cf == NULL)
        return NULL;
    if (cf->snapshot_refs <= 0)
        IFX_BUG("snapshot: refcount %d on put", cf->snapshot_refs);
    return --cf->snapshot_refs == 0 ? cf : NULL;
}

const struct config *
snapshot_get(void)
{
    struct config *cf;

    pthread_mutex_lock(&snapshot_lock);
    cf = current;
    if (cf != NULL)
        cf->snapshot_refs++;
    pthread_mutex_unlock(&snapshot_lock);
    return cf;
}

void
snapshot_put(const struct config *cf)
{
    struct config *dead;

    if (cf == NULL)
        return;
    pthread_mutex_lock(&snapshot_lock);
    /* The holder handed it out as const; the refcount is ours to change. */
    dead = snapshot_unref((struct config *)cf);
    pthread_mutex_unlock(&snapshot_lock);
    config_free(dead);
}

void
snapshot_swap(struct config *cf)
{
    struct config *dead;

    if (cf != NULL)
        cf->snapshot_refs = 1;
    pthread_mutex_lock(&snapshot_lock);
    dead = snapshot_unref(current);
    current = cf;
    pthread_mutex_unlock(&snapshot_lock);
    config_free(dead);
}

int
snapshot_reload(const char *path, struct config_errors *errs)
{
    struct config *cf = config_load(path, errs);

    if (cf == NULL)
        return -1;
    snapshot_swap(cf);
    return 0;
}

/*
 * snapshot - the configuration in force, shared by every thread
 *
 * Holds one refcounted struct config. Readers take a reference with
 * snapshot_get() for the span of one unit of work (a call, a delivery, a
 * web request) and give it back with snapshot_put(); reload builds a new
 * config off to the side and snapshot_swap() puts it in force atomically:
 * work under way keeps the old one until it puts it, then the last put
 * frees it. A bad new config never reaches here (SIGHUP keeps the old).
 * This is the only global mutable state besides gateway/main.c (conventions
 * section 3). Threads: any; one mutex guards the pointer and refcounts.
 */
#ifndef IFAXGW_CONF_SNAPSHOT_H
#define IFAXGW_CONF_SNAPSHOT_H

#include "conf/config.h"

/* The config in force with a reference taken, or NULL before the first
 * swap. Borrowed until the matching snapshot_put(). */
const struct config *snapshot_get(void);

/* Give back a reference from snapshot_get(); NULL is a no-op. */
void snapshot_put(const struct config *cf);

/* Put cf in force (takes ownership; NULL empties the holder). The previous
 * config is freed once its last reader puts it. */
void snapshot_swap(struct config *cf);

/* Reload: load path and swap it in on success. Returns 0, or -1 with
 * every problem in errs and the old config still in force. */
int snapshot_reload(const char *path, struct config_errors *errs);

#endif

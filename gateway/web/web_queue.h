/*
 * web_queue - the web server's job handlers over gateway/spool/queue and page
 *
 * Fills the queue part of struct web_sources (counts, list, show, job_dir,
 * thumbnail, retry, remove, resend) from an open struct queue, turning each
 * struct job into the JSON shape docs/web-api.md gives. Histories (done/,
 * failed/) are cached in memory, newest first, and rebuilt when the queue's
 * count for the state changes, after our own actions, or after
 * WEB_QUEUE_CACHE_S; queue/ and incoming/ are read on every request.
 * Thumbnails come from page_thumbnail_png_mem(), kept in a small in-memory
 * cache (no temporary files: a killed daemon leaves nothing behind). A
 * resend is gateway/intake/submit's commit (the route's delivery settings
 * for the address), the same path as `ifaxgw submit`. Must not: touch the
 * spool except through gateway/spool/queue and gateway/intake/submit.
 * Errors: web handler codes (0, -1 with why, WEB_NOT_FOUND, WEB_CONFLICT).
 * Threads: any; one mutex inside.
 */
#ifndef IFAXGW_GATEWAY_WEB_WEB_QUEUE_H
#define IFAXGW_GATEWAY_WEB_WEB_QUEUE_H

#include <jansson.h>

#include "gateway/spool/job.h"
#include "gateway/spool/queue.h"
#include "gateway/util/errbuf.h"
#include "gateway/web/web.h"

#define WEB_QUEUE_CACHE_S                                                      \
    60 /* a history cache is rebuilt at least this often */
#define WEB_QUEUE_THUMB_WIDTH 200 /* thumbnail pixels */
#define WEB_QUEUE_THUMBS      64  /* PNGs kept in memory */
#define WEB_QUEUE_DOC_MAX     (256u << 20) /* pages.tif served whole, at most */

struct web_queue;

/* q is borrowed until web_queue_free(). (why is kept for the API; it
 * cannot fail today.) */
struct web_queue *web_queue_init(struct queue *q, struct errbuf *why);
void web_queue_free(struct web_queue *wq); /* NULL is a no-op */

/* Set the queue handlers of src (arg = wq); lines and scanner untouched. */
void web_queue_sources(struct web_queue *wq, struct web_sources *src);

/* One job in the API's shape (new reference). */
json_t *web_queue_job_json(const struct job *j);

#endif

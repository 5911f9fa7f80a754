/*
 * page_cache - converted copies of a job's pages, kept in the job directory
 *
 * jobdir/pages.tif is the job's pages as received or scanned; a delivery
 * asks for it in a negotiated format and gets the path of
 * jobdir/out-<profile>-<coding>-<X>x<Y>-<width>.tif (or jobdir/out.pdf),
 * made once, atomically (tmp, fsync, rename), so concurrent or crashed
 * conversions never leave a partial file under the final name. The name
 * itself is not made durable (no directory fsync): a copy lost to a power
 * failure is converted again, which is cheaper than a flush per job.
 * Knows nothing of the queue: it takes the directory's path.
 * Errors: -1 with *why. Threads: any (two writers race harmlessly).
 */
#ifndef IFAXGW_GATEWAY_PAGE_PAGE_CACHE_H
#define IFAXGW_GATEWAY_PAGE_PAGE_CACHE_H

#include <stddef.h>

#include "gateway/page/page_format.h"
#include "gateway/util/errbuf.h"

#define PAGE_CACHE_SOURCE "pages.tif" /* the job's pages, in jobdir */
#define PAGE_CACHE_PDF    "out.pdf"

/* Path (into buf) of jobdir's pages converted to want, created if absent.
 * The format actually written (want resolved against the source) goes to
 * *got if not NULL. */
int page_cache_get(const char *jobdir, const struct page_format *want,
                   struct page_format *got, char *buf, size_t n,
                   struct errbuf *why);

/* The same for the PDF. */
int page_cache_pdf(const char *jobdir, char *buf, size_t n, struct errbuf *why);

#endif

/*
 * faxjob - one fax call's pages into the queue
 *
 * The gateway side of a call from t30/ (a modem line, an audio line or a
 * recording): before answering, faxjob_begin() makes the incoming job and
 * gives the path the T.30 receiver writes pages.tif to (so an unwritable
 * spool, or one with less than FAXJOB_MIN_FREE_KB free, refuses the call
 * before it is answered); after the call,
 * faxjob_end() fills the job from the call record (line, CSID, caller ID,
 * called number, the record as JSON, the T.30 transcript as t30.log, the
 * partial mark and its reason) and commits it. A call without a confirmed
 * page is a failed call, never a received fax: the job is removed. Fewer
 * pages in pages.tif than the sender was told (a write failed) make the
 * job partial.
 * During the call faxjob_identify() and faxjob_store() write meta.json as
 * soon as something is known (line and caller at answer, CSID at phase B,
 * each page before it is confirmed), so recovery after a crash keeps who
 * called; faxjob_store() also decides whether a page may be confirmed: only
 * once it is durably in pages.tif and the spool keeps its reserve.
 * Errors: -1 with why. Threads: the line's thread.
 */
#ifndef IFAXGW_GATEWAY_INTAKE_FAXJOB_H
#define IFAXGW_GATEWAY_INTAKE_FAXJOB_H

#include <stddef.h>

#include "gateway/spool/job.h"
#include "gateway/spool/queue.h"
#include "gateway/util/errbuf.h"
#include "t30/callrec.h"
#include "t30/faxrx.h"

/* Free spool space a call needs before it is answered: a few fine pages
 * and their converted copies; below it the call is refused, not cut. */
#define FAXJOB_MIN_FREE_KB 512
/* Free space a page must leave to be confirmed, so the job's commit
 * (meta.json, t30.log) and concurrent calls still find room. */
#define FAXJOB_PAGE_RESERVE_KB 128

/* A new incoming job; pages.tif's path into path (size n). Caller frees the
 * handle with job_free() after faxjob_end() or queue_abort(). */
struct job *faxjob_begin(struct queue *q, char *path, size_t n,
                         struct errbuf *why);

/* The answered call's identity into the job (line, caller ID, called
 * number; strings hostile), written to meta.json durably. */
int faxjob_identify(struct queue *q, struct job *j, const char *line,
                    const char *caller, const char *called,
                    struct errbuf *why);

/* faxrx_store_fn's work: the record so far into the job (identity, the
 * record, page quality) and meta.json, durably (pages.tif fsync'ed first).
 * For FAXRX_STORE_PAGE, -1 with why also when pages.tif lacks the page (a
 * write failed) or the spool is under FAXJOB_PAGE_RESERVE_KB: the page must
 * not be confirmed. */
int faxjob_store(struct queue *q, struct job *j, const struct callrec *rec,
                 enum faxrx_store_event ev, struct errbuf *why);

/* Commit the call's job. Returns 0 committed, -1 with why (no page: PERM
 * "no page received", and the job is removed; a commit failure leaves it
 * in incoming/ for recovery at the next start). */
int faxjob_end(struct queue *q, struct job *j, const struct callrec *rec,
               struct errbuf *why);

#endif

/* faxjob - one fax call's pages into the queue; contract in faxjob.h */
#include "gateway/intake/faxjob.h"

#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/util/log.h"

/* Free space under min_kb: -1 with why (what is free, and what for). */
static int
faxjob_free_kb(struct queue *q, int min_kb, const char *what,
               struct errbuf *why)
{
    struct statvfs vfs;
    unsigned long long kb;

    if (statvfs(queue_spool_dir(q), &vfs) == -1)
        return errbuf_errno(why, "spool %s", queue_spool_dir(q));
    kb = (unsigned long long)vfs.f_bavail * vfs.f_frsize / 1024;
    if (kb < (unsigned long long)min_kb)
        return errbuf_set(why, ERR_TEMP, "4.3.1",
                          "spool %s has %llu KiB free, under %d KiB%s",
                          queue_spool_dir(q), kb, min_kb, what);
    return 0;
}

/* A spool too full for a call: refuse before answering, not mid-page. */
static int
faxjob_room(struct queue *q, struct errbuf *why)
{
    return faxjob_free_kb(q, FAXJOB_MIN_FREE_KB, "", why);
}

struct job *
faxjob_begin(struct queue *q, char *path, size_t n, struct errbuf *why)
{
    struct job *j;

    if (faxjob_room(q, why) == -1)
        return NULL;
    j = queue_create(q, "fax", why);
    if (j == NULL)
        return NULL;
    if (job_path(j, "pages.tif", path, n) == NULL) {
        errbuf_set(why, ERR_PERM, NULL, "job path too long");
        (void)queue_abort(q, j, NULL);
        return job_free(j);
    }
    return j;
}

/* t30.log: the transcript, written before the commit fsyncs the job. */
static int
faxjob_write_log(const struct job *j, const struct callrec *rec,
                 struct errbuf *why)
{
    char path[4096];
    char *text = callrec_transcript(rec);
    size_t len = strlen(text), off = 0;
    int fd = -1;

    if (job_path(j, "t30.log", path, sizeof path) == NULL) {
        free(text);
        return errbuf_set(why, ERR_PERM, NULL, "job path too long");
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd == -1)
        goto fail;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            goto fail;
        off += (size_t)w;
    }
    free(text);
    if (close(fd) == -1)
        return errbuf_errno(why, "%s", path);
    return 0;
fail:
    errbuf_errno(why, "%s", path);
    free(text);
    if (fd != -1)
        close(fd);
    return -1;
}

/* Pages confirmed to the sender but not in pages.tif (a write failed, e.g.
 * the disk filled up): the job is partial, never silently short. */
static int
faxjob_stored_pages(const struct job *j, struct errbuf *why)
{
    char path[4096];

    if (job_path(j, "pages.tif", path, sizeof path) == NULL)
        return errbuf_set(why, ERR_PERM, NULL, "job path too long");
    return job_count_pages(path, why);
}

/* What the record knows, into the job: identity, the record, quality. */
static int
faxjob_describe(struct job *j, const struct callrec *rec, struct errbuf *why)
{
    int poor = 0;
    json_t *quality;

    if (job_set_line(j, rec->line, why) == -1 ||
        job_set_csid(j, rec->remote_csid[0] ? rec->remote_csid : NULL, why) ==
            -1 ||
        job_set_caller(j, rec->caller_id[0] ? rec->caller_id : NULL, why) ==
            -1 ||
        job_set_called(j, rec->called_number[0] ? rec->called_number : NULL,
                       why) == -1)
        return -1;
    job_set_record(j, callrec_to_json(rec));
    quality = callrec_page_quality(rec, &poor); /* before poor is read */
    job_set_quality(j, quality, poor);
    return 0;
}

int
faxjob_identify(struct queue *q, struct job *j, const char *line,
                const char *caller, const char *called, struct errbuf *why)
{
    if (job_set_line(j, line, why) == -1 ||
        job_set_caller(j, caller && caller[0] ? caller : NULL, why) == -1 ||
        job_set_called(j, called && called[0] ? called : NULL, why) == -1)
        return -1;
    return queue_save(q, j, why);
}

int
faxjob_store(struct queue *q, struct job *j, const struct callrec *rec,
             enum faxrx_store_event ev, struct errbuf *why)
{
    if (faxjob_describe(j, rec, why) == -1)
        return -1;
    /* Phase B (the CSID): kept in the job, written with the first page.
     * Not here: on a modem line this runs between DCS and TCF, and an
     * fsync there (seconds on a busy disk) made the line miss the TCF and
     * the sender give up; a job with no page is discarded by recovery, so
     * nothing that outlives a crash is lost by waiting. */
    if (ev == FAXRX_STORE_CALL)
        return 0;
    if (ev == FAXRX_STORE_PAGE) {
        int stored = faxjob_stored_pages(j, why);

        if (stored < 0)
            return -1;
        if ((size_t)stored < rec->npages) {
            /* libtiff's write failed (it says why on stderr only) */
            if (faxjob_free_kb(q, FAXJOB_PAGE_RESERVE_KB, "", why) == 0)
                errbuf_set(why, ERR_TEMP, "",
                           "pages.tif holds %d of %zu pages (write failed)",
                           stored, rec->npages);
            return errbuf_prefix(why, "page %zu not written", rec->npages);
        }
        if (faxjob_free_kb(q, FAXJOB_PAGE_RESERVE_KB, " (page reserve)",
                           why) == -1)
            return -1;
    }
    /* fsyncs pages.tif before meta.json: the page is durable when the
     * sender hears MCF */
    return queue_save(q, j, why);
}

static int
faxjob_fill(struct job *j, const struct callrec *rec, struct errbuf *why)
{
    char reason[400], esc[4 * CALLREC_TEXT_MAX];
    char path[4096];
    int stored = faxjob_stored_pages(j, why);

    if (faxjob_describe(j, rec, why) == -1)
        return -1;
    if (rec->result == CALLREC_PARTIAL && rec->refused_page > 0) {
        (void)snprintf(reason, sizeof reason,
                       "page %d not stored (%s): not confirmed, the sender "
                       "keeps it",
                       rec->refused_page,
                       log_esc(esc, sizeof esc, rec->store_error));
        if (job_set_partial(j, reason, why) == -1)
            return -1;
    } else if (rec->result == CALLREC_PARTIAL) {
        (void)snprintf(reason, sizeof reason, "%s: %s",
                       callrec_end_name(rec->end),
                       log_esc(esc, sizeof esc, rec->t30_text));
        if (job_set_partial(j, reason, why) == -1)
            return -1;
    }
    if (stored > 0 && (size_t)stored > rec->npages &&
        job_path(j, "pages.tif", path, sizeof path) != NULL &&
        job_seal_pages(path, (int)rec->npages, why) == -1)
        return -1; /* a page written but not confirmed is not the job's */
    if (stored >= 0 && (size_t)stored < rec->npages) {
        (void)snprintf(reason, sizeof reason,
                       "%d of %zu confirmed pages stored (spool write failed)",
                       stored, rec->npages);
        if (job_set_partial(j, reason, why) == -1)
            return -1;
    }
    return faxjob_write_log(j, rec, why);
}

int
faxjob_end(struct queue *q, struct job *j, const struct callrec *rec,
           struct errbuf *why)
{
    if (rec == NULL || rec->npages == 0) {
        (void)queue_abort(q, j, NULL);
        return errbuf_set(why, ERR_PERM, NULL, "no page received%s%s",
                          rec ? ": " : "", rec ? rec->t30_text : "");
    }
    if (faxjob_fill(j, rec, why) == -1)
        return -1;
    return queue_commit(q, j, why);
}

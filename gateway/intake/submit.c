/* submit - a document from outside into the queue; contract in submit.h */
#include "gateway/intake/submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/snapshot.h"
#include "gateway/page/page_file.h"
#include "gateway/spool/router.h"
#include "gateway/util/xalloc.h"

/* pages.tif: the document as MMR (lossless), or a queue file as it is. */
static int
submit_pages(const struct submit_req *req, const struct job *j,
             struct errbuf *why)
{
    struct page_format mmr = {.coding = PAGE_CODING_MMR};
    struct page_buf b;
    char path[4096];
    int rc;

    if (job_path(j, "pages.tif", path, sizeof path) == NULL)
        return errbuf_set(why, ERR_PERM, NULL, "job path too long");
    if (req->doc != NULL)
        return page_doc_write_tiff(req->doc, &mmr, path, why);
    if (req->pages_from == NULL)
        return errbuf_set(why, ERR_PERM, NULL, "no pages to submit");
    if (page_file_read(req->pages_from, PAGE_MAX_FILE, &b, why) == -1)
        return -1;
    rc = page_file_write(path, b.p, b.len, false, why); /* commit fsyncs */
    page_buf_release(&b);
    return rc;
}

/* The resent job's own entry for address, as a spec; NULL when none. */
static const struct rcpt_spec *
submit_like(const struct job *like, const char *address, struct rcpt_spec *s)
{
    for (size_t i = 0; like != NULL && i < like->n_rcpt; i++) {
        const struct job_rcpt *r = &like->rcpt[i];

        if (strcasecmp(r->address, address) == 0) {
            *s = (struct rcpt_spec){address, r->mode,  r->format,
                                    r->host, r->tls,   r->mdn};
            return s;
        }
    }
    return NULL;
}

/* Addresses named by hand: each with its route's settings; the route the
 * job's data matches (if any) gives subject and notify. */
static int
submit_to(const struct submit_req *req, struct job *j, struct errbuf *why)
{
    const struct config *cf = snapshot_get();
    const struct config_route *r = NULL;
    char explain[256];
    int rc = 0;

    /* no config in force (a test server): direct, by MX, or the job's own */
    if (cf != NULL)
        r = router_find(cf, j, explain, sizeof explain);
    if (r != NULL && !r->reject)
        rc = router_apply_meta(r, j, why);
    for (size_t i = 0; rc == 0 && i < SUBMIT_MAX_TO && req->to[i]; i++) {
        char host[320];
        struct rcpt_spec s = {.address = req->to[i]}, own;
        int from = cf != NULL ? router_rcpt_settings(cf, r, req->to[i], &s,
                                                     host, sizeof host)
                              : 0;

        if (from != 1 && submit_like(req->like, req->to[i], &own) != NULL)
            s = own; /* the job's own entry beats another route's guess */
        if (job_add_rcpt(j, &s, why) == -1)
            rc = errbuf_prefix(why, "%s", req->to[i]);
    }
    snapshot_put(cf);
    return rc;
}

/* Recipients, route, subject: by hand or by the routes, before commit (so
 * that --subject can replace the route's). */
static int
submit_route(const struct submit_req *req, struct job *j, struct errbuf *why)
{
    char *route, *notify;
    int rc;

    if (req->to[0] != NULL)
        rc = submit_to(req, j, why);
    else
        rc = router_route_job(NULL, j, why);
    if (rc == -1 || req->subject == NULL)
        return rc;
    route = j->route ? xstrdup(j->route) : NULL;
    notify = j->notify ? xstrdup(j->notify) : NULL;
    rc = job_set_route(j, route, req->subject, notify, why);
    free(route);
    free(notify);
    return rc;
}

static int
submit_fill(const struct submit_req *req, struct job *j, struct errbuf *why)
{
    char path[4096];
    int pages;

    if (submit_pages(req, j, why) == -1)
        return -1;
    /* The count queue_commit() will find (it counts again): the route's
     * subject (${pages}) is expanded here, before the commit. */
    pages = job_count_pages(job_path(j, "pages.tif", path, sizeof path), why);
    if (pages <= 0)
        return pages == 0 ? errbuf_set(why, ERR_PERM, NULL, "no page") : -1;
    j->pages = pages;
    if (
        job_set_line(j, req->line, why) == -1 ||
        job_set_csid(j, req->csid, why) == -1 ||
        job_set_caller(j, req->caller, why) == -1 ||
        job_set_called(j, req->called, why) == -1)
        return -1;
    if (req->partial_reason != NULL &&
        job_set_partial(j, req->partial_reason, why) == -1)
        return -1;
    return submit_route(req, j, why);
}

int
submit_commit(struct queue *q, const struct submit_req *req, char *id,
              int *pages, struct errbuf *why)
{
    struct job *j = queue_create(q, req->source ? req->source : "submit", why);

    if (j == NULL) {
        json_decref(req->record);
        return -1;
    }
    job_set_record(j, req->record);
    if (submit_fill(req, j, why) == -1 || queue_commit(q, j, why) == -1) {
        (void)queue_abort(q, j, NULL);
        job_free(j);
        return -1;
    }
    (void)snprintf(id, JOB_ID_MAX, "%s", j->id);
    if (pages != NULL)
        *pages = j->pages;
    job_free(j);
    return 0;
}

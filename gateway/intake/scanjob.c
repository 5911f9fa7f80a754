/* scanjob - a scan with a profile, into the queue; contract in scanjob.h */
#include "gateway/intake/scanjob.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "gateway/page/page.h"
#include "scan/scanproc.h"

/* The page handler's state: pages collect in a document. */
struct scanjob_ctx {
    struct page_doc *doc;
    const struct scanjob_req *req;
};

static int
scanjob_on_page(void *arg, const struct scan_page *pg, struct errbuf *why)
{
    struct scanjob_ctx *c = arg;

    if (page_doc_add(c->doc, pg->bits, pg->width, pg->height, pg->stride,
                     pg->xres, pg->yres, why) == -1)
        return -1;
    if (c->req->progress)
        c->req->progress(c->req->progress_arg, page_doc_count(c->doc));
    return 0;
}

void
scanjob_grid(int dpi, struct page_format *out)
{
    memset(out, 0, sizeof *out);
    out->coding = PAGE_CODING_MMR;
    out->paper = PAGE_PAPER_A4;
    /* standards.md 7.4: scan at a fax grid and crop/pad, never stretch */
    if (dpi >= 400) {
        out->xres = out->yres = 400;
        out->width = 3456;
    } else if (dpi >= 300) {
        out->xres = out->yres = 300;
        out->width = 2592;
    } else {
        out->xres = out->yres = 200;
        out->width = 1728;
    }
}

static void
scanjob_opts(const struct config *cf, const struct scanjob_req *req,
             struct scan_opts *o, const char *lock_dir)
{
    const struct config_scan_profile *p = req->profile;

    memset(o, 0, sizeof *o);
    o->device = req->device          ? req->device
                : (p->device && *p->device) ? p->device
                                            : cf->scanner_device;
    o->mode = (enum scan_mode)p->mode;
    o->resolution = p->resolution;
    o->source = p->source == CONFIG_SCAN_ADF ? SCAN_SOURCE_ADF
                                             : SCAN_SOURCE_FLATBED;
    o->duplex = p->duplex;
    (void)scan_paper_size(config_paper_name(p->paper), &o->width_mm,
                          &o->height_mm);
    o->threshold = p->threshold;
    o->dither = p->dither;
    o->skip_blank = p->skip_blank;
    for (size_t i = 0; i < SCAN_MAX_EXTRA && req->extra[i]; i++)
        o->extra[i] = req->extra[i];
    o->lock_dir = lock_dir;
    o->cancel = req->cancel;
    o->stall_s = cf->scanner_stall_s;
    o->close_s = cf->scanner_close_s;
}

/* The recipients named at the panel or with --to, relay or direct per the
 * config's default mode. */
static int
scanjob_add_to(const struct config *cf, const struct scanjob_req *req,
               struct job *j, struct errbuf *why)
{
    for (size_t i = 0; i < SCANJOB_MAX_TO && req->to[i]; i++) {
        struct rcpt_spec r = {
            .address = req->to[i],
            .mode = cf->smtp.mode == CONFIG_SMTP_RELAY ? RCPT_MODE_RELAY
                                                        : RCPT_MODE_DIRECT,
        };
        if (job_add_rcpt(j, &r, why) == -1)
            return -1;
    }
    return 0;
}

static json_t *
scanjob_record(const struct scanjob_req *req, const struct scan_report *rep,
               const struct page_format *grid)
{
    return json_pack("{s:s, s:s, s:i, s:i, s:s, s:i, s:i, s:i}", "profile",
                     req->profile->name, "device", rep->device, "pages",
                     rep->pages, "blank_skipped", rep->blank_skipped,
                     "result", scan_result_name(rep->result), "dpi",
                     req->profile->resolution, "xres", grid->xres, "width",
                     grid->width);
}

/* Fax grid, MMR pages.tif, metadata, commit. */
static int
scanjob_commit(struct queue *q, const struct config *cf,
               const struct scanjob_req *req, struct page_doc *doc,
               struct scanjob_result *res, struct errbuf *why)
{
    struct page_format grid;
    struct page_doc *fax = NULL;
    struct job *j;
    char path[1024];
    int rc = -1;

    scanjob_grid(req->profile->resolution, &grid);
    j = queue_create(q, "scan", why);
    if (j == NULL)
        return -1;
    if (page_doc_transform(doc, &grid, &fax, why) == -1 ||
        job_path(j, "pages.tif", path, sizeof path) == NULL ||
        page_doc_write_tiff(fax, &grid, path, why) == -1 ||
        job_set_line(j, req->profile->name, why) == -1 ||
        scanjob_add_to(cf, req, j, why) == -1)
        goto fail;
    if (res->scan.result != SCAN_OK &&
        job_set_partial(j, scan_result_name(res->scan.result), why) == -1)
        goto fail;
    job_set_record(j, scanjob_record(req, &res->scan, &grid));
    if (queue_commit(q, j, why) == -1)
        goto fail;
    (void)snprintf(res->job_id, sizeof res->job_id, "%s", j->id);
    res->pages = j->pages;
    rc = 0;
    goto out;
fail:
    (void)queue_abort(q, j, NULL);
out:
    page_doc_free(fax);
    job_free(j);
    return rc;
}

int
scanjob_run(struct queue *q, const struct config *cf,
            const struct scanjob_req *req, struct scanjob_result *res,
            struct errbuf *why)
{
    struct scanjob_ctx c = {.doc = page_doc_new(), .req = req};
    struct scan_opts o;
    struct errbuf scan_why;
    int rc;

    memset(res, 0, sizeof *res);
    errbuf_clear(&scan_why);
    scanjob_opts(cf, req, &o, queue_spool_dir(q));
    rc = scanproc_run(&o, scanjob_on_page, &c, &res->scan, &scan_why);
    if (rc == -1 && !(req->keep_partial && page_doc_count(c.doc) > 0)) {
        page_doc_free(c.doc);
        *why = scan_why;
        return -1;
    }
    if (page_doc_count(c.doc) == 0) {
        page_doc_free(c.doc);
        return errbuf_set(why, ERR_PERM, NULL,
                          "no page scanned (all %d blank)",
                          res->scan.blank_skipped);
    }
    rc = scanjob_commit(q, cf, req, c.doc, res, why);
    page_doc_free(c.doc);
    if (rc == 0 && res->scan.result != SCAN_OK) {
        /* committed the pages so far, as asked; still report the failure */
        *why = scan_why;
        return 0;
    }
    return rc;
}

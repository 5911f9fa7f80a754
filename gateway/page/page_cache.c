/* page_cache - per-job converted outputs; see page_cache.h */
#include "gateway/page/page_cache.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "gateway/page/page.h"
#include "gateway/page/page_file.h"
#include "gateway/page/page_tiff.h"
#include "gateway/util/xalloc.h"

static int
page_cache_path(char *buf, size_t n, const char *jobdir, const char *name,
                struct errbuf *why)
{
    int len = snprintf(buf, n, "%s/%s", jobdir, name);

    if (len < 0 || (size_t)len >= n)
        return errbuf_set(why, ERR_PERM, "5.3.0", "path %s/%s too long", jobdir,
                          name);
    return 0;
}

static int
page_cache_exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

static int
page_cache_load(const char *jobdir, struct page_doc **doc, struct errbuf *why)
{
    char src[4096];

    if (page_cache_path(src, sizeof src, jobdir, PAGE_CACHE_SOURCE, why) == -1)
        return -1;
    return page_doc_load(src, doc, why);
}

/* Write tx as fmt durably at path. */
static int
page_cache_store(const struct page_doc *tx, const struct page_format *fmt,
                 const char *path, struct errbuf *why)
{
    int n = page_doc_count(tx);
    struct page_bitmap *pages = xcalloc((size_t)n, sizeof *pages);
    struct page_buf out = {NULL, 0, 0};
    int rc;

    for (int i = 0; i < n; i++)
        pages[i] = *page_doc_page(tx, i);
    rc = page_tiff_write(pages, n, fmt, &out, why);
    if (rc == 0)
        rc = page_file_write(path, out.p, out.len, true, why);
    page_buf_release(&out);
    free(pages);
    return rc;
}

int
page_cache_get(const char *jobdir, const struct page_format *want,
               struct page_format *got, char *buf, size_t n, struct errbuf *why)
{
    struct page_doc *doc = NULL, *tx = NULL;
    struct page_format f = *want;
    char name[128];
    bool known = !want->profile_s && want->coding != PAGE_CODING_NONE &&
                 want->xres > 0 && want->yres > 0 && want->width > 0;
    int rc = -1;

    if (!known) {
        if (page_cache_load(jobdir, &doc, why) == -1)
            return -1;
        page_format_resolve(doc, want, &f);
    }
    if (got != NULL)
        *got = f;
    if (page_format_filename(&f, name, sizeof name) == -1 ||
        page_cache_path(buf, n, jobdir, name, why) == -1)
        goto done;
    if (page_cache_exists(buf)) {
        rc = 0;
        goto done;
    }
    if (doc == NULL && page_cache_load(jobdir, &doc, why) == -1)
        goto done;
    if (page_doc_transform(doc, &f, &tx, why) == 0)
        rc = page_cache_store(tx, &f, buf, why);
done:
    page_doc_free(tx);
    page_doc_free(doc);
    return rc;
}

int
page_cache_pdf(const char *jobdir, char *buf, size_t n, struct errbuf *why)
{
    char src[4096], *tmp;
    int rc;

    if (page_cache_path(buf, n, jobdir, PAGE_CACHE_PDF, why) == -1 ||
        page_cache_path(src, sizeof src, jobdir, PAGE_CACHE_SOURCE, why) == -1)
        return -1;
    if (page_cache_exists(buf))
        return 0;
    tmp = xasprintf("%s.new", buf);
    rc = page_convert_pdf(src, tmp, why); /* G4 pages are not decoded */
    if (rc == 0)
        rc = page_file_commit(tmp, buf, why);
    if (rc == -1)
        (void)unlink(tmp);
    free(tmp);
    return rc;
}

/* page_jbig - T.85 encode (page_t85) and decode (jbigkit); see page_jbig.h */
#include "gateway/page/page_jbig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jbig85.h>

#include "gateway/page/page_t85.h"
#include "gateway/util/xalloc.h"

void
page_jbig_encode(const struct page_bitmap *bm, struct page_buf *out)
{
    page_t85_encode(bm, PAGE_JBIG_L0, out);
}

struct page_jbig_dec {
    struct page_bitmap *bm;
    unsigned long max_height;
    size_t cap_rows;
    int too_tall;
};

static int
page_jbig_line(const struct jbg85_dec_state *s, unsigned char *start,
               size_t len, unsigned long y, void *arg)
{
    struct page_jbig_dec *d = arg;
    struct page_bitmap *bm = d->bm;

    (void)s;
    if (y >= d->max_height || len != bm->stride) {
        d->too_tall = 1;
        return 1; /* interrupt: the caller reports it */
    }
    if (y >= d->cap_rows) {
        size_t cap = d->cap_rows ? d->cap_rows * 2 : 1024;

        while (cap <= y)
            cap *= 2;
        bm->bits = xrealloc(bm->bits, cap * bm->stride);
        d->cap_rows = cap;
    }
    memcpy(bm->bits + y * bm->stride, start, len);
    if ((int)y + 1 > bm->height)
        bm->height = (int)y + 1;
    return 0;
}

int
page_jbig_decode(const unsigned char *data, size_t len, int width,
                 int max_height, struct page_bitmap *bm, struct errbuf *why)
{
    struct jbg85_dec_state s;
    struct page_jbig_dec d = {bm, (unsigned long)max_height, 0, 0};
    unsigned char *linebuf;
    size_t cnt = 0;
    int rc;

    memset(bm, 0, sizeof *bm);
    bm->width = width;
    bm->stride = ((size_t)width + 7) / 8;
    linebuf = xmalloc(3 * bm->stride);
    jbg85_dec_init(&s, linebuf, 3 * bm->stride, page_jbig_line, &d);
    /* jbg85_dec_in takes a non-const pointer but does not write through it */
    rc = jbg85_dec_in(&s, (unsigned char *)(uintptr_t)data, len, &cnt);
    if (s.bie_len >= 20 && jbg85_dec_getwidth(&s) != (unsigned long)width) {
        errbuf_set(why, ERR_PERM, "5.6.0", "JBIG width %lu, TIFF says %d",
                   jbg85_dec_getwidth(&s), width);
        goto fail;
    }
    if (rc == JBG_EAGAIN)
        rc = jbg85_dec_end(&s); /* NEWLEN may still be pending (T.85 Cor.1) */
    if (d.too_tall) {
        errbuf_set(why, ERR_PERM, "5.6.0", "JBIG page over %d lines",
                   max_height);
        goto fail;
    }
    if (rc != JBG_EOK || bm->height == 0) {
        errbuf_set(why, ERR_PERM, "5.6.0", "JBIG: %s",
                   rc == JBG_EOK ? "no lines" : jbg85_strerror(rc));
        goto fail;
    }
    if ((unsigned long)bm->height > jbg85_dec_getheight(&s))
        bm->height = (int)jbg85_dec_getheight(&s);
    if ((unsigned long)bm->height < jbg85_dec_getheight(&s) &&
        (s.options & JBG_VLENGTH) == 0) {
        /* (jbig85.h's jbg85_dec_finalheight() misspells JBG_VLENGTH) */
        errbuf_set(why, ERR_PERM, "5.6.0", "JBIG data ends at line %d of %lu",
                   bm->height, jbg85_dec_getheight(&s));
        goto fail;
    }
    free(linebuf);
    return 0;
fail:
    free(linebuf);
    free(bm->bits);
    bm->bits = NULL;
    return -1;
}

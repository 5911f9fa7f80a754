/*
 * page_tiff - TIFF in and TIFF-FX out for the page module
 *
 * Reads every IFD of a TIFF held in memory through libtiff (MH, MR, MMR,
 * uncompressed; JBIG T.85 strips, Compression 9, through page_jbig) and
 * hands each page over as a bitmap. Writes TIFF-FX itself, in the layout of
 * RFC 3949 3.5 (II, first IFD at 8, each IFD followed by its long values
 * and its single strip), with strips coded by libtiff's codecs or jbigkit.
 * libtiff's errors go to the caller's errbuf (per-open handlers, no global
 * state). Errors: -1 with *why naming the page. Threads: any.
 */
#ifndef IFAXGW_GATEWAY_PAGE_PAGE_TIFF_H
#define IFAXGW_GATEWAY_PAGE_PAGE_TIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/page/page.h"
#include "gateway/page/page_file.h"
#include "gateway/util/errbuf.h"

/* One page as read: the bitmap (ownership passes to the handler), and the
 * page's G4 strip, MSB first, when it came as single-strip MMR (borrowed
 * for the call), else NULL. Return 0 to go on, -1 (why filled) to stop. */
typedef int (*page_tiff_page_fn)(void *arg, struct page_bitmap *bm,
                                 const unsigned char *g4, size_t g4_len,
                                 struct errbuf *why);

struct page_tiff_opts {
    size_t max_bytes;     /* bounds the pixels of all pages (bitmap bytes) */
    bool keep_g4;         /* hand over single-strip G4 data too */
    page_tiff_page_fn fn; /* called once per page, in order */
    void *arg;
    /* Decode nothing: every page must be single-strip white-is-zero G4,
     * handed over as its geometry (bm->bits NULL) and its strip; the first
     * page that is not makes page_tiff_read() return 1 (decode instead).
     * The G4 data itself is not checked: for PDF passthrough only. */
    bool g4_only;
};

/* Returns 0, -1 with why, or 1 (g4_only: a page that is not G4). */
int page_tiff_read(const unsigned char *data, size_t len,
                   const struct page_tiff_opts *opts, struct page_source *src,
                   struct errbuf *why);

/* Append bm coded as coding (MH, MR, MMR, JBIG) to out: the strip bytes.
 * lsb_first: FillOrder 2. MH/MR get byte-aligned EOLs (T4Options bit 2) and
 * no RTC; MMR ends with EOFB. */
int page_tiff_encode(const struct page_bitmap *bm, enum page_coding coding,
                     bool lsb_first, struct page_buf *out, struct errbuf *why);

/* The whole TIFF-FX file for n pages in fmt (coding and profile_s used;
 * sizes and resolutions are the pages' own) appended to out. */
int page_tiff_write(const struct page_bitmap *pages, int n,
                    const struct page_format *fmt, struct page_buf *out,
                    struct errbuf *why);

#endif

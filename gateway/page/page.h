/*
 * page - fax page images: load, transform, encode, describe
 *
 * A document is a list of 1-bit pages (MSB first, 1 = black) with their
 * resolution. It is loaded from any TIFF the inputs produce (MH, MR, MMR,
 * uncompressed, JBIG T.85 in TIFF-FX), or built from scanner bitmaps, and
 * written as TIFF-FX profile S/F/J (RFC 3949), PDF (cairo, G4 passthrough)
 * or PNG thumbnails (libpng). Transforms resample between fax grids (T.4:
 * 204~200, 98~100, 196~200, 391~400, 408~400 are one grid) and normalise
 * widths by centring, never stretching. Pages keep their length.
 * Must not: know the queue or SMTP. Files are written whole or not at all
 * (tmp + rename). Errors: -1 with *why (PERM for bad input, naming the page).
 * Threads: any; a page_doc belongs to one thread at a time.
 * The per-job cache of converted files is gateway/page/page_cache.h.
 * Standards: RFC 3949, RFC 2879/2533 (feature strings), ITU-T T.4/T.6/T.85.
 */
#ifndef IFAXGW_GATEWAY_PAGE_PAGE_H
#define IFAXGW_GATEWAY_PAGE_PAGE_H

#include <stddef.h>

#include "gateway/page/page_format.h"
#include "gateway/util/errbuf.h"

#define PAGE_MAX_PAGES  1000  /* pages in one document */
#define PAGE_MAX_WIDTH  16384 /* pixels per line; A3 at 400 dpi is 4864 */
#define PAGE_MAX_HEIGHT 65536 /* lines per page; 14 m at 400 lpi... enough */
#define PAGE_MAX_FILE   (256u << 20) /* bytes of one input file */
#define PAGE_MAX_PIXELS (1ul << 30)  /* bitmap bytes of one document */
#define PAGE_FEATURES_MAX                                                      \
    512 /* a feature collection from page_format_features */

struct page_bitmap {
    unsigned char *bits; /* height rows of stride bytes; MSB first, 1 = black;
                            padding bits past width are 0 */
    int width, height;   /* pixels */
    size_t stride;       /* bytes per row, (width + 7) / 8 */
    int xres, yres;      /* pixels per inch, as labelled */
};

/* What a document was made from: for negotiation and the status page. */
struct page_source {
    struct page_format fmt; /* coding, resolution, width, paper of page 0 */
    int pages;
    int fill_order; /* TIFF FillOrder of the input, 0 if not a TIFF */
};

struct page_doc; /* opaque */

/* An empty document. Caller frees with page_doc_free(). */
struct page_doc *page_doc_new(void);
void page_doc_free(struct page_doc *doc); /* NULL is a no-op */

/* Append a copy of a bitmap (any stride >= (width+7)/8; MSB first, 1 = black).
 * Fails on sizes past the limits or a full document. */
int page_doc_add(struct page_doc *doc, const unsigned char *bits, int width,
                 int height, size_t stride, int xres, int yres,
                 struct errbuf *why);

/* Append a copy of bm in format f (xres, yres and width all set): resampled
 * to f's grid and centred in f's width as page_doc_transform() does it, the
 * pixels untouched when only the labels differ. For inputs that normalise
 * each page on its own (gateway/intake/docimport). */
int page_doc_add_format(struct page_doc *doc, const struct page_bitmap *bm,
                        const struct page_format *f, struct errbuf *why);

/* The standard fax width (1728/2048/2432 at 8 pels/mm, 2592/3072/3648 at
 * 300, 3456/4096/4864 at 400/408) for a line of w pixels at xres, with 2 %
 * slack (a 1750-pixel line is 1728); the paper it stands for in *paper.
 * w itself for a resolution outside the fax grids. */
int page_standard_width(int w, int xres, enum page_paper *paper);

/* Load every page of a TIFF file (or of len bytes in memory). On success
 * *doc is new (caller frees); on failure *doc is NULL and why names the page.
 */
int page_doc_load(const char *path, struct page_doc **doc, struct errbuf *why);
int page_doc_load_mem(const void *data, size_t len, struct page_doc **doc,
                      struct errbuf *why);

int page_doc_count(const struct page_doc *doc);
/* Borrowed until the document changes or is freed. NULL past the end. */
const struct page_bitmap *page_doc_page(const struct page_doc *doc, int i);
/* How the document came in (for a built one: coding NONE). */
void page_doc_source(const struct page_doc *doc, struct page_source *src);

/* Resample and re-width every page for out (xres, yres, width; 0 = keep;
 * profile_s forces 204/200 x 98/196/100/200 and 1728). *dst is new. */
int page_doc_transform(const struct page_doc *src,
                       const struct page_format *out, struct page_doc **dst,
                       struct errbuf *why);

/* The format a document ends up in when transformed for want: the fields
 * that want leaves 0 filled from the source, profile S rules applied. */
void page_format_resolve(const struct page_doc *doc,
                         const struct page_format *want,
                         struct page_format *out);

/* Write the document as TIFF in fmt's coding (MH/MR/MMR/JBIG; NONE = MMR):
 * RFC 3949 layout (II, IFD at 8, IFD, its long values, the page's strip).
 * Pages must already have fmt's size (see page_doc_transform). Atomic. */
int page_doc_write_tiff(const struct page_doc *doc,
                        const struct page_format *fmt, const char *path,
                        struct errbuf *why);

/* PDF for people: each page's G4 data embedded unchanged (encoded once if
 * the page did not come as G4), page size from its x and y resolution. */
int page_doc_write_pdf(const struct page_doc *doc, const char *path,
                       struct errbuf *why);

/* The same PDF in memory: *pdf (malloc'ed, caller frees) of *len bytes. */
int page_doc_pdf_mem(const struct page_doc *doc, unsigned char **pdf,
                     size_t *len, struct errbuf *why);

/* Greyscale PNG of page i, at most max_width pixels wide, aspect kept from
 * the real resolution; pixels averaged so text stays readable. */
int page_thumbnail_png(const struct page_doc *doc, int i, int max_width,
                       const char *dst_path, struct errbuf *why);
/* The same PNG in memory: *png (malloc'ed, caller frees) of *len bytes. */
int page_thumbnail_png_mem(const struct page_doc *doc, int i, int max_width,
                           unsigned char **png, size_t *len,
                           struct errbuf *why);

/* Load, transform, write: src TIFF to dst in out's format (TIFF). */
int page_convert(const char *src_path, const struct page_format *out,
                 const char *dst_path, struct errbuf *why);
int page_convert_pdf(const char *src_path, const char *dst_path,
                     struct errbuf *why);

/* The RFC 2879 feature collection of a file in format f, e.g.
 * (& (image-file-structure=TIFF-minimal) (MRC-mode=0) (color=Binary)
 *    (image-coding=MH) (dpi=204) (dpi-xyratio=204/196) (size-x=1728/204)
 *    (paper-size=A4)), for a Content-Features header. Returns the length,
 * or -1 if n is too small (PAGE_FEATURES_MAX always suffices). */
int page_format_features(const struct page_format *f, char *buf, size_t n);

/* The file name of format f's output: "out-S-MH-204x196-1728.tif",
 * "out-F-MMR-...", "out-J-JBIG-...". -1 if n is too small. */
int page_format_filename(const struct page_format *f, char *buf, size_t n);

#endif

/*
 * page_png - greyscale PNG (libpng) for page thumbnails, and PNG images in
 *
 * Writing: 8-bit grey thumbnails. Reading (documents handed in with
 * `ifaxgw submit`): any PNG through libpng's simplified API, composited on
 * white, thresholded at half grey to one bit.
 * Errors: -1 with *why (libpng's longjmp is caught here). Threads: any.
 */
#ifndef IFAXGW_GATEWAY_PAGE_PAGE_PNG_H
#define IFAXGW_GATEWAY_PAGE_PAGE_PNG_H

#include <stddef.h>

#include "gateway/page/page.h"
#include "gateway/page/page_file.h"
#include "gateway/util/errbuf.h"

/* Grey pixels a PNG may decode to (width x height): A4 at 600 dpi is 35 M. */
#define PAGE_PNG_MAX_PIXELS (1ul << 28)

/* Append the PNG of w x h 8-bit grey pixels (row-major) to out. */
int page_png_write(const unsigned char *grey, int w, int h,
                   struct page_buf *out, struct errbuf *why);

/* Decode the PNG of len bytes into *bm (bm->bits malloc'ed, caller frees):
 * a pixel is black when darker than half grey. xres and yres come from the
 * pHYs chunk in dots per inch, 0 when it has none. Sizes past PAGE_MAX_WIDTH,
 * PAGE_MAX_HEIGHT or PAGE_PNG_MAX_PIXELS are refused before decoding. */
int page_png_read(const unsigned char *data, size_t len, struct page_bitmap *bm,
                  struct errbuf *why);

#endif

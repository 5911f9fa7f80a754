/*
 * page_png - greyscale PNG (libpng) for page thumbnails
 *
 * Errors: -1 with *why (libpng's longjmp is caught here). Threads: any.
 */
#ifndef IFAXGW_GATEWAY_PAGE_PNG_H
#define IFAXGW_GATEWAY_PAGE_PNG_H

#include "gateway/errbuf.h"
#include "gateway/page_file.h"

/* Append the PNG of w x h 8-bit grey pixels (row-major) to out. */
int page_png_write(const unsigned char *grey, int w, int h,
                   struct page_buf *out, struct errbuf *why);

#endif

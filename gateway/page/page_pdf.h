/*
 * page_pdf - PDF of fax pages for people, with cairo
 *
 * Each page becomes one image whose stream is the page's G4 (T.6) data,
 * embedded unchanged through CAIRO_MIME_TYPE_CCITT_FAX; a page without G4
 * data is coded to G4 once. The page measures width/xres by height/yres
 * inches, so 204x98 pages are not squashed; interpolation is off.
 * Errors: -1 with *why. Threads: any (cairo surfaces are per call).
 */
#ifndef IFAXGW_GATEWAY_PAGE_PAGE_PDF_H
#define IFAXGW_GATEWAY_PAGE_PAGE_PDF_H

#include <stddef.h>

#include "gateway/page/page.h"
#include "gateway/page/page_file.h"
#include "gateway/util/errbuf.h"

/* g4[i] (g4_len[i] bytes, MSB first) may be NULL: then pages[i] is coded. */
int page_pdf_write(const struct page_bitmap *pages,
                   const unsigned char *const *g4, const size_t *g4_len, int n,
                   struct page_buf *out, struct errbuf *why);

#endif

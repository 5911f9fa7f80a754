/*
 * page_jbig - JBIG T.85 (T.82 single-progression profile) for the page module
 *
 * Encodes a bitmap as one BIE in the T.85 basic settings (single layer,
 * L0 128, TPBON, MX 0; RFC 3949 5, T.85) with page_t85, which writes
 * jbigkit's jbg85 bytes faster, and decodes any T.85 BIE, including
 * VLENGTH/NEWLEN streams, with jbigkit.
 * Errors: -1 with *why (PERM for bad data). Threads: any.
 */
#ifndef IFAXGW_GATEWAY_PAGE_PAGE_JBIG_H
#define IFAXGW_GATEWAY_PAGE_PAGE_JBIG_H

#include <stddef.h>

#include "gateway/page/page.h"
#include "gateway/page/page_file.h"
#include "gateway/util/errbuf.h"

#define PAGE_JBIG_L0 128 /* T.85 basic stripe size, lines */
/* Largest AT offset: 0, the template stays put. With 127 (pbmtojbg -f)
 * jbigkit gathers AT statistics on every pixel: 25-40 % more encoding CPU
 * (a seventh of the daemon's under bench_audiosocket) for BIEs of the
 * same size on fax text and dither alike (measured on doc3.tif's pages
 * and a dithered page, 2026-12-03); every T.85 decoder reads MX = 0. */
#define PAGE_JBIG_MX 0

/* Append the BIE of bm to out. */
void page_jbig_encode(const struct page_bitmap *bm, struct page_buf *out);

/* Decode a BIE into bm (bits allocated; caller frees bm->bits). The width
 * must equal width (the TIFF's ImageWidth); the height comes from the
 * stream (NEWLEN honoured), at most max_height lines. Resolution fields are
 * left 0. */
int page_jbig_decode(const unsigned char *data, size_t len, int width,
                     int max_height, struct page_bitmap *bm,
                     struct errbuf *why);

#endif

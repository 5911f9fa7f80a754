/*
 * page_t85 - JBIG T.85 encoder for fax pages, byte for byte jbigkit's
 *
 * Writes the BIE that jbigkit's jbg85 encoder writes with the options
 * page_jbig uses (single layer, one plane, three-line template, TPBON,
 * L0 PAGE_JBIG_L0, MX 0 so no ATMOVE, no VLENGTH; T.82, T.85): the same
 * BIH, the same QM-coder states carried across stripes, an SDNORM after
 * every stripe. Why its own: on a fax page almost every pixel has the
 * all-white context, and the coder's interval shrinks by the same Qe for
 * each, so a run of them is one multiplication here instead of one coder
 * call per pixel (jbigkit), and bytes go to the buffer directly instead of
 * one callback per byte. tests/unit/gateway/page/test_t85.c and
 * tests/fuzz/fuzz_t85.c check it against jbigkit; bench_page measures it.
 *
 * Owns: nothing past the call. Callers: page_jbig. Must not: read past
 * bm's rows, or bits past its width (taken as 0, as jbigkit zeroes them).
 * Errors: none (out grows; the allocator aborts on failure).
 * Threads: any; no shared state.
 */
#ifndef IFAXGW_GATEWAY_PAGE_PAGE_T85_H
#define IFAXGW_GATEWAY_PAGE_PAGE_T85_H

#include "gateway/page/page.h"
#include "gateway/page/page_file.h"

/* Append the BIE of bm (width and height > 0) to out, with stripes of l0
 * lines (PAGE_JBIG_L0 for T.85's basic setting; 1..2^32-1). */
void page_t85_encode(const struct page_bitmap *bm, unsigned long l0,
                     struct page_buf *out);

#endif

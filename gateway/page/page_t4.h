/*
 * page_t4 - T.4 two-dimensional (MR) coding with the K-factor of the
 * resolution
 *
 * libtiff codes MR with K = 2 up to 150 lpi and 4 above; T.4 wants 8 at
 * 15.4 l/mm and 400 lpi (spandsp uses 6 at 300). This encoder takes K and
 * otherwise writes what libtiff writes: an EOL before every line, fill bits
 * so each EOL ends on a byte boundary (T4Options bit 2), the tag bit after
 * it, no RTC (RFC 3949 3.4.1, 4.5.4). Errors: none. Threads: any.
 */
#ifndef IFAXGW_GATEWAY_PAGE_PAGE_T4_H
#define IFAXGW_GATEWAY_PAGE_PAGE_T4_H

#include <stdbool.h>

#include "gateway/page/page.h"
#include "gateway/page/page_file.h"

/* K-factor for lines per inch (T.4 4.2.1.3.4): 2, 4, 6 (300) or 8. */
int page_t4_kfactor(int yres);

/* Append bm coded as MR with K-factor k (k = 1: every line 1-D) to out;
 * lsb_first: FillOrder 2. */
void page_t4_encode_mr(const struct page_bitmap *bm, int k, bool lsb_first,
                       struct page_buf *out);

#endif

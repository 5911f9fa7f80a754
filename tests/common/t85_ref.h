/*
 * t85_ref - jbigkit's JBIG T.85 encoder with page_jbig's options (TPBON,
 * MX 0, L0 as given): the reference page_t85 must match byte for byte.
 * Callers: tests/unit/gateway/page/test_t85.c, tests/fuzz/fuzz_t85.c.
 * bm is not touched (jbigkit writes into the rows it codes, so it codes
 * a copy). Errors: none (the allocator aborts). Threads: any.
 */
#ifndef IFAXGW_TESTS_COMMON_T85_REF_H
#define IFAXGW_TESTS_COMMON_T85_REF_H

#include "gateway/page/page.h"
#include "gateway/page/page_file.h"

/* Append jbigkit's BIE of bm, in stripes of l0 lines, to out. */
void t85_ref_encode(const struct page_bitmap *bm, unsigned long l0,
                    struct page_buf *out);

#endif

/* t85_ref - jbigkit's T.85 encoder as page_t85's reference; see t85_ref.h */
#include "t85_ref.h"

#include <stdlib.h>
#include <string.h>

#include <jbig85.h>

#include "gateway/util/xalloc.h"

static void
t85_ref_out(unsigned char *start, size_t len, void *arg)
{
    page_buf_append(arg, start, len);
}

void
t85_ref_encode(const struct page_bitmap *bm, unsigned long l0,
               struct page_buf *out)
{
    size_t n = (size_t)bm->height * bm->stride;
    unsigned char *c = xmalloc(n);
    struct jbg85_enc_state s;

    memcpy(c, bm->bits, n);
    jbg85_enc_init(&s, (unsigned long)bm->width, (unsigned long)bm->height,
                   t85_ref_out, out);
    jbg85_enc_options(&s, JBG_TPBON, l0, 0);
    for (int y = 0; y < bm->height; y++)
        jbg85_enc_lineout(&s, c + (size_t)y * bm->stride,
                          y > 0 ? c + (size_t)(y - 1) * bm->stride : NULL,
                          y > 1 ? c + (size_t)(y - 2) * bm->stride : NULL);
    free(c);
}

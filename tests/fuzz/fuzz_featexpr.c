/* libFuzzer target for smtp/featexpr and smtp/conneg: parser, printer
 * round trip, matcher, intersection, reply reassembly and choice */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/xalloc.h"
#include "smtp/conneg.h"
#include "smtp/featexpr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_expr(const char *text, size_t len, unsigned flags)
{
    static const char fax[] =
        "(& (image-file-structure=TIFF-minimal) (color=Binary)"
        " (| (image-coding=[MH,MR,MMR]) (& (image-coding=JBIG)"
        " (JBIG-stripe-size=128))) (dpi=[200,204]) (paper-size=A4))";
    struct errbuf why;
    size_t pos;
    struct featexpr *e = featexpr_parse(text, len, flags, &pos, &why);
    struct featexpr *f, *res = NULL;
    struct featexpr_coll c = {0};
    char *t, *t2;

    if (e == NULL) {
        if (pos > len)
            IFX_BUG("error offset %zu past input %zu", pos, len);
        return;
    }
    /* the normalised form is a fixed point */
    t = featexpr_print(e);
    f = featexpr_parse(t, strlen(t), 0, NULL, &why);
    if (f == NULL)
        IFX_BUG("printed form does not parse: %s (%s)", t, why.text);
    t2 = featexpr_print(f);
    if (strcmp(t, t2) != 0)
        IFX_BUG("print not stable: %s / %s", t, t2);
    free(t);
    free(t2);
    featexpr_free(f);

    featexpr_coll_token(&c, "image-coding", "MMR", &why);
    featexpr_coll_int(&c, "dpi", 200, &why);
    featexpr_coll_rat(&c, "dpi-xyratio", 200, 100, &why);
    if (featexpr_match(e, &c, &why) == 1 && featexpr_satisfiable(e, &why) == 0)
        IFX_BUG("a collection matches an unsatisfiable expression");
    (void)featexpr_satisfiable(e, &why);

    f = featexpr_parse(fax, strlen(fax), 0, NULL, &why);
    int r = featexpr_intersect(e, f, 64, &res, &why);
    if (r == 1 && res == NULL)
        IFX_BUG("non-empty intersection without a result");
    if (r == 1 && featexpr_eval(res, &c) == 1 &&
        !(featexpr_eval(e, &c) == 1 && featexpr_eval(f, &c) == 1))
        IFX_BUG("intersection holds where an operand does not");
    featexpr_free(res);
    featexpr_free(f);
    featexpr_free(e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct conneg_source src = {.coding = PAGE_CODING_MMR,
                                .xres = 204,
                                .yres = 196,
                                .width = 1728,
                                .paper = PAGE_PAPER_A4};
    struct conneg_choice ch;
    struct errbuf why;
    unsigned flags;
    char *text;

    if (size < 1 || size > 8192)
        return 0;
    flags = data[0] & 3u;
    fz_expr((const char *)data + 1, size - 1, flags);

    text = xstrndup((const char *)data + 1, size - 1);
    if (conneg_choose_reply(text, &src, &ch, &why) != 0)
        IFX_BUG("choose failed on a valid source");
    if (ch.fmt.width <= 0 ||
        (ch.profile != 'S' && ch.profile != 'F' && ch.profile != 'J'))
        IFX_BUG("bad choice");
    free(text);
    return 0;
}

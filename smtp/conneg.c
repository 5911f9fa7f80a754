/* conneg - choose the output for a CONNEG recipient (contract in conneg.h) */
#include "smtp/conneg.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp/featexpr.h"

#define CONNEG_PARSE_FLAGS (FEATEXPR_LENIENT_CMP | FEATEXPR_SEQ_AND)
#define CN_ALTS_MAX        6

/* A resolution grid the page module renders, with its T.4 pair label. */
struct cn_grid {
    int x, y;   /* metric label (8 pels/mm family) */
    int ix, iy; /* inch label of the same grid, or 0 */
};

/* Best first (RFC 3949 4.2.1 resolutions, pixel count descending). */
static const struct cn_grid cn_grids[] = {
    {408, 391, 400, 400}, {300, 300, 0, 0},    {204, 391, 0, 0},
    {204, 196, 200, 200}, {204, 98, 200, 100},
};

static const enum page_coding cn_codings[] = {PAGE_CODING_JBIG, PAGE_CODING_MMR,
                                              PAGE_CODING_MR, PAGE_CODING_MH};

/* RFC 2879 3 + A, RFC 2534, RFC 2913: the tags whose meaning we know. A
 * known tag we do not describe is left open (the receiver's ua-media must
 * not block us: RFC 2879 4.7); an unknown one is never true of our content. */
static const char *const cn_schema[] = {
    "size-x",
    "size-y",
    "dpi",
    "dpi-xyratio",
    "ua-media",
    "paper-size",
    "color",
    "color-levels",
    "color-space",
    "color-illuminant",
    "CIELAB-L-depth",
    "CIELAB-a-depth",
    "CIELAB-b-depth",
    "CIELAB-L-min",
    "CIELAB-L-max",
    "CIELAB-a-min",
    "CIELAB-a-max",
    "CIELAB-b-min",
    "CIELAB-b-max",
    "image-file-structure",
    "image-coding",
    "image-coding-constraint",
    "JBIG-stripe-size",
    "image-interleave",
    "color-subsampling",
    "MRC-mode",
    "MRC-max-stripe-size",
    "type",
    "pix-x",
    "pix-y",
    "grey",
    "charset",
    "language",
};

/* Placeholder value for unknown tags: a string no filter can contain
 * (RFC 2533 strings are %x20-7E), so every comparison with it is false. */
static const char cn_absent[] = "\x01unknown";

struct cn_cand {
    enum page_paper paper;
    const struct cn_grid *grid;
    enum page_coding coding;
    bool inch_first;
};

struct cn_ctx {
    const struct featexpr *caps;
    bool has_ifs, has_sizex, has_type, has_dpi, tiff_fx;
    const char *unknown[8];
    size_t nunknown;
};

const char *
conneg_outcome_name(enum conneg_outcome o)
{
    switch (o) {
    case CONNEG_CHOSEN:
        return "chosen";
    case CONNEG_FALLBACK_UNKNOWN:
        return "fallback-unknown";
    case CONNEG_FALLBACK_NOMATCH:
        return "fallback-nomatch";
    }
    return "?";
}

const char *
conneg_paper_name(enum page_paper p)
{
    static const char *const names[] = {"A4", "B4", "A3", "letter", "legal"};

    return (unsigned)p < sizeof names / sizeof names[0] ? names[p] : "?";
}

/* T.4 line width family: 215 mm (A4, letter, legal), 255 mm, 303 mm. */
static int
cn_family(enum page_paper p)
{
    return p == PAGE_PAPER_B4 ? 1 : p == PAGE_PAPER_A3 ? 2 : 0;
}

int
conneg_width_for(enum page_paper p, int xres)
{
    static const int w[3][3] = {
        {1728, 2048, 2432}, {2592, 3072, 3648}, {3456, 4096, 4864}};
    int r;

    if (xres == 200 || xres == 204)
        r = 0;
    else if (xres == 300)
        r = 1;
    else if (xres == 400 || xres == 408)
        r = 2;
    else
        return 0;
    return w[r][cn_family(p)];
}

/* Physical line width in inches as num/254 (T.4: 215, 255, 303 mm). */
static int
cn_sizex_254(enum page_paper p)
{
    static const int mm10[] = {2150, 2550, 3030};

    return mm10[cn_family(p)];
}

/* T.4 pairs to the metric member: 200->204, 400->408 (x); 100->98,
 * 200->196, 400->391 (y). */
static int
cn_norm_x(int x)
{
    return x == 200 ? 204 : x == 400 ? 408 : x;
}

static int
cn_norm_y(int y)
{
    return y == 100 ? 98 : y == 200 ? 196 : y == 400 ? 391 : y;
}

/* ---- the collection for one candidate and one labelling ---- */

struct cn_label {
    int x, y;
    const char *ifs;
    int sizex_num, sizex_den;
    const char *type;
};

static const char *
cn_coding_token(enum page_coding c)
{
    return page_coding_name(c);
}

static int
cn_build(const struct cn_ctx *cx, const struct cn_cand *cd,
         const struct cn_label *lb, struct featexpr_coll *c)
{
    struct errbuf why;

    c->n = 0;
    if (featexpr_coll_token(c, "image-file-structure", lb->ifs, &why) ||
        featexpr_coll_int(c, "MRC-mode", 0, &why) ||
        featexpr_coll_token(c, "color", "Binary", &why) ||
        featexpr_coll_token(c, "image-coding", cn_coding_token(cd->coding),
                            &why))
        return -1;
    if (cd->coding == PAGE_CODING_JBIG &&
        (featexpr_coll_token(c, "image-coding-constraint", "JBIG-T85", &why) ||
         featexpr_coll_int(c, "JBIG-stripe-size", 128, &why)))
        return -1;
    if (featexpr_coll_int(c, "dpi", lb->x, &why) ||
        featexpr_coll_rat(c, "dpi-xyratio", lb->x, lb->y, &why) ||
        featexpr_coll_rat(c, "size-x", lb->sizex_num, lb->sizex_den, &why) ||
        featexpr_coll_token(c, "paper-size", conneg_paper_name(cd->paper),
                            &why))
        return -1;
    if (lb->type != NULL && featexpr_coll_string(c, "type", lb->type, &why))
        return -1;
    for (size_t i = 0; i < cx->nunknown; i++)
        if (featexpr_coll_string(c, cx->unknown[i], cn_absent, &why))
            return -1;
    return 0;
}

static bool
cn_profile_s(const struct cn_cand *cd)
{
    return cd->coding == PAGE_CODING_MH && cd->grid->x == 204 &&
           (cd->grid->y == 98 || cd->grid->y == 196) &&
           cn_family(cd->paper) == 0;
}

/* File-structure labels for the candidate, most specific first; the RFC
 * 2531 / RFC 2879 Appendix B profile names are accepted as aliases. */
static size_t
cn_ifs_list(const struct cn_ctx *cx, const struct cn_cand *cd, const char **out)
{
    size_t n = 0;

    out[n++] = "TIFF-minimal";
    if (!cx->has_ifs)
        return n;
    out[n++] = "TIFF-limited";
    out[n++] = "TIFF";
    if (cn_profile_s(cd))
        out[n++] = "TIFF-S";
    out[n++] = cd->coding == PAGE_CODING_JBIG ? "TIFF-J" : "TIFF-F";
    return n;
}

static void
cn_features(struct conneg_choice *out, const struct cn_cand *cd,
            const struct cn_label *lb)
{
    char jbig[96] = "";

    if (cd->coding == PAGE_CODING_JBIG)
        snprintf(jbig, sizeof jbig,
                 " (image-coding-constraint=JBIG-T85)"
                 " (JBIG-stripe-size=128)");
    snprintf(out->features, sizeof out->features,
             "(& (image-file-structure=%s) (MRC-mode=0) (color=Binary)"
             " (image-coding=%s)%s (dpi=%d) (dpi-xyratio=%d/%d)"
             " (size-x=%d/%d) (paper-size=%s)%s%s%s)",
             lb->ifs, cn_coding_token(cd->coding), jbig, lb->x, lb->x, lb->y,
             lb->sizex_num, lb->sizex_den, conneg_paper_name(cd->paper),
             lb->type ? " (type=\"" : "", lb->type ? lb->type : "",
             lb->type ? "\")" : "");
}

static void
cn_fill(struct conneg_choice *out, const struct cn_cand *cd,
        const struct cn_label *lb)
{
    int gx = cd->inch_first && cd->grid->ix ? cd->grid->ix : cd->grid->x;
    int gy = cd->inch_first && cd->grid->ix ? cd->grid->iy : cd->grid->y;

    out->fmt.coding = cd->coding;
    out->fmt.xres = lb->x;
    out->fmt.yres = lb->y;
    out->fmt.width = conneg_width_for(cd->paper, lb->x);
    out->fmt.paper = cd->paper;
    out->fmt.profile_s = cn_profile_s(cd);
    out->profile = cd->coding == PAGE_CODING_JBIG ? 'J'
                   : out->fmt.profile_s           ? 'S'
                                                  : 'F';
    out->grid_xres = gx;
    out->grid_yres = gy;
    out->relabelled = gx != lb->x || gy != lb->y;
    out->file_structure = lb->ifs;
    snprintf(out->mime_type, sizeof out->mime_type, "%s",
             lb->type && strcmp(lb->type, "image/tiff-fx") == 0
                 ? "image/tiff-fx"
                 : "image/tiff; application=faxbw");
    cn_features(out, cd, lb);
}

/* Try every labelling of one candidate; 1 accepted (out filled), 0 not,
 * -1 limit. */
static int
cn_try(const struct cn_ctx *cx, const struct cn_cand *cd,
       struct conneg_choice *out, struct errbuf *why)
{
    const char *ifs[CN_ALTS_MAX], *types[2] = {NULL, NULL};
    int labels[2][2], nlab = 1, ntypes = 1;
    size_t nifs = cn_ifs_list(cx, cd, ifs);
    const struct cn_grid *g = cd->grid;

    labels[0][0] = cd->inch_first && g->ix ? g->ix : g->x;
    labels[0][1] = cd->inch_first && g->ix ? g->iy : g->y;
    if (g->ix && cx->has_dpi) { /* T.4 pair: relabel, never resample */
        labels[1][0] = cd->inch_first ? g->x : g->ix;
        labels[1][1] = cd->inch_first ? g->y : g->iy;
        nlab = 2;
    }
    if (cx->has_type) { /* RFC 3950: J may go as image/tiff-fx */
        if (cd->coding == PAGE_CODING_JBIG && cx->tiff_fx) {
            types[0] = "image/tiff-fx";
            types[1] = "image/tiff";
            ntypes = 2;
        } else {
            types[0] = "image/tiff";
        }
    }
    for (int l = 0; l < nlab; l++)
        for (int sx = 0; sx < (cx->has_sizex ? 2 : 1); sx++)
            for (size_t f = 0; f < nifs; f++)
                for (int t = 0; t < ntypes; t++) {
                    struct cn_label lb = {.x = labels[l][0],
                                          .y = labels[l][1],
                                          .ifs = ifs[f],
                                          .type = types[t]};
                    struct featexpr_coll c;
                    int r;
                    /* 1728 pels span 215 mm (T.4); some receivers write
                     * the width as pixels/dpi instead (RFC 2879 App. B) */
                    lb.sizex_num = sx ? conneg_width_for(cd->paper, lb.x)
                                      : cn_sizex_254(cd->paper);
                    lb.sizex_den = sx ? lb.x : 254;
                    if (cn_build(cx, cd, &lb, &c) == -1)
                        return 0;
                    r = featexpr_match(cx->caps, &c, why);
                    if (r != 0) {
                        if (r == 1)
                            cn_fill(out, cd, &lb);
                        return r;
                    }
                }
    return 0;
}

static void
cn_fallback(const struct conneg_source *src, struct conneg_choice *out,
            enum conneg_outcome why)
{
    static const struct cn_grid fine = {204, 196, 200, 200},
                                std = {204, 98, 200, 100};
    struct cn_cand cd = {.paper = cn_family(src->paper) == 0 ? src->paper
                                                             : PAGE_PAPER_A4,
                         .grid = cn_norm_y(src->yres) >= 196 ? &fine : &std,
                         .coding = PAGE_CODING_MH};
    struct cn_label lb = {.x = cd.grid->x,
                          .y = cd.grid->y,
                          .ifs = "TIFF-minimal",
                          .sizex_num = 2150,
                          .sizex_den = 254};

    cn_fill(out, &cd, &lb);
    out->outcome = why;
}

static void
cn_context(struct cn_ctx *cx, const struct featexpr *caps,
           struct conneg_choice *out)
{
    size_t used = 0;

    memset(cx, 0, sizeof *cx);
    cx->caps = caps;
    cx->has_ifs = featexpr_mentions(caps, "image-file-structure");
    cx->has_sizex = featexpr_mentions(caps, "size-x");
    cx->has_dpi = featexpr_mentions(caps, "dpi") ||
                  featexpr_mentions(caps, "dpi-xyratio");
    cx->has_type = featexpr_mentions(caps, "type");
    cx->tiff_fx = featexpr_mentions_value(caps, "type", "image/tiff-fx");
    for (size_t i = 0; i < featexpr_ntags(caps); i++) {
        const char *t = featexpr_tag_name(caps, i);
        size_t k;
        for (k = 0; k < sizeof cn_schema / sizeof cn_schema[0]; k++)
            if (tolower((unsigned char)cn_schema[k][0]) == t[0] &&
                strcasecmp(cn_schema[k], t) == 0)
                break;
        if (k < sizeof cn_schema / sizeof cn_schema[0] ||
            !featexpr_mentions(caps, t) ||
            cx->nunknown == sizeof cx->unknown / sizeof cx->unknown[0])
            continue;
        cx->unknown[cx->nunknown++] = t;
        int n = snprintf(out->warning + used, sizeof out->warning - used,
                         "%sunknown feature tag '%s'", used ? ", " : "", t);
        if (n > 0 && (size_t)n < sizeof out->warning - used)
            used += (size_t)n;
    }
}

static bool
cn_can_make(const struct conneg_source *src, enum page_coding c)
{
    return src->codings == 0 || (src->codings & (1u << c));
}

int
conneg_choose(const char *caps, const struct conneg_source *src,
              struct conneg_choice *out, struct errbuf *why)
{
    struct featexpr *e;
    struct cn_ctx cx;
    struct errbuf perr;
    enum page_paper papers[2];
    int npapers = 1, sx, sy;

    memset(out, 0, sizeof *out);
    if (src->xres <= 0 || src->yres <= 0 || (unsigned)src->paper > 4)
        return errbuf_set(why, ERR_PERM, "",
                          "source resolution %dx%d or "
                          "paper %d invalid",
                          src->xres, src->yres, (int)src->paper);
    if (caps == NULL) {
        cn_fallback(src, out, CONNEG_FALLBACK_UNKNOWN);
        return 0;
    }
    e = featexpr_parse(caps, strlen(caps), CONNEG_PARSE_FLAGS, &out->err_pos,
                       &perr);
    if (e == NULL) {
        cn_fallback(src, out, CONNEG_FALLBACK_UNKNOWN);
        out->parse_failed = true;
        snprintf(out->err_text, sizeof out->err_text, "%s", perr.text);
        return 0;
    }
    cn_context(&cx, e, out);
    /* fidelity first: the source's paper, then (if wider) A4 reduction */
    papers[0] = src->paper;
    if (cn_family(src->paper) != 0)
        papers[npapers++] = PAGE_PAPER_A4;
    sx = cn_norm_x(src->xres);
    sy = cn_norm_y(src->yres);
    for (int p = 0; p < npapers; p++) {
        bool any_grid = false;
        for (size_t g = 0; g < sizeof cn_grids / sizeof cn_grids[0]; g++) {
            const struct cn_grid *gr = &cn_grids[g];
            /* the highest resolution not above the source; the lowest grid
             * if the source is below all of them */
            if ((gr->x > sx || gr->y > sy) &&
                !(g + 1 == sizeof cn_grids / sizeof cn_grids[0] && !any_grid))
                continue;
            any_grid = true;
            for (size_t k = 0; k < sizeof cn_codings / sizeof cn_codings[0];
                 k++) {
                struct cn_cand cd = {.paper = papers[p],
                                     .grid = gr,
                                     .coding = cn_codings[k],
                                     .inch_first =
                                         src->xres == 200 || src->xres == 400};
                int r;
                if (!cn_can_make(src, cd.coding))
                    continue;
                out->candidates_tried++;
                r = cn_try(&cx, &cd, out, &perr);
                if (r == 1) {
                    out->outcome = CONNEG_CHOSEN;
                    featexpr_free(e);
                    return 0;
                }
                if (r == -1) { /* too costly to decide: treat as unknown */
                    snprintf(out->err_text, sizeof out->err_text, "%s",
                             perr.text);
                    featexpr_free(e);
                    cn_fallback(src, out, CONNEG_FALLBACK_UNKNOWN);
                    return 0;
                }
            }
        }
    }
    featexpr_free(e);
    cn_fallback(src, out, CONNEG_FALLBACK_NOMATCH);
    return 0;
}

int
conneg_choose_reply(const char *reply_text, const struct conneg_source *src,
                    struct conneg_choice *out, struct errbuf *why)
{
    struct conneg_caps caps;
    struct errbuf rerr;
    int r;

    r = conneg_caps_from_reply(reply_text, &caps, &rerr);
    if (r == -1) {
        conneg_choose(NULL, src, out, why);
        out->parse_failed = true;
        snprintf(out->err_text, sizeof out->err_text, "%s", rerr.text);
        return 0;
    }
    r = conneg_choose(caps.text, src, out, why);
    if (r == 0 && out->parse_failed)
        conneg_caps_where(&caps, out->err_pos, &out->err_line, &out->err_col);
    conneg_caps_release(&caps);
    return r;
}

/* ---- source descriptions: "MMR 204x196 1728 A4" ---- */

static int
cn_source_word(const char *w, struct conneg_source *src, bool *res,
               struct errbuf *why)
{
    static const char *const papers[] = {"A4", "B4", "A3", "letter", "legal"};
    int x, y, n;
    char tail;

    for (int c = PAGE_CODING_MH; c <= PAGE_CODING_JBIG; c++)
        if (strcasecmp(w, page_coding_name((enum page_coding)c)) == 0 ||
            (c == PAGE_CODING_JBIG && strcasecmp(w, "T85") == 0)) {
            src->coding = (enum page_coding)c;
            return 0;
        }
    for (int p = 0; p < 5; p++)
        if (strcasecmp(w, papers[p]) == 0) {
            src->paper = (enum page_paper)p;
            return 0;
        }
    if (sscanf(w, "%dx%d%c", &x, &y, &tail) == 2 && x > 0 && y > 0 &&
        x <= 1200 && y <= 1200) {
        src->xres = x;
        src->yres = y;
        *res = true;
        return 0;
    }
    if (sscanf(w, "%d%c", &n, &tail) == 1 && n > 0 && n <= 20000) {
        src->width = n;
        return 0;
    }
    return errbuf_set(why, ERR_PERM, "",
                      "source: '%.40s' is not a coding "
                      "(MH MR MMR JBIG), XxY resolution, width or paper "
                      "(A4 B4 A3 letter legal)",
                      w);
}

int
conneg_source_parse(const char *desc, struct conneg_source *src,
                    struct errbuf *why)
{
    char word[64];
    bool res = false;

    memset(src, 0, sizeof *src);
    src->coding = PAGE_CODING_MH;
    src->paper = PAGE_PAPER_A4;
    while (*desc != '\0') {
        size_t n = 0;
        while (*desc == ' ' || *desc == '\t' || *desc == ',')
            desc++;
        while (desc[n] != '\0' && desc[n] != ' ' && desc[n] != '\t' &&
               desc[n] != ',')
            n++;
        if (n == 0)
            break;
        if (n >= sizeof word)
            return errbuf_set(why, ERR_PERM, "", "source: word too long");
        memcpy(word, desc, n);
        word[n] = '\0';
        desc += n;
        if (cn_source_word(word, src, &res, why) == -1)
            return -1;
    }
    if (!res)
        return errbuf_set(why, ERR_PERM, "",
                          "source: no XxY resolution "
                          "(e.g. 204x196)");
    if (src->width == 0)
        src->width = conneg_width_for(src->paper, src->xres);
    return 0;
}

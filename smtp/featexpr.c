/* featexpr - RFC 2533 filters: parse, print, evaluate (contract in featexpr.h)
 *
 * The top of the module: calls featparse.c and featsolve.c, which call
 * featnode.c, never back (featexpr_int.h).
 */
#include "smtp/featexpr.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/util/xalloc.h"
#include "smtp/featexpr_int.h"

/* ---- public: parse ---- */

struct featexpr *
featexpr_parse(const char *text, size_t len, unsigned flags, size_t *err_pos,
               struct errbuf *why)
{
    return featparse_run(text, len, flags, FEATEXPR_INPUT_MAX, err_pos, why);
}


/* ---- printing ---- */

struct fx_out {
    char *buf;
    size_t len, cap;
};

static void
fx_put(struct fx_out *o, const char *s)
{
    size_t n = strlen(s);

    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2;
        o->buf = xrealloc(o->buf, o->cap);
    }
    memcpy(o->buf + o->len, s, n + 1);
    o->len += n;
}

static void
fx_print_node(struct fx_out *o, const struct featexpr *e,
              const struct fx_node *n)
{
    static const char *const ops[] = {"=", "<=", ">=", "<=", ">="};
    char vb[FEATEXPR_TAG_MAX * 2 + 64];

    if (n->kind == FX_CMP) {
        bool neg = n->op == FX_LT || n->op == FX_GT;
        featexpr_value_text(vb, sizeof vb, &n->v);
        /* '<' / '>' are printed in RFC 2533 syntax: x>v as (! (x<=v)) */
        fx_put(o, neg ? "(! (" : "(");
        fx_put(o, e->tags[n->tag].name);
        fx_put(o, ops[n->op == FX_GT ? FX_LE : n->op == FX_LT ? FX_GE : n->op]);
        fx_put(o, vb);
        fx_put(o, neg ? "))" : ")");
    } else if (n->is_set) {
        fx_put(o, "(");
        fx_put(o, e->tags[n->kids[0]->kind == FX_CMP ? n->kids[0]->tag
                                                     : n->kids[0]->kids[0]->tag]
                      .name);
        fx_put(o, "=[");
        for (size_t i = 0; i < n->nkids; i++) {
            const struct fx_node *k = n->kids[i];
            if (i > 0)
                fx_put(o, ",");
            featexpr_value_text(vb, sizeof vb,
                                k->kind == FX_CMP ? &k->v : &k->kids[0]->v);
            fx_put(o, vb);
            if (k->kind != FX_CMP) {
                featexpr_value_text(vb, sizeof vb, &k->kids[1]->v);
                fx_put(o, "..");
                fx_put(o, vb);
            }
        }
        fx_put(o, "])");
    } else if (n->kind == FX_TRUE || n->kind == FX_FALSE) {
        fx_put(o, n->kind == FX_TRUE ? "(& )" : "(| )");
    } else {
        fx_put(o, n->kind == FX_AND ? "(& " : n->kind == FX_OR ? "(| " : "(! ");
        for (size_t i = 0; i < n->nkids; i++) {
            if (i > 0)
                fx_put(o, " ");
            fx_print_node(o, e, n->kids[i]);
        }
        fx_put(o, ")");
    }
    if (n->q >= 0) {
        snprintf(vb, sizeof vb, ";q=%d.%03d", n->q / 1000, n->q % 1000);
        fx_put(o, vb);
    }
}

char *
featexpr_print(const struct featexpr *e)
{
    struct fx_out o = {0};

    fx_put(&o, "");
    fx_print_node(&o, e, e->root);
    return o.buf;
}

/* ---- queries ---- */

static bool
fx_mentions(const struct featexpr *e, const struct fx_node *n, int tag,
            const char *value)
{
    if (n->kind == FX_CMP && n->tag == tag)
        return value == NULL ||
               ((n->v.type == FEATEXPR_TOKEN || n->v.type == FEATEXPR_STRING) &&
                strcasecmp(n->v.text, value) == 0);
    for (size_t i = 0; i < n->nkids; i++)
        if (fx_mentions(e, n->kids[i], tag, value))
            return true;
    return false;
}

static int
fx_tag_index(const struct featexpr *e, const char *tag)
{
    int c0 = tolower((unsigned char)tag[0]);

    for (size_t i = 0; i < e->ntags; i++)
        if (e->tags[i].name[0] == c0 && strcasecmp(e->tags[i].name, tag) == 0)
            return (int)i;
    return -1;
}

bool
featexpr_mentions(const struct featexpr *e, const char *tag)
{
    int t = fx_tag_index(e, tag);

    /* every comparison in the final tree recorded its value kind */
    return t >= 0 && e->tags[t].ndom > 0;
}

bool
featexpr_mentions_value(const struct featexpr *e, const char *tag,
                        const char *value)
{
    int t = fx_tag_index(e, tag);

    return t >= 0 && fx_mentions(e, e->root, t, value);
}

size_t
featexpr_ntags(const struct featexpr *e)
{
    return e->ntags;
}

const char *
featexpr_tag_name(const struct featexpr *e, size_t i)
{
    return i < e->ntags ? e->tags[i].name : NULL;
}

size_t
featexpr_size(const struct featexpr *e)
{
    return e->nnodes;
}

/* ---- collections ---- */

static int
fx_coll_add(struct featexpr_coll *c, const char *tag,
            const struct featexpr_value *v, struct errbuf *why)
{
    if (c->n >= FEATEXPR_COLL_MAX)
        return errbuf_set(why, ERR_PERM, "", "collection over %d features",
                          FEATEXPR_COLL_MAX);
    c->f[c->n].tag = tag;
    c->f[c->n].v = *v;
    c->n++;
    return 0;
}

int
featexpr_coll_rat(struct featexpr_coll *c, const char *tag, int64_t num,
                  int64_t den, struct errbuf *why)
{
    struct featexpr_value v = {.type = FEATEXPR_NUMBER, .text = ""};
    int64_t g;

    if (den <= 0)
        return errbuf_set(why, ERR_PERM, "", "%s: denominator %lld", tag,
                          (long long)den);
    g = featexpr_gcd(num, den);
    v.num = num / g;
    v.den = den / g;
    return fx_coll_add(c, tag, &v, why);
}

int
featexpr_coll_int(struct featexpr_coll *c, const char *tag, int64_t n,
                  struct errbuf *why)
{
    return featexpr_coll_rat(c, tag, n, 1, why);
}

int
featexpr_coll_token(struct featexpr_coll *c, const char *tag, const char *token,
                    struct errbuf *why)
{
    struct featexpr_value v = {.type = FEATEXPR_TOKEN, .text = token};

    return fx_coll_add(c, tag, &v, why);
}

int
featexpr_coll_string(struct featexpr_coll *c, const char *tag, const char *s,
                     struct errbuf *why)
{
    struct featexpr_value v = {.type = FEATEXPR_STRING, .text = s};

    return fx_coll_add(c, tag, &v, why);
}

int
featexpr_coll_bool(struct featexpr_coll *c, const char *tag, bool b,
                   struct errbuf *why)
{
    struct featexpr_value v = {.type = FEATEXPR_BOOL, .b = b};

    return fx_coll_add(c, tag, &v, why);
}

/* ---- evaluation ---- */

static bool
fx_eval(const struct featexpr *e, const struct fx_node *n,
        const struct featexpr_value *const *vals)
{
    int r;

    switch (n->kind) {
    case FX_AND:
        for (size_t i = 0; i < n->nkids; i++)
            if (!fx_eval(e, n->kids[i], vals))
                return false;
        return true;
    case FX_OR:
        for (size_t i = 0; i < n->nkids; i++)
            if (fx_eval(e, n->kids[i], vals))
                return true;
        return false;
    case FX_NOT:
        return !fx_eval(e, n->kids[0], vals);
    case FX_TRUE:
        return true;
    case FX_CMP:
        if (vals[n->tag] == NULL)
            return false;
        r = featexpr_cmp(vals[n->tag], &n->v);
        switch (n->op) {
        case FX_EQ:
            return r == 0;
        case FX_LE:
            return r == 0 || r == -1;
        case FX_GE:
            return r == 0 || r == 1;
        case FX_LT: /* !(x>=v) */
            return !(r == 0 || r == 1);
        case FX_GT:
            return !(r == 0 || r == -1);
        }
        return false;
    default:
        return false;
    }
}

int
featexpr_eval(const struct featexpr *e, const struct featexpr_coll *c)
{
    const struct featexpr_value *stackv[64], **vals = stackv;
    int r;

    if (e->ntags > 64)
        vals = xcalloc(e->ntags, sizeof *vals);
    else
        memset(stackv, 0, sizeof stackv);
    for (size_t i = 0; i < c->n; i++) {
        int t = fx_tag_index(e, c->f[i].tag);
        if (t >= 0)
            vals[t] = &c->f[i].v;
    }
    r = fx_eval(e, e->root, vals);
    if (vals != stackv)
        free(vals);
    return r;
}

/* ---- satisfiability (search itself in featsolve.c) ---- */

int
featexpr_match(const struct featexpr *e, const struct featexpr_coll *c,
               struct errbuf *why)
{
    return featsolve_run(e, c, 1, NULL, NULL, why);
}

int
featexpr_satisfiable(const struct featexpr *e, struct errbuf *why)
{
    return featsolve_run(e, NULL, 1, NULL, NULL, why);
}

int
featexpr_intersect(const struct featexpr *a, const struct featexpr *b,
                   size_t max_conj, struct featexpr **out, struct errbuf *why)
{
    char *ta = featexpr_print(a), *tb = b ? featexpr_print(b) : NULL;
    char *both = tb ? xasprintf("(& %s %s)", ta, tb) : xstrdup(ta);
    struct featexpr *ab;
    char *text = NULL;
    size_t nsurv = 0;
    int r;

    *out = NULL;
    free(ta);
    free(tb);
    ab = featparse_run(both, strlen(both), 0, 2 * FEATEXPR_INPUT_MAX + 16, NULL,
                       why);
    free(both);
    if (ab == NULL)
        return -1;
    if (max_conj == 0)
        max_conj = FEATEXPR_DNF_MAX;
    r = featsolve_run(ab, NULL, max_conj, &text, &nsurv, why);
    featexpr_free(ab);
    if (r == 1) {
        *out = featparse_run(text, strlen(text), 0, SIZE_MAX, NULL, why);
        if (*out == NULL) {
            errbuf_prefix(why, "intersection result");
            r = -1;
        }
    }
    free(text);
    return r;
}

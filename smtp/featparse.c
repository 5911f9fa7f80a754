/* featparse - the RFC 2533 / RFC 2738 parser behind featexpr_parse()
 * (contract in featexpr.h; parsed form in featexpr_int.h). Recursive
 * descent, depth bounded by FEATEXPR_DEPTH_MAX; builds the tree as written
 * (sets marked, named predicates expanded) and its negation normal form. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/util/xalloc.h"
#include "smtp/featexpr_int.h"

#define FX_NUM_DIGITS  18 /* digits in one integer: fits int64 */
#define FX_SUBST_DEPTH 16 /* named predicates calling named predicates */
#define FX_ARGS_MAX    16 /* parameters of one named predicate */

struct fx_def {
    const char *name;
    size_t nparams;
    const char **params;
    struct fx_node *body;
    struct fx_def *next;
};

struct fx_parser {
    const char *s;
    size_t len, pos;
    unsigned flags;
    int depth;
    struct featexpr *e;
    bool failed;
    size_t ncalls; /* ext-pred invocations seen */
    size_t err_pos;
    char err[160];
};

static char *
fx_strndup(struct featexpr *e, const char *s, size_t n, bool lower)
{
    char *p = featexpr_alloc(e, n + 1);

    for (size_t i = 0; i < n; i++)
        p[i] = lower ? (char)tolower((unsigned char)s[i]) : s[i];
    p[n] = '\0';
    return p;
}

/* ---- parser helpers ---- */

static bool fx_fail(struct fx_parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool
fx_fail(struct fx_parser *p, size_t pos, const char *fmt, ...)
{
    va_list ap;

    if (p->failed)
        return false;
    p->failed = true;
    p->err_pos = pos;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof p->err, fmt, ap);
    va_end(ap);
    return false;
}

/* What stands at pos, for messages: a printable char or "end of input". */
static const char *
fx_here(const struct fx_parser *p, char *buf, size_t size)
{
    unsigned char c;

    if (p->pos >= p->len)
        return "end of input";
    c = (unsigned char)p->s[p->pos];
    if (c >= 0x21 && c < 0x7f && c != '\'')
        snprintf(buf, size, "'%c'", c);
    else
        snprintf(buf, size, "byte 0x%02x", c);
    return buf;
}

static void
fx_ws(struct fx_parser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                               p->s[p->pos] == '\r' || p->s[p->pos] == '\n'))
        p->pos++;
}

static int
fx_peek(struct fx_parser *p)
{
    fx_ws(p);
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static bool
fx_expect(struct fx_parser *p, char c, const char *what)
{
    char b[16];

    if (fx_peek(p) != (unsigned char)c)
        return fx_fail(p, p->pos, "expected '%c' %s, found %s", c, what,
                       fx_here(p, b, sizeof b));
    p->pos++;
    return true;
}

static struct fx_node *
fx_new(struct fx_parser *p, enum fx_kind kind, size_t pos)
{
    struct fx_node *n;

    if (p->e->nnodes >= FEATEXPR_NODES_MAX) {
        fx_fail(p, pos, "expression too large (over %d nodes)",
                FEATEXPR_NODES_MAX);
        return NULL;
    }
    p->e->nnodes++;
    n = featexpr_alloc(p->e, sizeof *n);
    n->kind = kind;
    n->pos = pos;
    n->q = -1;
    return n;
}

/* RFC 2506 2.2 tag characters; plain ASCII tests, no locale */
static bool
fx_is_tagchar(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == ':' || c == '/' || c == '.' ||
           c == '-' || c == '%';
}

/* RFC 2506 2.2 ftag; case-insensitive, so interned lower case. */
static int
fx_tag(struct fx_parser *p)
{
    struct featexpr *e = p->e;
    size_t start, n;
    char b[16];

    if (fx_peek(p) < 0 || !isalpha(fx_peek(p))) {
        fx_fail(p, p->pos, "expected a feature tag, found %s",
                fx_here(p, b, sizeof b));
        return -1;
    }
    start = p->pos;
    while (p->pos < p->len && fx_is_tagchar((unsigned char)p->s[p->pos]))
        p->pos++;
    /* "a..b" is not a tag: a tag never ends in '.' before '.' */
    n = p->pos - start;
    if (n > FEATEXPR_TAG_MAX) {
        fx_fail(p, start, "feature tag over %d characters", FEATEXPR_TAG_MAX);
        return -1;
    }
    for (size_t i = 0; i < e->ntags; i++)
        if (e->tags[i].len == n &&
            e->tags[i].name[0] == tolower((unsigned char)p->s[start]) &&
            strncasecmp(e->tags[i].name, p->s + start, n) == 0)
            return (int)i;
    if (e->ntags == e->tagcap) {
        e->tagcap = e->tagcap ? 2 * e->tagcap : 16;
        e->tags = xrealloc(e->tags, e->tagcap * sizeof *e->tags);
    }
    memset(&e->tags[e->ntags], 0, sizeof e->tags[0]);
    e->tags[e->ntags].name = fx_strndup(e, p->s + start, n, true);
    e->tags[e->ntags].len = n;
    return (int)e->ntags++;
}

static bool
fx_digits(struct fx_parser *p, int64_t *out)
{
    size_t start = p->pos;
    int64_t v = 0;

    while (p->pos < p->len && isdigit((unsigned char)p->s[p->pos])) {
        if (p->pos - start >= FX_NUM_DIGITS)
            return fx_fail(p, start, "number over %d digits", FX_NUM_DIGITS);
        v = v * 10 + (p->s[p->pos] - '0');
        p->pos++;
    }
    if (p->pos == start) {
        char b[16];
        return fx_fail(p, p->pos, "expected digits, found %s",
                       fx_here(p, b, sizeof b));
    }
    *out = v;
    return true;
}

/* integer / rational [unit]; sign only in front (RFC 2533 4.1). */
static bool
fx_number(struct fx_parser *p, struct featexpr_value *v)
{
    int64_t num, den = 1, g;
    bool neg = false;
    size_t start = p->pos;

    if (p->s[p->pos] == '+' || p->s[p->pos] == '-') {
        neg = p->s[p->pos] == '-';
        p->pos++;
    }
    if (!fx_digits(p, &num))
        return false;
    if (p->pos + 1 < p->len && p->s[p->pos] == '/') {
        p->pos++;
        if (!fx_digits(p, &den))
            return false;
        if (den == 0)
            return fx_fail(p, start, "rational with zero denominator");
    }
    g = featexpr_gcd(num, den);
    v->type = FEATEXPR_NUMBER;
    v->num = (neg ? -num : num) / g;
    v->den = den / g;
    v->text = "";
    /* RFC 2533 6.2 units: number *WSP token */
    size_t save = p->pos;
    fx_ws(p);
    if (p->pos < p->len && isalpha((unsigned char)p->s[p->pos])) {
        size_t us = p->pos;
        while (p->pos < p->len &&
               (isalnum((unsigned char)p->s[p->pos]) || p->s[p->pos] == '-'))
            p->pos++;
        if (p->pos - us > FEATEXPR_STRING_MAX)
            return fx_fail(p, us, "unit over %d characters",
                           FEATEXPR_STRING_MAX);
        v->text = fx_strndup(p->e, p->s + us, p->pos - us, true);
    } else {
        p->pos = save;
    }
    return true;
}

static bool
fx_value(struct fx_parser *p, struct featexpr_value *v)
{
    int c = fx_peek(p);
    size_t start = p->pos;
    char b[16];

    memset(v, 0, sizeof *v);
    if (c == '"') {
        p->pos++;
        while (p->pos < p->len && p->s[p->pos] != '"') {
            unsigned char ch = (unsigned char)p->s[p->pos];
            if (ch < 0x20 || ch > 0x7e)
                return fx_fail(p, p->pos, "byte 0x%02x inside a string", ch);
            p->pos++;
        }
        if (p->pos >= p->len)
            return fx_fail(p, start, "unterminated string");
        if (p->pos - start - 1 > FEATEXPR_STRING_MAX)
            return fx_fail(p, start, "string over %d characters",
                           FEATEXPR_STRING_MAX);
        v->type = FEATEXPR_STRING;
        v->text = fx_strndup(p->e, p->s + start + 1, p->pos - start - 1, false);
        p->pos++;
        return true;
    }
    if (c == '+' || c == '-' || (c >= 0 && isdigit(c)))
        return fx_number(p, v);
    if (c < 0 || !isalpha(c))
        return fx_fail(p, p->pos, "expected a value, found %s",
                       fx_here(p, b, sizeof b));
    while (p->pos < p->len &&
           (isalnum((unsigned char)p->s[p->pos]) || p->s[p->pos] == '-'))
        p->pos++;
    if (p->pos - start > FEATEXPR_TAG_MAX)
        return fx_fail(p, start, "token over %d characters", FEATEXPR_TAG_MAX);
    if ((p->pos - start == 4 && strncasecmp(p->s + start, "TRUE", 4) == 0) ||
        (p->pos - start == 5 && strncasecmp(p->s + start, "FALSE", 5) == 0)) {
        v->type = FEATEXPR_BOOL;
        v->b = p->pos - start == 4;
        return true;
    }
    v->type = FEATEXPR_TOKEN;
    v->text = fx_strndup(p->e, p->s + start, p->pos - start, false);
    return true;
}

static struct fx_node *
fx_cmp_node(struct fx_parser *p, int tag, enum fx_op op,
            const struct featexpr_value *v, size_t pos)
{
    struct fx_node *n = fx_new(p, FX_CMP, pos);

    if (n == NULL)
        return NULL;
    n->tag = tag;
    n->op = op;
    n->v = *v;
    return n;
}

static struct fx_node *
fx_list_node(struct fx_parser *p, enum fx_kind kind, struct fx_node **kids,
             size_t nkids, size_t pos)
{
    struct fx_node *n = fx_new(p, kind, pos);

    if (n == NULL)
        return NULL;
    n->nkids = nkids;
    n->kids = featexpr_alloc(p->e, nkids * sizeof *kids);
    memcpy(n->kids, kids, nkids * sizeof *kids);
    return n;
}

/* One set entry: value or range (RFC 2738 2). */
static struct fx_node *
fx_setentry(struct fx_parser *p, int tag)
{
    struct featexpr_value lo, hi;
    size_t pos = p->pos;
    struct fx_node *k[2], *n;

    if (!fx_value(p, &lo))
        return NULL;
    fx_ws(p);
    if (p->pos + 1 < p->len && p->s[p->pos] == '.' && p->s[p->pos + 1] == '.') {
        p->pos += 2;
        fx_ws(p);
        if (!fx_value(p, &hi))
            return NULL;
        if ((k[0] = fx_cmp_node(p, tag, FX_GE, &lo, pos)) == NULL ||
            (k[1] = fx_cmp_node(p, tag, FX_LE, &hi, pos)) == NULL)
            return NULL;
        if ((n = fx_list_node(p, FX_AND, k, 2, pos)) != NULL)
            n->is_range = true;
        return n;
    }
    return fx_cmp_node(p, tag, FX_EQ, &lo, pos);
}

static struct fx_node *
fx_set(struct fx_parser *p, int tag, size_t pos)
{
    struct fx_node *kids[64], **all = kids, *n;
    size_t nk = 0, cap = 64;

    p->pos++; /* '[' */
    for (;;) {
        struct fx_node *k = fx_setentry(p, tag);
        if (k == NULL)
            goto fail;
        if (nk == cap) {
            cap *= 2;
            if (all == kids) {
                all = xmalloc(cap * sizeof *all);
                memcpy(all, kids, sizeof kids);
            } else {
                all = xrealloc(all, cap * sizeof *all);
            }
        }
        all[nk++] = k;
        int c = fx_peek(p);
        if (c == ',') {
            p->pos++;
            continue;
        }
        if (c == ']') {
            p->pos++;
            break;
        }
        char b[16];
        fx_fail(p, p->pos, "expected ',' or ']' in a set, found %s",
                fx_here(p, b, sizeof b));
        goto fail;
    }
    n = fx_list_node(p, FX_OR, all, nk, pos);
    if (n != NULL)
        n->is_set = true;
    if (all != kids)
        free(all);
    return n;
fail:
    if (all != kids)
        free(all);
    return NULL;
}

/* item after "(": simple / set / ext-pred invocation */
static struct fx_node *
fx_item(struct fx_parser *p)
{
    size_t pos = p->pos;
    int tag = fx_tag(p);
    struct featexpr_value v;
    enum fx_op op;
    int c;

    if (tag < 0)
        return NULL;
    c = fx_peek(p);
    if (c == '=') {
        p->pos++;
        if (fx_peek(p) == '[')
            return fx_set(p, tag, pos);
        op = FX_EQ;
    } else if ((c == '<' || c == '>') && p->pos + 1 < p->len &&
               p->s[p->pos + 1] == '=') {
        op = c == '<' ? FX_LE : FX_GE;
        p->pos += 2;
    } else if (c == '<' || c == '>') {
        /* RFC 2879 A.11 prints (JBIG-stripe-size>0): not RFC 2533 syntax */
        if (!(p->flags & FEATEXPR_LENIENT_CMP)) {
            fx_fail(p, p->pos, "'%c' is not an operator (use '%c=')", c, c);
            return NULL;
        }
        op = c == '<' ? FX_LT : FX_GT;
        p->pos++;
    } else {
        /* ext-pred: fname *param, resolved by an enclosing where/end */
        struct fx_node *n = fx_new(p, FX_CALL, pos);
        struct featexpr_value args[FX_ARGS_MAX];
        if (n == NULL)
            return NULL;
        p->ncalls++;
        n->name = p->e->tags[tag].name;
        while ((c = fx_peek(p)) >= 0 && c != ')' && c != ';') {
            if (n->nargs == FX_ARGS_MAX) {
                fx_fail(p, p->pos, "over %d predicate parameters", FX_ARGS_MAX);
                return NULL;
            }
            if (!fx_value(p, &args[n->nargs]))
                return NULL;
            n->nargs++;
        }
        n->args = featexpr_alloc(p->e, (n->nargs + 1) * sizeof *args);
        memcpy(n->args, args, n->nargs * sizeof *args);
        return n;
    }
    if (!fx_value(p, &v))
        return NULL;
    return fx_cmp_node(p, tag, op, &v, pos);
}

static struct fx_node *fx_filter(struct fx_parser *p);

static struct fx_node *
fx_list(struct fx_parser *p, enum fx_kind kind, size_t pos)
{
    struct fx_node *kids[64], **all = kids, *n = NULL;
    size_t nk = 0, cap = 64;

    while (fx_peek(p) == '(') {
        struct fx_node *k = fx_filter(p);
        if (k == NULL)
            goto out;
        if (nk == cap) {
            cap *= 2;
            if (all == kids) {
                all = xmalloc(cap * sizeof *all);
                memcpy(all, kids, sizeof kids);
            } else {
                all = xrealloc(all, cap * sizeof *all);
            }
        }
        all[nk++] = k;
    }
    if (nk == 0) {
        char b[16];
        fx_fail(p, p->pos,
                "expected '(' starting a filter after '%c', "
                "found %s",
                kind == FX_AND ? '&' : '|', fx_here(p, b, sizeof b));
        goto out;
    }
    n = fx_list_node(p, kind, all, nk, pos);
out:
    if (all != kids)
        free(all);
    return n;
}

/* RFC 2533 4.1 / RFC 2738: ";q=0.5" etc. q kept, other parameters checked
 * for syntax and dropped. */
static bool
fx_params(struct fx_parser *p, struct fx_node *n)
{
    while (fx_peek(p) == ';') {
        size_t start;
        p->pos++;
        fx_ws(p);
        start = p->pos;
        while (p->pos < p->len &&
               (isalnum((unsigned char)p->s[p->pos]) || p->s[p->pos] == '-'))
            p->pos++;
        if (p->pos == start || !isalpha((unsigned char)p->s[start]))
            return fx_fail(p, start, "expected a parameter name after ';'");
        bool isq =
            p->pos - start == 1 && tolower((unsigned char)p->s[start]) == 'q';
        if (!fx_expect(p, '=', "after a parameter name"))
            return false;
        fx_ws(p);
        if (isq) {
            size_t qs = p->pos;
            int q = 0, scale = 1000, nd = 0;
            char first = p->pos < p->len ? p->s[p->pos] : 0;
            if (first != '0' && first != '1')
                return fx_fail(p, qs, "q-value must be 0..1");
            q = (first - '0') * 1000;
            p->pos++;
            if (p->pos < p->len && p->s[p->pos] == '.') {
                p->pos++;
                while (p->pos < p->len &&
                       isdigit((unsigned char)p->s[p->pos])) {
                    if (++nd > 3)
                        return fx_fail(p, qs, "q-value over 3 decimals");
                    scale /= 10;
                    q += (p->s[p->pos] - '0') * scale;
                    p->pos++;
                }
            }
            if (q > 1000)
                return fx_fail(p, qs, "q-value above 1");
            n->q = q;
        } else {
            struct featexpr_value v;
            if (!fx_value(p, &v))
                return false;
        }
    }
    return true;
}

static bool fx_where(struct fx_parser *p, struct fx_node **root);

static struct fx_node *
fx_filter(struct fx_parser *p)
{
    size_t pos;
    struct fx_node *n;
    int c;

    if (!fx_expect(p, '(', "starting a filter"))
        return NULL;
    pos = p->pos - 1;
    if (++p->depth > FEATEXPR_DEPTH_MAX) {
        fx_fail(p, pos, "nesting deeper than %d", FEATEXPR_DEPTH_MAX);
        return NULL;
    }
    c = fx_peek(p);
    if (c == '&' || c == '|') {
        p->pos++;
        n = fx_list(p, c == '&' ? FX_AND : FX_OR, pos);
    } else if (c == '!') {
        p->pos++;
        struct fx_node *k = fx_filter(p);
        n = k ? fx_list_node(p, FX_NOT, &k, 1, pos) : NULL;
    } else {
        n = fx_item(p);
    }
    if (n == NULL || !fx_params(p, n))
        return NULL;
    if (!fx_expect(p, ')', "closing the filter"))
        return NULL;
    p->depth--;
    if (!fx_params(p, n))
        return NULL;
    /* RFC 2533 6.1: filter "where" 1*named-pred "end" */
    size_t save = p->pos;
    fx_ws(p);
    if (p->len - p->pos >= 5 && strncasecmp(p->s + p->pos, "where", 5) == 0 &&
        (p->pos + 5 == p->len ||
         !fx_is_tagchar((unsigned char)p->s[p->pos + 5]))) {
        p->pos += 5;
        if (!fx_where(p, &n))
            return NULL;
    } else {
        p->pos = save;
    }
    return n;
}

/* ---- named predicates (RFC 2533 6.1) ---- */

static struct fx_node *fx_subst(struct fx_parser *p, struct fx_node *n,
                                const struct fx_def *defs,
                                const struct fx_def *self,
                                const struct featexpr_value *args, int depth);

static struct fx_node *
fx_call(struct fx_parser *p, struct fx_node *n, const struct fx_def *defs,
        int depth)
{
    const struct fx_def *d;

    for (d = defs; d != NULL; d = d->next)
        if (strcasecmp(d->name, n->name) == 0)
            break;
    if (d == NULL)
        return n; /* an outer where may define it */
    if (d->nparams != n->nargs) {
        fx_fail(p, n->pos, "predicate %s takes %zu parameters, given %zu",
                d->name, d->nparams, n->nargs);
        return NULL;
    }
    if (depth >= FX_SUBST_DEPTH) {
        fx_fail(p, n->pos,
                "named predicates nested deeper than %d "
                "(recursion?)",
                FX_SUBST_DEPTH);
        return NULL;
    }
    return fx_subst(p, d->body, defs, d, n->args, depth + 1);
}

/* Copy body with parameters replaced (self: the predicate being expanded,
 * args its actual values) and calls expanded. */
static struct fx_node *
fx_subst(struct fx_parser *p, struct fx_node *n, const struct fx_def *defs,
         const struct fx_def *self, const struct featexpr_value *args,
         int depth)
{
    struct fx_node *c;

    if (p->failed)
        return NULL;
    if (n->kind == FX_CALL)
        return fx_call(p, n, defs, depth);
    if ((c = fx_new(p, n->kind, n->pos)) == NULL)
        return NULL;
    *c = *n;
    if (n->kind == FX_CMP && self != NULL && n->v.type == FEATEXPR_TOKEN) {
        for (size_t i = 0; i < self->nparams; i++)
            if (strcasecmp(self->params[i], n->v.text) == 0)
                c->v = args[i];
    }
    if (n->nkids > 0) {
        c->kids = featexpr_alloc(p->e, n->nkids * sizeof *c->kids);
        for (size_t i = 0; i < n->nkids; i++)
            if ((c->kids[i] =
                     fx_subst(p, n->kids[i], defs, self, args, depth)) == NULL)
                return NULL;
    }
    return c;
}

static bool
fx_where(struct fx_parser *p, struct fx_node **root)
{
    struct fx_def *defs = NULL, **tail = &defs;

    while (fx_peek(p) == '(') {
        struct fx_def *d = featexpr_alloc(p->e, sizeof *d);
        const char *params[FX_ARGS_MAX];
        size_t ps = p->pos++;
        int tag = fx_tag(p);
        if (tag < 0)
            return false;
        d->name = p->e->tags[tag].name;
        while (fx_peek(p) >= 0 && isalpha(fx_peek(p))) {
            size_t s = p->pos;
            if (d->nparams == FX_ARGS_MAX)
                return fx_fail(p, s, "over %d predicate parameters",
                               FX_ARGS_MAX);
            while (p->pos < p->len && (isalnum((unsigned char)p->s[p->pos]) ||
                                       p->s[p->pos] == '-'))
                p->pos++;
            params[d->nparams++] =
                fx_strndup(p->e, p->s + s, p->pos - s, false);
        }
        d->params = featexpr_alloc(p->e, (d->nparams + 1) * sizeof *params);
        memcpy(d->params, params, d->nparams * sizeof *params);
        if (!fx_expect(p, ')', "closing the predicate name"))
            return false;
        fx_ws(p);
        if (p->len - p->pos < 2 || p->s[p->pos] != ':' ||
            p->s[p->pos + 1] != '-')
            return fx_fail(p, p->pos,
                           "expected ':-' after predicate %s "
                           "(opened at offset %zu)",
                           d->name, ps);
        p->pos += 2;
        if ((d->body = fx_filter(p)) == NULL)
            return false;
        *tail = d;
        tail = &d->next;
    }
    fx_ws(p);
    if (defs == NULL)
        return fx_fail(p, p->pos, "expected a named predicate after 'where'");
    if (p->len - p->pos < 3 || strncasecmp(p->s + p->pos, "end", 3) != 0 ||
        (p->pos + 3 < p->len && fx_is_tagchar((unsigned char)p->s[p->pos + 3])))
        return fx_fail(p, p->pos, "expected 'end' closing 'where'");
    p->pos += 3;
    *root = fx_subst(p, *root, defs, NULL, NULL, 0);
    return *root != NULL;
}

static const struct fx_node *
fx_find_call(const struct fx_node *n)
{
    if (n->kind == FX_CALL)
        return n;
    for (size_t i = 0; i < n->nkids; i++) {
        const struct fx_node *c = fx_find_call(n->kids[i]);
        if (c != NULL)
            return c;
    }
    return NULL;
}

/* ---- negation normal form (RFC 2533 5.4, 5.5) ---- */

static struct fx_node *
fx_lit(struct featexpr *e, const struct fx_node *src, enum fx_lit lit)
{
    struct fx_node *n = featexpr_alloc(e, sizeof *n);

    n->kind = FX_CMP;
    n->tag = src->tag;
    n->v = src->v;
    n->lit = lit;
    n->pos = src->pos;
    return n;
}

static struct fx_node *
fx_pair(struct featexpr *e, enum fx_kind kind, struct fx_node *a,
        struct fx_node *b)
{
    struct fx_node *n = featexpr_alloc(e, sizeof *n);

    n->kind = kind;
    n->nkids = 2;
    n->kids = featexpr_alloc(e, 2 * sizeof *n->kids);
    n->kids[0] = a;
    n->kids[1] = b;
    return n;
}

static struct fx_node *
fx_nnf(struct featexpr *e, const struct fx_node *n, bool neg)
{
    struct fx_node *c;

    switch (n->kind) {
    case FX_NOT:
        return fx_nnf(e, n->kids[0], !neg);
    case FX_AND:
    case FX_OR:
        c = featexpr_alloc(e, sizeof *c);
        c->kind = (n->kind == FX_AND) != neg ? FX_AND : FX_OR;
        c->nkids = n->nkids;
        c->kids = featexpr_alloc(e, n->nkids * sizeof *c->kids);
        for (size_t i = 0; i < n->nkids; i++)
            c->kids[i] = fx_nnf(e, n->kids[i], neg);
        return c;
    case FX_CMP:
        switch (n->op) {
        case FX_EQ:
            return neg ? fx_pair(e, FX_OR, fx_lit(e, n, FX_LIT_NL),
                                 fx_lit(e, n, FX_LIT_NG))
                       : fx_pair(e, FX_AND, fx_lit(e, n, FX_LIT_LE),
                                 fx_lit(e, n, FX_LIT_GE));
        case FX_LE:
            return fx_lit(e, n, neg ? FX_LIT_NL : FX_LIT_LE);
        case FX_GE:
            return fx_lit(e, n, neg ? FX_LIT_NG : FX_LIT_GE);
        case FX_GT: /* x>v == !(x<=v) */
            return fx_lit(e, n, neg ? FX_LIT_LE : FX_LIT_NL);
        case FX_LT:
            return fx_lit(e, n, neg ? FX_LIT_GE : FX_LIT_NG);
        }
        break;
    default:
        break;
    }
    c = featexpr_alloc(e, sizeof *c);
    c->kind = (n->kind == FX_TRUE) != neg ? FX_TRUE : FX_FALSE;
    return c;
}

static void
fx_note_domains(struct featexpr *e, const struct fx_node *n)
{
    if (n->kind == FX_CMP) {
        struct fx_tag *t = &e->tags[n->tag];
        struct featexpr_value d = {.type = n->v.type, .text = n->v.text};
        for (size_t i = 0; i < t->ndom; i++) {
            struct featexpr_value o = {.type = t->dom[i].type,
                                       .text = t->dom[i].unit};
            if (featexpr_same_domain(&d, &o))
                return;
        }
        if (t->ndom < FEATEXPR_DOMAINS_MAX) {
            t->dom[t->ndom].type = n->v.type;
            t->dom[t->ndom].unit =
                n->v.type == FEATEXPR_NUMBER ? n->v.text : NULL;
            t->ndom++;
        }
    }
    for (size_t i = 0; i < n->nkids; i++)
        fx_note_domains(e, n->kids[i]);
}

struct featexpr *
featparse_run(const char *text, size_t len, unsigned flags, size_t input_max,
              size_t *err_pos, struct errbuf *why)
{
    struct fx_parser p = {.s = text, .len = len, .flags = flags};
    struct fx_node *kids[2];
    const struct fx_node *call;

    if (err_pos != NULL)
        *err_pos = 0;
    if (len > input_max) {
        errbuf_set(why, ERR_PERM, "",
                   "expression of %zu bytes is over the "
                   "%zu-byte limit",
                   len, input_max);
        return NULL;
    }
    const char *nul = memchr(text, '\0', len);
    if (nul != NULL) {
        size_t i = (size_t)(nul - text);
        if (err_pos != NULL)
            *err_pos = i;
        errbuf_set(why, ERR_PERM, "", "offset %zu: NUL byte", i);
        return NULL;
    }
    p.e = xcalloc(1, sizeof *p.e);
    p.e->root = fx_filter(&p);
    while (!p.failed && (flags & FEATEXPR_SEQ_AND) && fx_peek(&p) == '(') {
        struct fx_node *n = fx_filter(&p);
        kids[0] = p.e->root;
        kids[1] = n;
        if (n != NULL)
            p.e->root = fx_list_node(&p, FX_AND, kids, 2, 0);
    }
    if (!p.failed && fx_peek(&p) >= 0) {
        char b[16];
        fx_fail(&p, p.pos, "unexpected %s after the end of the filter",
                fx_here(&p, b, sizeof b));
    }
    if (!p.failed && p.ncalls > 0 && (call = fx_find_call(p.e->root)) != NULL)
        fx_fail(&p, call->pos,
                "unknown predicate '%s' (no where/end "
                "defines it)",
                call->name);
    if (p.failed) {
        if (err_pos != NULL)
            *err_pos = p.err_pos;
        errbuf_set(why, ERR_PERM, "", "offset %zu: %s", p.err_pos, p.err);
        featexpr_free(p.e);
        return NULL;
    }
    p.e->nnf = fx_nnf(p.e, p.e->root, false);
    fx_note_domains(p.e, p.e->root);
    return p.e;
}

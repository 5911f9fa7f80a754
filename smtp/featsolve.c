/* featsolve - RFC 2533 section 5 search behind featexpr_match/intersect
 *
 * The DNF of the negation normal form is enumerated lazily, depth first: an
 * OR is a choice point, literals go onto a stack and each new literal is
 * merged with the others on its tag at once (RFC 2533 5.8, as a constraint
 * record rather than pairwise rewriting), so a dead conjunction is dropped
 * as soon as two of its terms clash. Literals of an AND are taken before its
 * ORs, so top-level clashes prune before any branching. Counts of finished
 * conjunctions and of steps are bounded: exceeding one is an error.
 *
 * Value semantics (shared with featexpr_eval): numbers of one unit are
 * ordered; tokens (case-insensitive), strings, Booleans are unordered;
 * values of different kinds are unequal and unordered. A tag ranges over the
 * kinds of value it is compared with (typed by use), so (!(x<=5)) (!(x>=3))
 * on a numeric tag is FALSE, as RFC 2533 5.8.1 says.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/util/xalloc.h"
#include "smtp/featexpr_int.h"

#define FS_STEPS_MAX 20000000L /* node visits per question */
#define FS_INLINE    64

struct fs_lit {
    int tag;
    enum fx_lit op;
    const struct featexpr_value *v;
    int prev; /* previous literal on the same tag, -1 */
};

struct fs_cell {
    const struct fx_node *n;
    int next;
};

struct fs_choice {
    const struct fx_node *n;
    size_t next_kid;
    int rest;
    size_t nlits, ncells;
};

struct fs_vec {
    void *p;
    size_t n, cap, elem;
    void *inl;
};

struct fs_solver {
    const struct featexpr *e;
    struct fs_vec lits, cells, choices;
    int *head; /* per tag: last literal, -1 */
    long steps;
    size_t leaves, max_conj, nsurv;
    bool collect;
    char *out;
    size_t outlen, outcap;
    struct fs_lit lit_inl[FS_INLINE];
    struct fs_cell cell_inl[FS_INLINE];
    struct fs_choice choice_inl[FS_INLINE];
    int head_inl[FS_INLINE];
};

static void *
fs_push(struct fs_vec *v)
{
    if (v->n == v->cap) {
        size_t cap = v->cap * 2;
        void *p = xmalloc(cap * v->elem);
        memcpy(p, v->p, v->n * v->elem);
        if (v->p != v->inl)
            free(v->p);
        v->p = p;
        v->cap = cap;
    }
    return (char *)v->p + v->n++ * v->elem;
}

static void
fs_vec_init(struct fs_vec *v, void *inl, size_t elem)
{
    v->p = v->inl = inl;
    v->n = 0;
    v->cap = FS_INLINE;
    v->elem = elem;
}

static void
fs_vec_free(struct fs_vec *v)
{
    if (v->p != v->inl)
        free(v->p);
}

#define LIT(s, i)    (((struct fs_lit *)(s)->lits.p)[i])
#define CELL(s, i)   (((struct fs_cell *)(s)->cells.p)[i])
#define CHOICE(s, i) (((struct fs_choice *)(s)->choices.p)[i])

static bool
fs_positive(enum fx_lit op)
{
    return op == FX_LIT_LE || op == FX_LIT_GE;
}

/* Interval of an ordered domain: is it non-empty? Rationals are dense. */
struct fs_range {
    const struct featexpr_value *lo, *hi;
    bool lo_open, hi_open;
};

static void
fs_range_add(struct fs_range *r, const struct fs_lit *l)
{
    int c;

    switch (l->op) {
    case FX_LIT_GE:
    case FX_LIT_NL: /* x > v */
        c = r->lo ? featexpr_cmp(l->v, r->lo) : 1;
        if (c == 1 || (c == 0 && l->op == FX_LIT_NL)) {
            r->lo = l->v;
            r->lo_open = l->op == FX_LIT_NL;
        }
        break;
    case FX_LIT_LE:
    case FX_LIT_NG: /* x < v */
        c = r->hi ? featexpr_cmp(l->v, r->hi) : -1;
        if (c == -1 || (c == 0 && l->op == FX_LIT_NG)) {
            r->hi = l->v;
            r->hi_open = l->op == FX_LIT_NG;
        }
        break;
    }
}

static bool
fs_range_ok(const struct fs_range *r)
{
    int c;

    if (r->lo == NULL || r->hi == NULL)
        return true;
    c = featexpr_cmp(r->lo, r->hi);
    return c == -1 || (c == 0 && !r->lo_open && !r->hi_open);
}

/* Can the tag take a value of domain d satisfying every literal on it?
 * Literals of other domains: positive ones exclude d, negative ones hold. */
static bool
fs_domain_ok(const struct fs_solver *s, int head,
             const struct featexpr_value *d)
{
    struct fs_range r = {0};
    const struct featexpr_value *fixed = NULL;
    bool ordered = d->type == FEATEXPR_NUMBER, excl_t = false, excl_f = false;

    for (int i = head; i >= 0; i = LIT(s, i).prev) {
        const struct fs_lit *l = &LIT(s, i);
        if (!featexpr_same_domain(l->v, d)) {
            if (fs_positive(l->op))
                return false;
            continue;
        }
        if (ordered) {
            fs_range_add(&r, l);
        } else if (fs_positive(l->op)) {
            if (fixed != NULL && featexpr_cmp(fixed, l->v) != 0)
                return false;
            fixed = l->v;
        }
    }
    if (ordered)
        return fs_range_ok(&r);
    for (int i = head; i >= 0; i = LIT(s, i).prev) {
        const struct fs_lit *l = &LIT(s, i);
        if (fs_positive(l->op) || !featexpr_same_domain(l->v, d))
            continue;
        if (fixed != NULL && featexpr_cmp(fixed, l->v) == 0)
            return false;
        if (l->v->type == FEATEXPR_BOOL)
            *(l->v->b ? &excl_t : &excl_f) = true;
    }
    /* tokens and strings are unbounded: a value none excludes exists */
    return fixed != NULL || d->type != FEATEXPR_BOOL || !(excl_t && excl_f);
}

static bool
fs_tag_ok(const struct fs_solver *s, int tag)
{
    int head = s->head[tag];
    const struct fx_tag *t = &s->e->tags[tag];

    for (int i = head; i >= 0; i = LIT(s, i).prev)
        if (fs_positive(LIT(s, i).op))
            return fs_domain_ok(s, head, LIT(s, i).v);
    for (size_t k = 0; k < t->ndom; k++) {
        struct featexpr_value d = {.type = t->dom[k].type,
                                   .text = t->dom[k].unit};
        if (fs_domain_ok(s, head, &d))
            return true;
    }
    return t->ndom == 0;
}

static bool
fs_add_lit(struct fs_solver *s, int tag, enum fx_lit op,
           const struct featexpr_value *v)
{
    struct fs_lit *l = fs_push(&s->lits);

    l->tag = tag;
    l->op = op;
    l->v = v;
    l->prev = s->head[tag];
    s->head[tag] = (int)(s->lits.n - 1);
    return fs_tag_ok(s, tag);
}

static void
fs_pop_lits(struct fs_solver *s, size_t n)
{
    while (s->lits.n > n) {
        const struct fs_lit *l = &LIT(s, s->lits.n - 1);
        s->head[l->tag] = l->prev;
        s->lits.n--;
    }
}

static int
fs_cons(struct fs_solver *s, const struct fx_node *n, int rest)
{
    struct fs_cell *c = fs_push(&s->cells);

    c->n = n;
    c->next = rest;
    return (int)(s->cells.n - 1);
}

/* ---- output of one surviving conjunction, reduced per tag ---- */

static void fs_put(struct fs_solver *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fs_put(struct fs_solver *s, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(s->out + s->outlen, s->outcap - s->outlen, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < s->outcap - s->outlen) {
            s->outlen += (size_t)n;
            return;
        }
        s->outcap = s->outcap * 2 + (size_t)n + 64;
        s->out = xrealloc(s->out, s->outcap);
    }
}

static void
fs_put_lit(struct fs_solver *s, const char *tag, const char *op,
           const struct featexpr_value *v, bool neg)
{
    char vb[FEATEXPR_TAG_MAX * 2 + 64];

    featexpr_value_text(vb, sizeof vb, v);
    fs_put(s, neg ? " (! (%s%s%s))" : " (%s%s%s)", tag, op, vb);
}

static bool
fs_seen_before(const struct fs_solver *s, int i, const struct fs_lit *l)
{
    for (int j = LIT(s, i).prev; j >= 0; j = LIT(s, j).prev)
        if (!fs_positive(LIT(s, j).op) && featexpr_cmp(LIT(s, j).v, l->v) == 0)
            return true;
    return false;
}

static void
fs_emit_tag(struct fs_solver *s, int tag)
{
    const char *name = s->e->tags[tag].name;
    const struct featexpr_value *pos = NULL;
    const struct fs_lit *anchor = NULL;
    struct fs_range r = {0};

    for (int i = s->head[tag]; i >= 0; i = LIT(s, i).prev)
        if (fs_positive(LIT(s, i).op)) {
            anchor = &LIT(s, i);
            pos = anchor->v;
        }
    if (pos != NULL && pos->type != FEATEXPR_NUMBER) {
        fs_put_lit(s, name, "=", pos, false);
        return;
    }
    if (pos != NULL) {
        for (int i = s->head[tag]; i >= 0; i = LIT(s, i).prev)
            if (featexpr_same_domain(LIT(s, i).v, pos))
                fs_range_add(&r, &LIT(s, i));
        if (r.lo && r.hi && featexpr_cmp(r.lo, r.hi) == 0) {
            fs_put_lit(s, name, "=", r.lo, false);
            return;
        }
        if (r.lo)
            fs_put_lit(s, name, r.lo_open ? "<=" : ">=", r.lo, r.lo_open);
        if (r.hi)
            fs_put_lit(s, name, r.hi_open ? ">=" : "<=", r.hi, r.hi_open);
        /* open bounds are negations, which other kinds of value also
         * satisfy: keep one positive term to pin the kind */
        if ((!r.lo || r.lo_open) && (!r.hi || r.hi_open))
            fs_put_lit(s, name,
                       anchor->op == FX_LIT_LE ? "<=" : ">=", anchor->v, false);
        return;
    }
    /* only negations: tightest bound per numeric domain, each exclusion of
     * an unordered value once */
    for (int i = s->head[tag]; i >= 0; i = LIT(s, i).prev) {
        const struct fs_lit *l = &LIT(s, i);
        bool tight = true;
        if (l->v->type != FEATEXPR_NUMBER) {
            if (!fs_seen_before(s, i, l))
                fs_put_lit(s, name, "=", l->v, true);
            continue;
        }
        for (int j = s->head[tag]; j >= 0 && tight; j = LIT(s, j).prev) {
            const struct fs_lit *o = &LIT(s, j);
            int c;
            if (j == i || o->op != l->op || !featexpr_same_domain(o->v, l->v))
                continue;
            c = featexpr_cmp(o->v, l->v);
            if ((l->op == FX_LIT_NL && c == 1) ||
                (l->op == FX_LIT_NG && c == -1) || (c == 0 && j > i))
                tight = false;
        }
        if (tight)
            fs_put_lit(s, name, l->op == FX_LIT_NL ? "<=" : ">=", l->v, true);
    }
}

static void
fs_emit(struct fs_solver *s)
{
    /* tags in name order, so the output is canonical */
    int inl[FS_INLINE], *order = inl;
    size_t n = 0;

    if (s->e->ntags > FS_INLINE)
        order = xmalloc(s->e->ntags * sizeof *order);
    for (size_t t = 0; t < s->e->ntags; t++) {
        size_t k;
        if (s->head[t] < 0)
            continue;
        for (k = n; k > 0 && strcmp(s->e->tags[order[k - 1]].name,
                                    s->e->tags[t].name) > 0;
             k--)
            order[k] = order[k - 1];
        order[k] = (int)t;
        n++;
    }
    fs_put(s, " (&");
    for (size_t k = 0; k < n; k++)
        fs_emit_tag(s, order[k]);
    fs_put(s, ")");
    if (order != inl)
        free(order);
}

/* ---- the search ---- */

/* Push an AND's children: ORs first so that its literals pop first. */
static int
fs_push_and(struct fs_solver *s, const struct fx_node *n, int rest)
{
    for (size_t i = n->nkids; i-- > 0;)
        if (n->kids[i]->kind == FX_OR)
            rest = fs_cons(s, n->kids[i], rest);
    for (size_t i = n->nkids; i-- > 0;)
        if (n->kids[i]->kind != FX_OR)
            rest = fs_cons(s, n->kids[i], rest);
    return rest;
}

/* Returns 1 at a leaf (surviving conjunction), 0 at a dead end, -1 limit. */
static int
fs_descend(struct fs_solver *s, int *pending, struct errbuf *why)
{
    while (*pending >= 0) {
        const struct fx_node *n = CELL(s, *pending).n;
        int rest = CELL(s, *pending).next;
        if (++s->steps > FS_STEPS_MAX)
            return errbuf_set(why, ERR_PERM, "",
                              "feature expression too "
                              "costly: over %ld steps",
                              FS_STEPS_MAX);
        switch (n->kind) {
        case FX_AND:
            *pending = fs_push_and(s, n, rest);
            break;
        case FX_OR: {
            struct fs_choice *c = fs_push(&s->choices);
            c->n = n;
            c->next_kid = 1;
            c->rest = rest;
            c->nlits = s->lits.n;
            c->ncells = s->cells.n;
            *pending = fs_cons(s, n->kids[0], rest);
            break;
        }
        case FX_CMP:
            *pending = rest;
            if (!fs_add_lit(s, n->tag, n->lit, &n->v))
                return 0;
            break;
        case FX_FALSE:
            return 0;
        default:
            *pending = rest;
            break;
        }
    }
    return 1;
}

/* Next branch of the innermost open choice, or false when none is left. */
static bool
fs_backtrack(struct fs_solver *s, int *pending)
{
    while (s->choices.n > 0) {
        struct fs_choice *c = &CHOICE(s, s->choices.n - 1);
        if (c->next_kid < c->n->nkids) {
            fs_pop_lits(s, c->nlits);
            s->cells.n = c->ncells;
            *pending = fs_cons(s, c->n->kids[c->next_kid++], c->rest);
            return true;
        }
        s->choices.n--;
    }
    return false;
}

static int
fs_search(struct fs_solver *s, int pending, struct errbuf *why)
{
    for (;;) {
        int r = fs_descend(s, &pending, why);
        if (r < 0)
            return -1;
        if (++s->leaves > FEATEXPR_DNF_MAX)
            return errbuf_set(why, ERR_PERM, "",
                              "feature expression too "
                              "large: over %d conjunctions in normal form",
                              FEATEXPR_DNF_MAX);
        if (r == 1) {
            if (s->collect)
                fs_emit(s);
            if (++s->nsurv >= s->max_conj) {
                if (s->collect && fs_backtrack(s, &pending))
                    return errbuf_set(why, ERR_PERM, "",
                                      "intersection "
                                      "too large: over %zu conjunctions",
                                      s->max_conj);
                return 1;
            }
        }
        if (!fs_backtrack(s, &pending))
            return s->nsurv > 0;
    }
}

static int
fs_tag_of(const struct featexpr *e, const char *tag)
{
    int c0 = tolower((unsigned char)tag[0]);

    /* interned names are lower case: test the first byte before the rest */
    for (size_t i = 0; i < e->ntags; i++)
        if (e->tags[i].name[0] == c0 && strcasecmp(e->tags[i].name, tag) == 0)
            return (int)i;
    return -1;
}

int
featsolve_run(const struct featexpr *e, const struct featexpr_coll *c,
              size_t max_conj, char **out_text, size_t *nsurvivors,
              struct errbuf *why)
{
    struct fs_solver *s = xmalloc(sizeof *s);
    int r = 0, pending;

    s->e = e;
    fs_vec_init(&s->lits, s->lit_inl, sizeof(struct fs_lit));
    fs_vec_init(&s->cells, s->cell_inl, sizeof(struct fs_cell));
    fs_vec_init(&s->choices, s->choice_inl, sizeof(struct fs_choice));
    s->head = e->ntags <= FS_INLINE ? s->head_inl
                                    : xmalloc(e->ntags * sizeof *s->head);
    for (size_t i = 0; i < e->ntags; i++)
        s->head[i] = -1;
    s->steps = 0;
    s->leaves = s->nsurv = 0;
    s->max_conj = max_conj ? max_conj : 1;
    s->collect = out_text != NULL;
    s->out = NULL;
    s->outlen = s->outcap = 0;
    if (s->collect) {
        s->outcap = 256;
        s->out = xmalloc(s->outcap);
        s->out[0] = '\0';
        fs_put(s, "(|");
    }
    /* the collection: each feature is (& (t<=v) (t>=v)) */
    for (size_t i = 0; c != NULL && i < c->n; i++) {
        int t = fs_tag_of(e, c->f[i].tag);
        if (t < 0)
            continue; /* e does not constrain it */
        if (!fs_add_lit(s, t, FX_LIT_LE, &c->f[i].v) ||
            !fs_add_lit(s, t, FX_LIT_GE, &c->f[i].v))
            goto done;
    }
    pending = fs_cons(s, e->nnf, -1);
    r = fs_search(s, pending, why);
done:
    if (s->collect && r == 1) {
        fs_put(s, ")");
        *out_text = s->out;
        s->out = NULL;
    } else if (out_text != NULL) {
        *out_text = NULL;
    }
    if (nsurvivors != NULL)
        *nsurvivors = s->nsurv;
    free(s->out);
    fs_vec_free(&s->lits);
    fs_vec_free(&s->cells);
    fs_vec_free(&s->choices);
    if (s->head != s->head_inl)
        free(s->head);
    free(s);
    return r;
}

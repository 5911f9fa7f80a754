/*
 * featexpr_int - the parsed form shared by featexpr.c (public face:
 * printer, evaluation, collections), featparse.c (parser), featsolve.c (RFC
 * 2533 5 satisfiability and intersection) and featnode.c (arena, value
 * order). Private to smtp/feat*: no other module includes this.
 * Calls run one way: featexpr.c -> featparse.c, featsolve.c -> featnode.c
 * (featparse_run and featsolve_run are for featexpr.c only; featnode.c
 * calls none of the others). Memory: every node, value and string of an
 * expression lives in its arena and goes away with featexpr_free().
 */
#ifndef IFAXGW_SMTP_FEATEXPR_INT_H
#define IFAXGW_SMTP_FEATEXPR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/util/errbuf.h"
#include "smtp/featexpr.h"

#define FEATEXPR_DOMAINS_MAX 8 /* value kinds one tag is compared with */

enum fx_kind { FX_AND, FX_OR, FX_NOT, FX_CMP, FX_TRUE, FX_FALSE, FX_CALL };

/* Parse-tree comparison operators; LT/GT only from the lenient '<' '>'. */
enum fx_op { FX_EQ, FX_LE, FX_GE, FX_LT, FX_GT };

/* NNF literal operators (RFC 2533 5.5). */
enum fx_lit { FX_LIT_LE, FX_LIT_GE, FX_LIT_NL, FX_LIT_NG };

struct fx_node {
    enum fx_kind kind;
    bool is_set;   /* OR (or range AND) written as tag=[...] */
    bool is_range; /* AND written as a..b inside a set */
    int q;         /* q-value in thousandths, -1 if none */
    size_t pos;    /* byte offset in the source */
    size_t nkids;
    struct fx_node **kids;
    /* FX_CMP (parse tree: op; NNF: lit) */
    int tag; /* index into featexpr.tags */
    enum fx_op op;
    enum fx_lit lit;
    struct featexpr_value v;
    /* FX_CALL */
    const char *name;
    size_t nargs;
    struct featexpr_value *args;
};

struct fx_domain {
    enum featexpr_vtype type;
    const char *unit; /* numbers only */
};

struct fx_tag {
    char *name; /* lower case */
    size_t len;
    size_t ndom;
    struct fx_domain dom[FEATEXPR_DOMAINS_MAX];
};

struct fx_block {
    struct fx_block *next;
    size_t used, size;
    max_align_t data[];
};

struct featexpr {
    struct fx_block *arena;
    struct fx_node *root; /* as written (sets marked), for print/eval */
    struct fx_node *nnf;  /* negation normal form over LE/GE/NL/NG */
    size_t nnodes;
    size_t ntags, tagcap;
    struct fx_tag *tags;
};

void *featexpr_alloc(struct featexpr *e, size_t n);

/* -1/0/1 for ordered numbers of the same unit; 2 = unordered and unequal;
 * 0 also for equal tokens (case-insensitive), strings, Booleans. */
int featexpr_cmp(const struct featexpr_value *a,
                 const struct featexpr_value *b);
bool featexpr_same_domain(const struct featexpr_value *a,
                          const struct featexpr_value *b);
/* Append a value in filter syntax to buf (bounded). */
void featexpr_value_text(char *buf, size_t size,
                         const struct featexpr_value *v);

int64_t featexpr_gcd(int64_t a, int64_t b); /* > 0 */

/* featparse.c: parse with an explicit input bound (intersection re-parses
 * the printed operands, which may be longer than one capability). */
struct featexpr *featparse_run(const char *text, size_t len, unsigned flags,
                               size_t input_max, size_t *err_pos,
                               struct errbuf *why);

/* featsolve.c: run the lazy DNF search over e (and the collection c, may be
 * NULL). With out == NULL stops at the first surviving conjunction. */
int featsolve_run(const struct featexpr *e, const struct featexpr_coll *c,
                  size_t max_conj, char **out_text, size_t *nsurvivors,
                  struct errbuf *why);

#endif

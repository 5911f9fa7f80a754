/* featnode - the store under featexpr.c, featparse.c and featsolve.c: the
 * expression's arena (featexpr_alloc, featexpr_free) and the value order
 * (featexpr_cmp and its helpers). Calls nothing of the other three
 * (featexpr_int.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/util/xalloc.h"
#include "smtp/featexpr_int.h"

#define FX_BLOCK_MIN 32768 /* one block holds a typical capability */

/* ---- arena ---- */

void *
featexpr_alloc(struct featexpr *e, size_t n)
{
    struct fx_block *b = e->arena;

    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) *
        sizeof(max_align_t);
    if (b == NULL || b->size - b->used < n) {
        size_t sz = n > FX_BLOCK_MIN ? n : FX_BLOCK_MIN;

        b = xmalloc(sizeof *b + sz);
        b->size = sz;
        b->used = 0;
        b->next = e->arena;
        e->arena = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

/* ---- values ---- */

int64_t
featexpr_gcd(int64_t a, int64_t b)
{
    if (a < 0)
        a = -a;
    while (b != 0) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a == 0 ? 1 : a;
}

bool
featexpr_same_domain(const struct featexpr_value *a,
                     const struct featexpr_value *b)
{
    if (a->type != b->type)
        return false;
    if (a->type != FEATEXPR_NUMBER)
        return true;
    const char *ua = a->text ? a->text : "", *ub = b->text ? b->text : "";
    if (ua[0] == '\0' || ub[0] == '\0') /* the common case: no units */
        return ua[0] == ub[0];
    return strcasecmp(ua, ub) == 0;
}

int
featexpr_cmp(const struct featexpr_value *a, const struct featexpr_value *b)
{
    if (!featexpr_same_domain(a, b))
        return 2;
    switch (a->type) {
    case FEATEXPR_NUMBER: {
        __int128 l = (__int128)a->num * b->den, r = (__int128)b->num * a->den;
        return l < r ? -1 : l > r;
    }
    case FEATEXPR_TOKEN:
        return strcasecmp(a->text, b->text) == 0 ? 0 : 2;
    case FEATEXPR_STRING:
        return strcmp(a->text, b->text) == 0 ? 0 : 2;
    case FEATEXPR_BOOL:
        return a->b == b->b ? 0 : 2;
    }
    return 2;
}

void
featexpr_value_text(char *buf, size_t size, const struct featexpr_value *v)
{
    switch (v->type) {
    case FEATEXPR_NUMBER:
        if (v->den == 1)
            snprintf(buf, size, "%lld%s", (long long)v->num,
                     v->text ? v->text : "");
        else
            snprintf(buf, size, "%lld/%lld%s", (long long)v->num,
                     (long long)v->den, v->text ? v->text : "");
        break;
    case FEATEXPR_TOKEN:
        snprintf(buf, size, "%s", v->text);
        break;
    case FEATEXPR_STRING:
        snprintf(buf, size, "\"%s\"", v->text);
        break;
    case FEATEXPR_BOOL:
        snprintf(buf, size, "%s", v->b ? "TRUE" : "FALSE");
        break;
    }
}

/* ---- free ---- */

struct featexpr *
featexpr_free(struct featexpr *e)
{
    if (e == NULL)
        return NULL;
    while (e->arena != NULL) {
        struct fx_block *b = e->arena;
        e->arena = b->next;
        free(b);
    }
    free(e->tags);
    free(e);
    return NULL;
}

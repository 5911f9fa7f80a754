/*
 * featexpr - RFC 2533 feature-set expressions (with the RFC 2738 fixes)
 *
 * Parses filters (and/or/not, = <= >=, sets and ranges, tokens, strings,
 * exact rationals, Booleans, units, q-values, where/end named predicates),
 * prints them normalised, evaluates them on feature collections and
 * intersects them (RFC 2533 5: NNF, LE/GE/NL/NG, lazy DNF, per-tag merge).
 * Lenient only where devices and the RFC examples are sloppy: a bare '>' or
 * '<' (flag), token case. Input size, nesting depth, node count and DNF
 * enumeration are bounded; exceeding one is an error, never a hang.
 * No I/O, no globals: any thread, one expression per caller.
 * Errors: NULL or -1 with *why filled; parse errors carry a byte offset.
 */
#ifndef IFAXGW_SMTP_FEATEXPR_H
#define IFAXGW_SMTP_FEATEXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/util/errbuf.h"

#define FEATEXPR_INPUT_MAX 65536  /* bytes of filter text (RFC 4141 listing) */
#define FEATEXPR_DEPTH_MAX 64     /* nested parentheses */
#define FEATEXPR_NODES_MAX 20000  /* tree nodes after set/where expansion */
#define FEATEXPR_DNF_MAX   100000 /* conjunctions enumerated per question */
#define FEATEXPR_TAG_MAX   128    /* characters in a feature tag */
/* characters in a quoted string or a number's unit: every value prints
 * whole into the printer's FEATEXPR_TAG_MAX * 2 + 64 byte buffer */
#define FEATEXPR_STRING_MAX 128
#define FEATEXPR_COLL_MAX  32     /* features in one collection */

/* Parse flags. */
#define FEATEXPR_LENIENT_CMP 0x1u /* accept '>' / '<' as !(<=) / !(>=) */
#define FEATEXPR_SEQ_AND     0x2u /* "(f1) (f2)" at top level = (& f1 f2) */

struct featexpr; /* opaque, immutable once parsed */

enum featexpr_vtype {
    FEATEXPR_NUMBER, /* rational num/den, den > 0, reduced; unit optional */
    FEATEXPR_TOKEN,  /* compared case-insensitively */
    FEATEXPR_STRING, /* compared exactly; never equal to a token */
    FEATEXPR_BOOL
};

struct featexpr_value {
    enum featexpr_vtype type;
    int64_t num, den; /* NUMBER */
    bool b;           /* BOOL */
    const char *text; /* TOKEN/STRING text, or NUMBER unit ("" = none);
                         borrowed from whoever built the value */
};

/* A fully or partly specified feature collection: one value per tag.
 * Tags the collection does not name are unconstrained (RFC 2533 5). */
struct featexpr_coll {
    size_t n;
    struct {
        const char *tag; /* borrowed */
        struct featexpr_value v;
    } f[FEATEXPR_COLL_MAX];
};

/* Parse len bytes of text. Returns a new expression (caller frees with
 * featexpr_free()) or NULL with *why filled and *err_pos (may be NULL) set to
 * the byte offset of the error. */
struct featexpr *featexpr_parse(const char *text, size_t len, unsigned flags,
                                size_t *err_pos, struct errbuf *why);

/* Returns NULL, so callers can write e = featexpr_free(e). NULL is a no-op. */
struct featexpr *featexpr_free(struct featexpr *e);

/* Normalised text: lower-case tags, canonical rationals, one space between
 * list members, sets kept, named predicates expanded. Caller frees. */
char *featexpr_print(const struct featexpr *e);

/* True if the expression compares tag (case-insensitive) with anything. */
bool featexpr_mentions(const struct featexpr *e, const char *tag);
/* True if tag is compared with this token/string value somewhere. */
bool featexpr_mentions_value(const struct featexpr *e, const char *tag,
                             const char *value);

/* Collection builders; return -1 (why filled) when the collection is full. */
int featexpr_coll_int(struct featexpr_coll *c, const char *tag, int64_t n,
                      struct errbuf *why);
int featexpr_coll_rat(struct featexpr_coll *c, const char *tag, int64_t num,
                      int64_t den, struct errbuf *why);
int featexpr_coll_token(struct featexpr_coll *c, const char *tag,
                        const char *token, struct errbuf *why);
int featexpr_coll_string(struct featexpr_coll *c, const char *tag,
                         const char *s, struct errbuf *why);
int featexpr_coll_bool(struct featexpr_coll *c, const char *tag, bool b,
                       struct errbuf *why);

/* Plain evaluation: every tag the expression names must be in c; a tag that
 * is missing makes its comparisons false. 1 true, 0 false. */
int featexpr_eval(const struct featexpr *e, const struct featexpr_coll *c);

/* Is collection c acceptable to e: can the tags c leaves open be given
 * values that make e true (= is (& e c) satisfiable)? 1 yes, 0 no, -1 a
 * limit was hit (why filled). */
int featexpr_match(const struct featexpr *e, const struct featexpr_coll *c,
                   struct errbuf *why);

/* Is e satisfiable at all? 1, 0, or -1 (limit; why filled). */
int featexpr_satisfiable(const struct featexpr *e, struct errbuf *why);

/* RFC 2533 5: the feature set both a and b describe (b may be NULL to
 * reduce a alone). 1 non-empty, *out = the surviving conjunctions as one
 * reduced DNF expression (caller frees); 0 empty, *out = NULL; -1 (why
 * filled, *out = NULL) when enumeration passes FEATEXPR_DNF_MAX
 * conjunctions, more than max_conj survive (0 = FEATEXPR_DNF_MAX), or the
 * result is over FEATEXPR_NODES_MAX. Conjunctions are enumerated lazily. */
int featexpr_intersect(const struct featexpr *a, const struct featexpr *b,
                       size_t max_conj, struct featexpr **out,
                       struct errbuf *why);

/* The distinct tags the expression compares (lower case), in order of first
 * appearance: i < featexpr_ntags(e). Borrowed until featexpr_free(). */
size_t featexpr_ntags(const struct featexpr *e);
const char *featexpr_tag_name(const struct featexpr *e, size_t i);

/* Count tree nodes (for tests and limits). */
size_t featexpr_size(const struct featexpr *e);

#endif

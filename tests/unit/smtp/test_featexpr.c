/* tests for smtp/featexpr: RFC 2533 parsing, printing, matching and
 * intersection, limits, and a property test against brute force */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/featexpr.h"

/* ---- parse table: input, flags, expected print or error offset ---- */

struct parse_case {
    const char *name;
    const char *in;
    unsigned flags;
    const char *out; /* normalised text, NULL if an error is expected */
    long err_pos;    /* expected error offset, -1 = don't care */
    const char *err; /* substring of the error text */
};

static const struct parse_case parse_cases[] = {
    {"simple", "(dpi=200)", 0, "(dpi=200)", 0, NULL},
    {"tag case folded, token kept", "(Paper-Size=a4)", 0, "(paper-size=a4)", 0,
     NULL},
    {"and/or/not", "(&(a=1)(|(b=2)(!(c=x))))", 0,
     "(& (a=1) (| (b=2) (! (c=x))))", 0, NULL},
    {"whitespace everywhere", " ( & ( a = 1 )\n\t( b <= 2 ) ) ", 0,
     "(& (a=1) (b<=2))", 0, NULL},
    {"rational canonical", "(dpi-xyratio=204/98)", 0, "(dpi-xyratio=102/49)", 0,
     NULL},
    {"negative and signed", "(a=[-3,+4,-6/4])", 0, "(a=[-3,4,-3/2])", 0, NULL},
    {"range not a decimal", "(width=[3,4,6..17/2])", 0, "(width=[3,4,6..17/2])",
     0, NULL},
    {"range 4..17/2", "(w=[4..17/2])", 0, "(w=[4..17/2])", 0, NULL},
    {"boolean any case", "(a=true)", 0, "(a=TRUE)", 0, NULL},
    {"string", "(type=\"image/tiff\")", 0, "(type=\"image/tiff\")", 0, NULL},
    {"unit", "(res=72dpi)", 0, "(res=72dpi)", 0, NULL},
    {"unit after space", "(res=72 dpi)", 0, "(res=72dpi)", 0, NULL},
    {"q-value", "(| (a=1);q=0.8 (a=2);q=1.000)", 0,
     "(| (a=1);q=0.800 (a=2);q=1.000)", 0, NULL},
    {"where/end", "(& (T) (y=2)) where (T) :- (x=1) end", 0, "(& (x=1) (y=2))",
     0, NULL},
    {"where with parameter",
     "(| (P 200) (P 300)) where (P v) :- (& (dpi=v) (dpi-xyratio=1)) end", 0,
     "(| (& (dpi=200) (dpi-xyratio=1)) (& (dpi=300) (dpi-xyratio=1)))", 0,
     NULL},
    {"lenient >", "(JBIG-stripe-size>0)", FEATEXPR_LENIENT_CMP,
     "(! (jbig-stripe-size<=0))", 0, NULL},
    {"sequence and", "(a=1) (b=2)", FEATEXPR_SEQ_AND, "(& (a=1) (b=2))", 0,
     NULL},
    /* rejected cleanly (standards.md 2.5) */
    {"bare > strict", "(JBIG-stripe-size>0)", 0, NULL, 17, "not an operator"},
    {"unbalanced", "(&(a=1)(b=2)", 0, NULL, 12, "expected ')'"},
    {"one ) too many", "(&(a=1)(b=2)))", 0, NULL, 13, "after the end"},
    {"color-space-CIELAB", "(& (color=Grey) (color-space-CIELAB))", 0, NULL, 17,
     "unknown predicate"},
    {"-- comment (RFC 2531)", "(& (a=1) -- binary only\n (b=2))", 0, NULL, 9,
     "expected ')'"},
    {"sign after slash", "(a=3/+2)", 0, NULL, 5, "digits"},
    {"negative denominator", "(a=15/-10)", 0, NULL, 6, "digits"},
    {"zero denominator", "(a=1/0)", 0, NULL, 3, "zero denominator"},
    {"decimal outside q", "(a=0.5)", 0, NULL, 4, "expected ')'"},
    {"q above 1", "(a=1);q=1.5", 0, NULL, -1, "q-value"},
    {"empty and", "(&)", 0, NULL, 2, "expected '('"},
    {"empty set", "(a=[])", 0, NULL, 4, "expected a value"},
    {"tag must start alpha", "(1a=2)", 0, NULL, 1, "feature tag"},
    {"unterminated string", "(a=\"abc)", 0, NULL, 3, "unterminated"},
    {"control char in string", "(a=\"a\tb\")", 0, NULL, 5, "inside a string"},
    {"undefined predicate", "(TIFF-S)", 0, NULL, 1, "unknown predicate"},
    {"where without end", "(T) where (T) :- (x=1)", 0, NULL, 22, "'end'"},
    {"recursive predicate", "(T) where (T) :- (T) end", 0, NULL, -1, "deeper"},
    {"trailing garbage", "(a=1) x", 0, NULL, 6, "after the end"},
    {"empty input", "", 0, NULL, 0, "expected '('"},
    {"huge number", "(a=12345678901234567890)", 0, NULL, 3, "digits"},
    {"NUL byte", "(a=1)\0", 0, NULL, 5, "NUL"},
};

static void
test_featexpr_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const struct parse_case *c = &parse_cases[i];
        size_t len = strlen(c->in) + (strcmp(c->name, "NUL byte") == 0);
        struct errbuf why;
        size_t pos = 999;
        struct featexpr *e = featexpr_parse(c->in, len, c->flags, &pos, &why);

        if (c->out != NULL) {
            if (e == NULL)
                fail_msg("%s: unexpected error %s", c->name, why.text);
            char *t = featexpr_print(e);
            if (strcmp(t, c->out) != 0)
                fail_msg("%s: printed %s, expected %s", c->name, t, c->out);
            /* the normalised form parses back to itself */
            struct featexpr *e2 = featexpr_parse(t, strlen(t), 0, NULL, &why);
            assert_non_null(e2);
            char *t2 = featexpr_print(e2);
            assert_string_equal(t, t2);
            free(t2);
            featexpr_free(e2);
            free(t);
        } else {
            if (e != NULL)
                fail_msg("%s: parsed, expected an error", c->name);
            if (c->err_pos >= 0 && pos != (size_t)c->err_pos)
                fail_msg("%s: error at %zu, expected %ld (%s)", c->name, pos,
                         c->err_pos, why.text);
            if (strstr(why.text, c->err) == NULL)
                fail_msg("%s: error '%s' lacks '%s'", c->name, why.text,
                         c->err);
        }
        featexpr_free(e);
    }
}

/* ---- helpers ---- */

static struct featexpr *
parse_ok(const char *s)
{
    struct errbuf why;
    struct featexpr *e =
        featexpr_parse(s, strlen(s), FEATEXPR_LENIENT_CMP, NULL, &why);

    if (e == NULL)
        fail_msg("parse %s: %s", s, why.text);
    return e;
}

/* Build a collection from "tag=value tag=value" (values: int, n/d, token,
 * "string"); storage lives in *buf. */
static void
coll_from(struct featexpr_coll *c, char *buf)
{
    struct errbuf why;
    char *save = NULL;

    c->n = 0;
    for (char *w = strtok_r(buf, " ", &save); w;
         w = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(w, '=');
        long long n, d;
        char tail;
        assert_non_null(eq);
        *eq++ = '\0';
        if (sscanf(eq, "%lld/%lld%c", &n, &d, &tail) == 2)
            assert_int_equal(featexpr_coll_rat(c, w, n, d, &why), 0);
        else if (sscanf(eq, "%lld%c", &n, &tail) == 1)
            assert_int_equal(featexpr_coll_int(c, w, n, &why), 0);
        else if (strcmp(eq, "TRUE") == 0 || strcmp(eq, "FALSE") == 0)
            assert_int_equal(featexpr_coll_bool(c, w, eq[0] == 'T', &why), 0);
        else if (eq[0] == '"') {
            eq[strlen(eq) - 1] = '\0';
            assert_int_equal(featexpr_coll_string(c, w, eq + 1, &why), 0);
        } else
            assert_int_equal(featexpr_coll_token(c, w, eq, &why), 0);
    }
}

static int
match_str(const struct featexpr *e, const char *coll)
{
    char buf[1024];
    struct featexpr_coll c;
    struct errbuf why;

    snprintf(buf, sizeof buf, "%s", coll);
    coll_from(&c, buf);
    return featexpr_match(e, &c, &why);
}

static int
eval_str(const struct featexpr *e, const char *coll)
{
    char buf[1024];
    struct featexpr_coll c;

    snprintf(buf, sizeof buf, "%s", coll);
    coll_from(&c, buf);
    return featexpr_eval(e, &c);
}

/* ---- RFC 2533 5.8 merge rules ---- */

struct sat_case {
    const char *in;
    int sat;
};

static const struct sat_case sat_cases[] = {
    {"(& (f<=3) (f<=5) (f>=3))", 1},         /* LE min: f=3 */
    {"(& (f<=3) (f>=4))", 0},                /* LE a, GE b, a<b */
    {"(& (f>=4) (! (f>=5)) (! (f<=4)))", 1}, /* 4 < f < 5 */
    {"(& (f>=5) (! (f>=5)))", 0},            /* GE a, NG b, a>=b */
    {"(& (f<=5) (! (f<=5)))", 0},            /* LE a, NL b, a<=b */
    {"(& (! (f<=5)) (! (f>=3)))", 0},        /* NL a, NG b, a>=b */
    {"(& (! (f<=3)) (! (f>=5)))", 1},
    {"(& (f=204/98) (f=102/49))", 1}, /* exact rationals */
    {"(& (f=200/100) (f=2))", 1},
    {"(& (f=2) (f=3))", 0},
    {"(& (c=A4) (c=a4))", 1}, /* tokens: case-insensitive */
    {"(& (c=A4) (c=B4))", 0},
    {"(& (c=A4) (! (c=B4)))", 1}, /* RFC 2738 3: keep equality */
    {"(& (c=A4) (! (c=A4)))", 0},
    {"(& (c<=A4) (c>=B4))", 0}, /* RFC 2738 3 correction */
    {"(& (c<=A4) (c>=A4))", 1},
    {"(& (s=\"a\") (s=\"A\"))", 0}, /* strings: exact */
    {"(& (b=TRUE) (! (b=TRUE)) (! (b=FALSE)))", 0},
    {"(& (x=1) (x=one))", 0},    /* number vs token */
    {"(& (u=72dpi) (u=72))", 0}, /* units are separate */
    {"(& (u=72dpi) (u<=100dpi))", 1},
    {"(| (& (a=1) (a=2)) (& (b=1) (! (b=1))) (c=3))", 1},
    {"(! (| (a=1) (! (a=1))))", 0},
    {"(& (w=[1..3]) (! (w=[1..2])))", 1}, /* 2 < w <= 3 */
    {"(& (w=[1..2]) (! (w=[1..2])))", 0},
};

static void
test_featexpr_satisfiable_merge_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof sat_cases / sizeof sat_cases[0]; i++) {
        struct featexpr *e = parse_ok(sat_cases[i].in);
        struct errbuf why;
        int r = featexpr_satisfiable(e, &why);
        if (r != sat_cases[i].sat)
            fail_msg("%s: satisfiable %d, expected %d", sat_cases[i].in, r,
                     sat_cases[i].sat);
        featexpr_free(e);
    }
}

/* ---- worked results ---- */

/* RFC 2533 7.1 as summarised in standards.md 2.4 (the RFC text was not at
 * hand; the shapes follow its example): receiver and sender intersect to
 * {300 dpi MR, 200 dpi MH}. */
static void
test_featexpr_intersect_rfc2533_7_1(void **state)
{
    struct featexpr *rcv =
        parse_ok("(& (dpi=[200,300]) (image-coding=[MH,MR]) (paper-size=A4)"
                 " (ua-media=stationery))");
    struct featexpr *snd = parse_ok("(| (& (dpi=300) (image-coding=[MR,MMR]))"
                                    " (& (dpi=200) (image-coding=[MH,JBIG]))"
                                    " (& (dpi=400) (image-coding=MH)))");
    struct featexpr *res;
    struct errbuf why;
    char *t;

    (void)state;
    assert_int_equal(featexpr_intersect(rcv, snd, 0, &res, &why), 1);
    t = featexpr_print(res);
    assert_string_equal(t,
                        "(| (& (dpi=200) (image-coding=MH) (paper-size=A4)"
                        " (ua-media=stationery)) (& (dpi=300) (image-coding=MR)"
                        " (paper-size=A4) (ua-media=stationery)))");
    free(t);
    featexpr_free(res);
    featexpr_free(rcv);
    featexpr_free(snd);
}

/* RFC 2879 4.7 (result per standards.md 2.4): {300 dpi A4 JBIG with
 * ua-media stationery|transparency, 200x100 B4 MH|MR with continuous}. */
static void
test_featexpr_intersect_rfc2879_4_7(void **state)
{
    struct featexpr *rcv =
        parse_ok("(& (image-file-structure=TIFF) (MRC-mode=0) (color=Binary)"
                 " (| (& (dpi=204) (dpi-xyratio=[204/98,204/196]))"
                 "    (& (dpi=200) (dpi-xyratio=[200/100,1]))"
                 "    (& (dpi=300) (dpi-xyratio=1)))"
                 " (| (image-coding=[MH,MR,MMR])"
                 "    (& (image-coding=JBIG) (image-coding-constraint=JBIG-T85)"
                 "       (JBIG-stripe-size=128)))"
                 " (| (& (paper-size=A4) (ua-media=[stationery,transparency]))"
                 "    (& (paper-size=B4) (ua-media=continuous))))");
    struct featexpr *snd = parse_ok(
        "(& (image-file-structure=TIFF) (MRC-mode=0) (color=Binary)"
        " (| (& (dpi=300) (dpi-xyratio=1) (image-coding=JBIG)"
        "       (image-coding-constraint=JBIG-T85) (JBIG-stripe-size=128)"
        "       (paper-size=A4))"
        "    (& (dpi=200) (dpi-xyratio=200/100) (image-coding=[MH,MR])"
        "       (paper-size=B4))"
        "    (& (dpi=400) (dpi-xyratio=1) (image-coding=MMR)"
        "       (paper-size=A4))))");
    struct featexpr *res;
    struct errbuf why;
    static const char *const yes[] = {
        "dpi=300 dpi-xyratio=1 image-coding=JBIG paper-size=A4 "
        "ua-media=stationery image-file-structure=TIFF MRC-mode=0 "
        "color=Binary image-coding-constraint=JBIG-T85 JBIG-stripe-size=128",
        "dpi=300 dpi-xyratio=1 image-coding=JBIG paper-size=A4 "
        "ua-media=transparency image-file-structure=TIFF MRC-mode=0 "
        "color=Binary image-coding-constraint=JBIG-T85 JBIG-stripe-size=128",
        "dpi=200 dpi-xyratio=2 image-coding=MH paper-size=B4 "
        "ua-media=continuous image-file-structure=TIFF MRC-mode=0 "
        "color=Binary",
        "dpi=200 dpi-xyratio=2 image-coding=MR paper-size=B4 "
        "ua-media=continuous image-file-structure=TIFF MRC-mode=0 "
        "color=Binary"};
    static const char *const no[] = {
        "dpi=400 dpi-xyratio=1 image-coding=MMR paper-size=A4 "
        "ua-media=stationery image-file-structure=TIFF MRC-mode=0 "
        "color=Binary",
        "dpi=300 dpi-xyratio=1 image-coding=JBIG paper-size=A4 "
        "ua-media=continuous image-file-structure=TIFF MRC-mode=0 "
        "color=Binary image-coding-constraint=JBIG-T85 JBIG-stripe-size=128",
        "dpi=200 dpi-xyratio=2 image-coding=MMR paper-size=B4 "
        "ua-media=continuous image-file-structure=TIFF MRC-mode=0 "
        "color=Binary"};

    (void)state;
    assert_int_equal(featexpr_intersect(rcv, snd, 0, &res, &why), 1);
    char *t = featexpr_print(res);
    /* four conjunctions: JBIG x 2 media, B4 x {MH, MR} */
    size_t n = 0;
    for (const char *p = t; (p = strstr(p, "(& ")) != NULL; p++)
        n++;
    assert_int_equal(n, 4);
    free(t);
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (eval_str(res, yes[i]) != 1)
            fail_msg("result lacks %s", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (eval_str(res, no[i]) != 0)
            fail_msg("result wrongly holds %s", no[i]);
    /* ua-media survives from the receiver alone: a collection without it
     * still matches (RFC 2879 4.7 note) */
    assert_int_equal(match_str(rcv, "dpi=300 dpi-xyratio=1 image-coding=JBIG "
                                    "paper-size=A4 image-file-structure=TIFF "
                                    "MRC-mode=0 color=Binary "
                                    "image-coding-constraint=JBIG-T85 "
                                    "JBIG-stripe-size=128"),
                     1);
    featexpr_free(res);
    featexpr_free(rcv);
    featexpr_free(snd);
}

/* RFC 4141 9.2: the content sent is NOT within the returned capability;
 * draft-08's MMR at 200 dpi is (standards.md 1.8). */
static void
test_featexpr_match_rfc4141_9_2(void **state)
{
    struct featexpr *caps = parse_ok(
        "(&(image-file-structure=TIFF-minimal) (MRC-mode=0) (color=Binary)"
        " (|(&(dpi=204) (dpi-xyratio=[204/98,204/196]) )"
        "   (&(dpi=200) (dpi-xyratio=[200/100,1]) ) )"
        " (image-coding=[MH,MR,MMR]) (size-x<=2150/254) (paper-size=A4)"
        " (ua-media=stationery) )");

    (void)state;
    assert_int_equal(match_str(caps, "image-file-structure=TIFF-minimal "
                                     "MRC-mode=0 color=Binary "
                                     "image-coding=JBIG dpi=400 "
                                     "dpi-xyratio=1 paper-size=A4"),
                     0);
    assert_int_equal(match_str(caps, "image-file-structure=TIFF-minimal "
                                     "MRC-mode=0 color=Binary "
                                     "image-coding=MMR dpi=200 "
                                     "dpi-xyratio=200/100 paper-size=A4"),
                     1);
    /* a tag the collection leaves open stays open, a fixed one decides */
    assert_int_equal(match_str(caps, "image-coding=MMR"), 1);
    assert_int_equal(match_str(caps, "dpi=300"), 0);
    /* plain evaluation treats an absent tag as false */
    assert_int_equal(eval_str(caps, "image-coding=MMR"), 0);
    featexpr_free(caps);
}

static void
test_featexpr_mentions_and_tags(void **state)
{
    struct featexpr *e = parse_ok("(& (Type=\"image/tiff-fx\") (dpi=200))");

    (void)state;
    assert_true(featexpr_mentions(e, "TYPE"));
    assert_true(featexpr_mentions_value(e, "type", "image/tiff-fx"));
    assert_false(featexpr_mentions_value(e, "type", "image/tiff"));
    assert_false(featexpr_mentions(e, "color"));
    assert_int_equal(featexpr_ntags(e), 2);
    assert_string_equal(featexpr_tag_name(e, 0), "type");
    assert_null(featexpr_tag_name(e, 2));
    featexpr_free(e);
    assert_null(featexpr_free(NULL));
}

/* ---- limits: errors, never hangs or crashes ---- */

static void
test_featexpr_limits_depth_size(void **state)
{
    char *s = malloc(FEATEXPR_INPUT_MAX + 100);
    struct errbuf why;
    size_t pos, n = 0;
    struct featexpr *e;

    (void)state;
    for (int i = 0; i < 200; i++)
        n += (size_t)sprintf(s + n, "(!");
    n += (size_t)sprintf(s + n, "(a=1)");
    for (int i = 0; i < 200; i++)
        s[n++] = ')';
    e = featexpr_parse(s, n, 0, &pos, &why);
    assert_null(e);
    assert_non_null(strstr(why.text, "nesting deeper"));
    assert_int_equal(pos, 2 * FEATEXPR_DEPTH_MAX);

    memset(s, ' ', FEATEXPR_INPUT_MAX + 10);
    memcpy(s, "(a=1)", 5);
    e = featexpr_parse(s, FEATEXPR_INPUT_MAX + 10, 0, &pos, &why);
    assert_null(e);
    assert_non_null(strstr(why.text, "limit"));

    /* many nodes within the byte limit */
    n = (size_t)sprintf(s, "(a=[");
    for (int i = 0; i < 30000 && n < FEATEXPR_INPUT_MAX - 10; i++)
        n += (size_t)sprintf(s + n, "%s1", i ? "," : "");
    n += (size_t)sprintf(s + n, "])");
    e = featexpr_parse(s, n, 0, &pos, &why);
    assert_null(e);
    assert_non_null(strstr(why.text, "nodes"));

    /* a string or unit at the limit prints whole (closing quote kept) and
     * parses again; one more character is refused */
    for (int unit = 0; unit < 2; unit++) {
        for (int extra = 0; extra < 2; extra++) {
            char *t;
            struct featexpr *f;
            int k = FEATEXPR_STRING_MAX + extra;

            n = (size_t)sprintf(s, unit ? "(a=72 " : "(a=\"");
            memset(s + n, 'x', (size_t)k);
            n += (size_t)k;
            n += (size_t)sprintf(s + n, unit ? ")" : "\")");
            e = featexpr_parse(s, n, 0, &pos, &why);
            if (extra) {
                assert_null(e);
                assert_non_null(strstr(why.text, "over 128 characters"));
                continue;
            }
            assert_non_null(e);
            t = featexpr_print(e);
            assert_int_equal(strlen(t), n - (size_t)unit); /* "72 x" -> "72x" */
            f = featexpr_parse(t, strlen(t), 0, NULL, &why);
            assert_non_null(f);
            free(t);
            featexpr_free(f);
            featexpr_free(e);
        }
    }
    free(s);
}

static void
test_featexpr_limits_dnf_blowup(void **state)
{
    char s[8192];
    size_t n = 0;
    struct featexpr *e, *res;
    struct errbuf why;

    (void)state;
    /* 2^24 conjunctions, all satisfiable */
    n += (size_t)sprintf(s + n, "(&");
    for (int i = 0; i < 24; i++)
        n += (size_t)sprintf(s + n, " (| (a%d=1) (a%d=2))", i, i);
    n += (size_t)sprintf(s + n, ")");
    e = parse_ok(s);
    assert_int_equal(featexpr_satisfiable(e, &why), 1); /* lazy: first wins */
    assert_int_equal(featexpr_intersect(e, NULL, 0, &res, &why), -1);
    assert_null(res);
    if (strstr(why.text, "conjunctions") == NULL)
        fail_msg("unexpected error: %s", why.text);
    featexpr_free(e);

    /* the clash sits below every branch: enumeration hits the bound */
    n = (size_t)sprintf(s, "(&");
    for (int i = 0; i < 24; i++)
        n += (size_t)sprintf(s + n, " (| (a%d=1) (a%d=2))", i, i);
    n += (size_t)sprintf(s + n, " (| (& (z=1) (z=2))))");
    e = parse_ok(s);
    assert_int_equal(featexpr_satisfiable(e, &why), -1);
    featexpr_free(e);

    /* a top-level clash is found before any branching */
    n = (size_t)sprintf(s, "(& (z=1)");
    for (int i = 0; i < 24; i++)
        n += (size_t)sprintf(s + n, " (| (a%d=1) (a%d=2))", i, i);
    n += (size_t)sprintf(s + n, " (z=2))");
    e = parse_ok(s);
    assert_int_equal(featexpr_satisfiable(e, &why), 0);
    featexpr_free(e);
}

/* ---- property test: intersection vs brute force ---- */

/* Universe: a, b numeric (constants 1..3), c token (x y z), d Boolean. The
 * values checked per tag cover every constant, the points between and
 * beyond them, and a fresh token, so any satisfiable conjunction has a
 * witness among them. */
#define NA 7
#define NC 4
static const char *const num_vals[NA] = {"0", "1", "3/2", "2", "5/2", "3", "4"};
static const char *const tok_vals[NC] = {"x", "y", "z", "w"};
static const char *const bool_vals[2] = {"TRUE", "FALSE"};

static uint32_t
rng(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void
gen(char *buf, size_t *n, size_t cap, uint32_t *s, int depth)
{
    int k = (int)(rng(s) % (depth > 0 ? 6 : 3));
    static const char *const ops[] = {"=", "<=", ">="};

    if (*n + 64 >= cap)
        k = 0;
    if (k <= 2) { /* comparison or set */
        int tag = (int)(rng(s) % 4);
        char tagc[2] = {"abcd"[tag], 0};
        if (tag <= 1 && rng(s) % 4 == 0) {
            int lo = 1 + (int)(rng(s) % 3), hi = lo + (int)(rng(s) % 2);
            *n += (size_t)snprintf(buf + *n, cap - *n, "(%s=[%d..%d,%d])", tagc,
                                   lo, hi, 1 + (int)(rng(s) % 3));
        } else if (tag == 2 && rng(s) % 4 == 0) {
            *n += (size_t)snprintf(buf + *n, cap - *n, "(c=[%s,%s])",
                                   tok_vals[rng(s) % 3], tok_vals[rng(s) % 3]);
        } else {
            const char *v = tag <= 1   ? num_vals[1 + 2 * (rng(s) % 3)]
                            : tag == 2 ? tok_vals[rng(s) % 3]
                                       : bool_vals[rng(s) % 2];
            *n += (size_t)snprintf(buf + *n, cap - *n, "(%s%s%s)", tagc,
                                   ops[rng(s) % 3], v);
        }
        return;
    }
    if (k == 3) {
        *n += (size_t)snprintf(buf + *n, cap - *n, "(! ");
        gen(buf, n, cap, s, depth - 1);
        *n += (size_t)snprintf(buf + *n, cap - *n, ")");
        return;
    }
    *n += (size_t)snprintf(buf + *n, cap - *n, "(%s", k == 4 ? "&" : "|");
    for (int i = 0, m = 1 + (int)(rng(s) % 3); i < m; i++) {
        *n += (size_t)snprintf(buf + *n, cap - *n, " ");
        gen(buf, n, cap, s, depth - 1);
    }
    *n += (size_t)snprintf(buf + *n, cap - *n, ")");
}

static void
test_featexpr_property_intersection_brute_force(void **state)
{
    uint32_t seed = 0x2533u;
    int agree = 0, nonempty = 0;
    static char text[NA * NA * NC * 2][64];
    static struct featexpr_coll colls[NA * NA * NC * 2];
    size_t ncoll = 0;

    (void)state;
    for (int ia = 0; ia < NA; ia++)
        for (int ib = 0; ib < NA; ib++)
            for (int ic = 0; ic < NC; ic++)
                for (int id = 0; id < 2; id++) {
                    snprintf(text[ncoll], sizeof text[0], "a=%s b=%s c=%s d=%s",
                             num_vals[ia], num_vals[ib], tok_vals[ic],
                             bool_vals[id]);
                    coll_from(&colls[ncoll], text[ncoll]);
                    ncoll++;
                }
    for (int iter = 0; iter < 3000; iter++) {
        char sa[2048], sb[2048];
        size_t na = 0, nb = 0;
        struct featexpr *a, *b, *res = NULL;
        struct errbuf why;
        int r, brute = 0, part_brute = 0;

        gen(sa, &na, sizeof sa, &seed, 3);
        gen(sb, &nb, sizeof sb, &seed, 3);
        a = parse_ok(sa);
        b = parse_ok(sb);
        r = featexpr_intersect(a, b, 0, &res, &why);
        assert_true(r == 0 || r == 1);
        for (size_t k = 0; k < ncoll; k++) {
            int ea = featexpr_eval(a, &colls[k]);
            int want = ea && featexpr_eval(b, &colls[k]);
            int got = res ? featexpr_eval(res, &colls[k]) : 0;
            brute |= want;
            if (want != got)
                fail_msg("iter %d: %s & %s at collection %zu: brute %d, "
                         "intersection %d",
                         iter, sa, sb, k, want, got);
            /* collections with a=2 (num_vals[3]) */
            if (k / (NA * NC * 2) == 3 && ea)
                part_brute = 1;
        }
        if (r != brute)
            fail_msg("iter %d: %s & %s: intersect %d, brute force %d", iter, sa,
                     sb, r, brute);
        /* match with a partial collection = exists a completion */
        assert_int_equal(match_str(a, "a=2"), part_brute);
        nonempty += brute;
        agree++;
        featexpr_free(res);
        featexpr_free(a);
        featexpr_free(b);
    }
    assert_int_equal(agree, 3000);
    /* the generator is not degenerate: both outcomes occur often */
    assert_true(nonempty > 300 && nonempty < 2700);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_featexpr_parse_table),
        cmocka_unit_test(test_featexpr_satisfiable_merge_rules),
        cmocka_unit_test(test_featexpr_intersect_rfc2533_7_1),
        cmocka_unit_test(test_featexpr_intersect_rfc2879_4_7),
        cmocka_unit_test(test_featexpr_match_rfc4141_9_2),
        cmocka_unit_test(test_featexpr_mentions_and_tags),
        cmocka_unit_test(test_featexpr_limits_depth_size),
        cmocka_unit_test(test_featexpr_limits_dnf_blowup),
        cmocka_unit_test(test_featexpr_property_intersection_brute_force),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* tests for smtp/conneg: reply reassembly, candidate choice, fallbacks */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/conneg.h"
#include "smtp/featexpr.h"

static char *
read_data(const char *name)
{
    const char *src = getenv("IFAXGW_SRC");
    char path[1024];
    FILE *f;
    char *buf;
    size_t n;

    if (src != NULL)
        snprintf(path, sizeof path, "%s/tests/data/featexpr/%s", src, name);
    else /* __FILE__ is .../tests/unit/smtp/test_conneg.c */
        snprintf(path, sizeof path, "%.*s/../../data/featexpr/%s",
                 (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__, name);
    f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    buf = malloc(1 << 20);
    n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static struct conneg_source
source(const char *desc)
{
    struct conneg_source s;
    struct errbuf why;

    if (conneg_source_parse(desc, &s, &why) != 0)
        fail_msg("source %s: %s", desc, why.text);
    return s;
}

/* ---- reassembly ---- */

static void
test_conneg_caps_rfc_layout_with_status_codes(void **state)
{
    const char *reply =
        "250-2.1.5<June@some.example.com> recipient ok\r\n"
        "250-2.1.5 CONNEG (&(image-file-structure=TIFF-minimal)\r\n"
        "250-CONNEG   (MRC-mode=0)\r\n"
        "250-conneg\t(color=Binary) \r\n"
        "250 2.1.5 CONNEG   (ua-media=stationery) )";
    struct conneg_caps caps;
    struct errbuf why;
    int line, col;

    (void)state;
    assert_true(conneg_caps_is_reply(reply));
    assert_int_equal(conneg_caps_from_reply(reply, &caps, &why), 1);
    assert_string_equal(caps.text,
                        "(&(image-file-structure=TIFF-minimal) (MRC-mode=0) "
                        "(color=Binary) (ua-media=stationery) )");
    assert_int_equal(caps.nfrag, 4);
    conneg_caps_where(&caps, strstr(caps.text, "(color") - caps.text, &line,
                      &col);
    assert_int_equal(line, 4);
    assert_int_equal(col, 12);
    conneg_caps_release(&caps);
}

static void
test_conneg_caps_stripped_and_peer_layouts(void **state)
{
    /* codes already removed by the SMTP client, and the aiosmtpd test peer
     * (two filters, address line last; peers-and-libraries.md 2) */
    const char *stripped = "<fax@example.test> recipient ok\n"
                           "CONNEG (&(image-coding=[MH,MR])\n"
                           "CONNEG (dpi=200))";
    const char *peer = "(&(image-coding=[MH,MR,MMR])(dpi=200))\n"
                       "(&(paper-size=A4)(color=Binary))\n"
                       "<fax@example.test> OK, capabilities follow";
    struct conneg_caps caps;
    struct errbuf why;
    struct conneg_choice ch;
    struct conneg_source src = source("MMR 204x196 A4");

    (void)state;
    assert_int_equal(conneg_caps_from_reply(stripped, &caps, &why), 1);
    assert_string_equal(caps.text, "(&(image-coding=[MH,MR]) (dpi=200))");
    conneg_caps_release(&caps);
    assert_true(conneg_caps_is_reply(peer));
    assert_int_equal(conneg_caps_from_reply(peer, &caps, &why), 1);
    assert_string_equal(caps.text, "(&(image-coding=[MH,MR,MMR])(dpi=200)) "
                                   "(&(paper-size=A4)(color=Binary))");
    conneg_caps_release(&caps);
    assert_int_equal(conneg_choose_reply(peer, &src, &ch, &why), 0);
    assert_int_equal(ch.outcome, CONNEG_CHOSEN);
    assert_int_equal(ch.fmt.coding, PAGE_CODING_MMR);
    assert_int_equal(ch.fmt.xres, 200); /* relabelled 204x196 -> 200x200 */
    assert_int_equal(ch.fmt.yres, 200);
    assert_true(ch.relabelled);
    assert_int_equal(ch.grid_xres, 204);
    assert_int_equal(ch.grid_yres, 196);
}

static void
test_conneg_caps_none_and_oversize(void **state)
{
    struct conneg_caps caps;
    struct errbuf why;
    struct conneg_choice ch;
    struct conneg_source src = source("MH 204x98 letter");
    char *big;

    (void)state;
    assert_int_equal(conneg_caps_from_reply("250 2.1.5 <a@b> ok", &caps, &why),
                     0);
    assert_null(caps.text);
    conneg_caps_release(&caps);
    assert_int_equal(conneg_choose_reply("250 OK", &src, &ch, &why), 0);
    assert_int_equal(ch.outcome, CONNEG_FALLBACK_UNKNOWN);
    assert_false(ch.parse_failed);
    assert_int_equal(ch.fmt.yres, 98); /* standard source: 204x98 */
    assert_int_equal(ch.fmt.paper, PAGE_PAPER_LETTER);

    /* 6 capability bytes per 17-byte line: 3.5 x the limit is over it */
    big = malloc(CONNEG_CAPS_MAX * 4);
    strcpy(big, "250-CONNEG (&");
    for (size_t n = strlen(big); n < CONNEG_CAPS_MAX * 7 / 2;)
        n += (size_t)snprintf(big + n, CONNEG_CAPS_MAX * 4 - n,
                              "\n250-CONNEG (a=1)");
    assert_int_equal(conneg_caps_from_reply(big, &caps, &why), -1);
    assert_non_null(strstr(why.text, "over"));
    conneg_caps_release(&caps);
    assert_int_equal(conneg_choose_reply(big, &src, &ch, &why), 0);
    assert_int_equal(ch.outcome, CONNEG_FALLBACK_UNKNOWN);
    assert_true(ch.parse_failed);
    free(big);
}

/* ---- the seed: Panasonic DP-3510..6030 capability sample ---- */

static void
test_conneg_seed_panasonic_rejected_with_position(void **state)
{
    char *reply = read_data("panasonic_seed.reply");
    struct conneg_source src = source("MMR 204x196 1728 A4");
    struct conneg_choice ch;
    struct errbuf why;

    (void)state;
    assert_int_equal(conneg_choose_reply(reply, &src, &ch, &why), 0);
    assert_int_equal(ch.outcome, CONNEG_FALLBACK_UNKNOWN);
    assert_true(ch.parse_failed);
    /* the ')' too many closes the filter after the paper-size line; the
     * stray one is found at the end of the last line */
    assert_int_equal(ch.err_line, 17);
    assert_int_equal(ch.err_col, 28);
    assert_non_null(strstr(ch.err_text, "unexpected ')'"));
    assert_int_equal(ch.profile, 'S');
    assert_int_equal(ch.fmt.coding, PAGE_CODING_MH);
    assert_int_equal(ch.fmt.width, 1728);
    assert_int_equal(ch.fmt.xres, 204);
    assert_int_equal(ch.fmt.yres, 196);
    assert_true(ch.fmt.profile_s);
    free(reply);
}

static void
test_conneg_seed_panasonic_corrected(void **state)
{
    char *fixed = read_data("panasonic_fixed.reply");
    char *parens = read_data("panasonic_parens_fixed.reply");
    struct conneg_source src = source("MMR 204x196 1728 A4");
    struct conneg_choice ch;
    struct errbuf why;

    (void)state;
    assert_int_equal(conneg_choose_reply(fixed, &src, &ch, &why), 0);
    assert_int_equal(ch.outcome, CONNEG_CHOSEN);
    assert_int_equal(ch.fmt.coding, PAGE_CODING_JBIG);
    assert_int_equal(ch.profile, 'J');
    assert_int_equal(ch.fmt.xres, 204);
    assert_int_equal(ch.fmt.yres, 196);
    assert_int_equal(ch.fmt.width, 1728);
    assert_string_equal(ch.mime_type, "image/tiff; application=faxbw");
    assert_string_equal(ch.file_structure, "TIFF-minimal");
    assert_string_equal(ch.warning, "");
    assert_string_equal(
        ch.features,
        "(& (image-file-structure=TIFF-minimal) (MRC-mode=0) (color=Binary)"
        " (image-coding=JBIG) (image-coding-constraint=JBIG-T85)"
        " (JBIG-stripe-size=128) (dpi=204) (dpi-xyratio=204/196)"
        " (size-x=2150/254) (paper-size=A4))");
    /* the Content-Features we write is itself within the capability */
    {
        struct conneg_caps caps;
        struct featexpr *cf, *cap, *res;
        assert_int_equal(conneg_caps_from_reply(fixed, &caps, &why), 1);
        cap = featexpr_parse(caps.text, caps.len, 0, NULL, &why);
        cf = featexpr_parse(ch.features, strlen(ch.features), 0, NULL, &why);
        assert_non_null(cap);
        assert_non_null(cf);
        assert_int_equal(featexpr_intersect(cap, cf, 0, &res, &why), 1);
        featexpr_free(res);
        featexpr_free(cap);
        featexpr_free(cf);
        conneg_caps_release(&caps);
    }
    /* only MH/MR producible: MR */
    src.codings = 1u << PAGE_CODING_MH | 1u << PAGE_CODING_MR;
    assert_int_equal(conneg_choose_reply(fixed, &src, &ch, &why), 0);
    assert_int_equal(ch.fmt.coding, PAGE_CODING_MR);
    assert_int_equal(ch.profile, 'F');

    /* brackets fixed but "imagecoding" kept: that branch constrains a tag
     * no schema defines, so JBIG is not justified; MMR is */
    src.codings = 0;
    assert_int_equal(conneg_choose_reply(parens, &src, &ch, &why), 0);
    assert_int_equal(ch.outcome, CONNEG_CHOSEN);
    assert_int_equal(ch.fmt.coding, PAGE_CODING_MMR);
    assert_non_null(strstr(ch.warning, "imagecoding"));
    free(fixed);
    free(parens);
}

/* ---- choice table ---- */

struct choose_case {
    const char *name;
    const char *caps; /* NULL: unknown */
    const char *src;
    enum conneg_outcome outcome;
    enum page_coding coding;
    int xres, yres, width;
    char profile;
    const char *mime;
};

static const struct choose_case choose_cases[] = {
    {"unknown caps, fine source", NULL, "JBIG 408x391 A4",
     CONNEG_FALLBACK_UNKNOWN, PAGE_CODING_MH, 204, 196, 1728, 'S',
     "image/tiff; application=faxbw"},
    {"unknown caps, standard source", NULL, "MMR 200x100 B4",
     CONNEG_FALLBACK_UNKNOWN, PAGE_CODING_MH, 204, 98, 1728, 'S', NULL},
    {"no match: grey only", "(& (color=Grey) (image-coding=JPEG))",
     "MMR 204x196 A4", CONNEG_FALLBACK_NOMATCH, PAGE_CODING_MH, 204, 196, 1728,
     'S', NULL},
    {"simple mode (RFC 2879 4.1)",
     "(& (image-file-structure=TIFF-minimal) (MRC-mode=0) (color=Binary)"
     " (image-coding=MH) (| (& (dpi=204) (dpi-xyratio=[204/98,204/196]))"
     " (& (dpi=200) (dpi-xyratio=[200/100,1]))) (size-x<=2150/254)"
     " (paper-size=A4) (ua-media=stationery))",
     "MMR 204x196 A4", CONNEG_CHOSEN, PAGE_CODING_MH, 204, 196, 1728, 'S',
     NULL},
    {"highest resolution not above source",
     "(& (image-coding=[MMR,JBIG]) (image-coding-constraint=JBIG-T85)"
     " (JBIG-stripe-size=128) (| (& (dpi=300) (dpi-xyratio=1))"
     " (& (dpi=204) (dpi-xyratio=[204/98,204/196]))))",
     "MMR 408x391 A4", CONNEG_CHOSEN, PAGE_CODING_JBIG, 300, 300, 2592, 'J',
     NULL},
    {"source resolution caps the choice", "(image-coding=MMR)", "MH 204x98 A4",
     CONNEG_CHOSEN, PAGE_CODING_MMR, 204, 98, 1728, 'F', NULL},
    {"B4 kept when listed",
     "(& (image-coding=MR) (paper-size=[A4,B4]) (size-x<=2550/254))",
     "MH 204x196 B4", CONNEG_CHOSEN, PAGE_CODING_MR, 204, 196, 2048, 'F', NULL},
    {"B4 reduced to A4 when not", "(& (image-coding=MR) (paper-size=A4))",
     "MH 204x196 B4", CONNEG_CHOSEN, PAGE_CODING_MR, 204, 196, 1728, 'F', NULL},
    {"JBIG as image/tiff-fx when listed",
     "(& (image-coding=JBIG) (image-coding-constraint=JBIG-T85)"
     " (| (type=\"image/tiff-fx\") (type=\"image/tiff\")))",
     "MH 204x196 A4", CONNEG_CHOSEN, PAGE_CODING_JBIG, 204, 196, 1728, 'J',
     "image/tiff-fx"},
    {"type image/tiff only", "(& (type=\"image/tiff\") (image-coding=MMR))",
     "MH 204x196 A4", CONNEG_CHOSEN, PAGE_CODING_MMR, 204, 196, 1728, 'F',
     "image/tiff; application=faxbw"},
    {"lenient > and stripe size >=0 (RFC 2879 A.11)",
     "(& (image-coding=JBIG) (image-coding-constraint=JBIG-T85)"
     " (JBIG-stripe-size>0))",
     "MH 204x196 A4", CONNEG_CHOSEN, PAGE_CODING_JBIG, 204, 196, 1728, 'J',
     NULL},
    {"metric pair listed for inch source",
     "(& (image-coding=MH) (dpi=204) (dpi-xyratio=204/98))", "MH 200x100 A4",
     CONNEG_CHOSEN, PAGE_CODING_MH, 204, 98, 1728, 'S', NULL},
    {"400 for 408x391 source",
     "(& (image-coding=MMR) (dpi=400) (dpi-xyratio=1))", "MMR 408x391 A4",
     CONNEG_CHOSEN, PAGE_CODING_MMR, 400, 400, 3456, 'F', NULL},
    {"RFC 2879 App. B TIFF-S vocabulary",
     "(TIFF-S) where (TIFF-S) :- (& (image-file-structure=TIFF-S)"
     " (color=Binary) (image-coding=MH) (MRC-mode=0)"
     " (| (& (dpi=200) (dpi-xyratio=[200/100,200/200]) (size-x=1728/200))"
     "    (& (dpi=204) (dpi-xyratio=[204/98,204/196]) (size-x=1728/204)))"
     " (paper-size=A4)) end",
     "MMR 204x196 A4", CONNEG_CHOSEN, PAGE_CODING_MH, 204, 196, 1728, 'S',
     NULL},
    {"unparsable: unknown", "(& (color=Binary) (dpi-xy 200)", "MMR 204x196 A4",
     CONNEG_FALLBACK_UNKNOWN, PAGE_CODING_MH, 204, 196, 1728, 'S', NULL},
};

static void
test_conneg_choose_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof choose_cases / sizeof choose_cases[0]; i++) {
        const struct choose_case *c = &choose_cases[i];
        struct conneg_source src = source(c->src);
        struct conneg_choice ch;
        struct errbuf why;

        assert_int_equal(conneg_choose(c->caps, &src, &ch, &why), 0);
        if (ch.outcome != c->outcome || ch.fmt.coding != c->coding ||
            ch.fmt.xres != c->xres || ch.fmt.yres != c->yres ||
            ch.fmt.width != c->width || ch.profile != c->profile)
            fail_msg("%s: got %s %s %dx%d w%d %c (%s), expected %s %s "
                     "%dx%d w%d %c",
                     c->name, conneg_outcome_name(ch.outcome),
                     page_coding_name(ch.fmt.coding), ch.fmt.xres, ch.fmt.yres,
                     ch.fmt.width, ch.profile, ch.err_text,
                     conneg_outcome_name(c->outcome),
                     page_coding_name(c->coding), c->xres, c->yres, c->width,
                     c->profile);
        if (c->mime != NULL && strcmp(ch.mime_type, c->mime) != 0)
            fail_msg("%s: mime %s", c->name, ch.mime_type);
        if (ch.outcome == CONNEG_CHOSEN) {
            /* what we describe is acceptable to the capability */
            struct featexpr *cap = featexpr_parse(
                c->caps, strlen(c->caps), FEATEXPR_LENIENT_CMP, NULL, &why);
            struct featexpr *cf =
                featexpr_parse(ch.features, strlen(ch.features), 0, NULL, &why);
            struct featexpr *res;
            assert_non_null(cap);
            assert_non_null(cf);
            if (featexpr_intersect(cap, cf, 0, &res, &why) != 1)
                fail_msg("%s: features %s not within caps", c->name,
                         ch.features);
            featexpr_free(res);
            featexpr_free(cap);
            featexpr_free(cf);
        }
    }
}

static void
test_conneg_source_parse_and_widths(void **state)
{
    struct conneg_source s;
    struct errbuf why;

    (void)state;
    assert_int_equal(conneg_source_parse("A3 300x300 JBIG", &s, &why), 0);
    assert_int_equal(s.coding, PAGE_CODING_JBIG);
    assert_int_equal(s.paper, PAGE_PAPER_A3);
    assert_int_equal(s.width, 3648);
    assert_int_equal(conneg_source_parse("MMR A4", &s, &why), -1);
    assert_int_equal(conneg_source_parse("MMR 204x196 A5", &s, &why), -1);
    assert_non_null(strstr(why.text, "A5"));
    assert_int_equal(conneg_width_for(PAGE_PAPER_LETTER, 204), 1728);
    assert_int_equal(conneg_width_for(PAGE_PAPER_B4, 200), 2048);
    assert_int_equal(conneg_width_for(PAGE_PAPER_A3, 408), 4864);
    assert_int_equal(conneg_width_for(PAGE_PAPER_A4, 600), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conneg_caps_rfc_layout_with_status_codes),
        cmocka_unit_test(test_conneg_caps_stripped_and_peer_layouts),
        cmocka_unit_test(test_conneg_caps_none_and_oversize),
        cmocka_unit_test(test_conneg_seed_panasonic_rejected_with_position),
        cmocka_unit_test(test_conneg_seed_panasonic_corrected),
        cmocka_unit_test(test_conneg_choose_table),
        cmocka_unit_test(test_conneg_source_parse_and_widths),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

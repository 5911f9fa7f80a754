/* tests for t30/ladder: frames captured from real SpanDSP calls
 * (ifaxgw-vline --send against the Class 1 driver, t30.log of
 * tests/tools/t30_linerun), decoded into readable steps */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "t30/ladder.h"

struct frame {
    bool incoming;
    uint32_t count;
    size_t len;
    uint8_t data[40];
};

#define F(in, ...)                                                             \
    {                                                                          \
        in, 1, sizeof((uint8_t[]){__VA_ARGS__}),                               \
        {                                                                      \
            __VA_ARGS__                                                        \
        }                                                                      \
    }

/* A non-ECM V.17 call, two pages (MPS, EOP), from a SpanDSP sender. */
static const struct frame plain_call[] = {
    F(false, 0xff, 0x03, 0x40, 0x39, 0x39, 0x31, 0x30, 0x20, 0x35, 0x35, 0x35,
      0x20, 0x31, 0x2b, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20),
    F(false, 0xff, 0x13, 0x80, 0x00, 0xee, 0xf8, 0x80, 0x80, 0x91, 0x80, 0x80,
      0x80, 0x18),
    F(true, 0xff, 0x03, 0x43, 0x34, 0x33, 0x32, 0x31, 0x20, 0x30, 0x33, 0x20,
      0x39, 0x34, 0x2b, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20),
    F(true, 0xff, 0x13, 0x83, 0x00, 0xe2, 0x78),
    F(false, 0xff, 0x13, 0x84),
    F(true, 0xff, 0x13, 0x4f),
    F(false, 0xff, 0x13, 0x8c),
    F(true, 0xff, 0x13, 0x2f),
    F(false, 0xff, 0x13, 0x8c),
    F(true, 0xff, 0x13, 0xfb),
};

static void
run(struct ladder *ld, const struct frame *f, size_t n, struct ladder_step *out)
{
    ladder_init(ld);
    for (size_t i = 0; i < n; i++)
        ladder_frame(ld, f[i].data, f[i].len, f[i].incoming, f[i].count,
                     &out[i]);
}

static void
test_plain_call_reads_as_a_ladder(void **state)
{
    struct ladder ld;
    struct ladder_step s[10];

    (void)state;
    run(&ld, plain_call, 10, s);
    assert_string_equal(s[0].name, "CSI");
    assert_string_equal(s[0].text, "\"+1 555 0199\"");
    assert_string_equal(s[1].name, "DIS");
    assert_string_equal(s[1].text,
                        "can receive: V.27ter+V.29+V.17 (14400), "
                        "standard+fine+superfine, MH+MR, widths A4, length "
                        "unlimited, no ECM");
    assert_string_equal(s[2].text, "\"+49 30 1234\"");
    assert_string_equal(s[3].name, "DCS");
    assert_string_equal(s[3].text, "V.17 14400, fine 204x196, MR (T.4 2-D), "
                                   "width A4, length unlimited, no ECM");
    assert_string_equal(s[4].name, "CFR");
    assert_non_null(strstr(s[4].text, "TCF) passed"));
    assert_string_equal(s[5].name, "MPS");
    assert_string_equal(s[5].text, "end of page 1, more pages follow");
    assert_string_equal(s[6].text, "page 1 confirmed");
    assert_string_equal(s[7].text, "end of page 2, last page");
    assert_string_equal(s[8].text, "page 2 confirmed");
    assert_string_equal(s[9].name, "DCN");
    assert_string_equal(s[9].text, "disconnect: call complete");
    for (int i = 0; i < 10; i++)
        assert_string_equal(s[i].level, "");
    assert_int_equal(ld.counts[LADDER_MCF], 2);
    assert_int_equal(ld.counts[LADDER_MPS], 1);
    assert_int_equal(ld.counts[LADDER_EOP], 1);
    assert_int_equal(ld.counts[LADDER_CFR], 1);
}

/* An ECM call with a noise burst in page 1: PPS-MPS answered by PPR (3
 * frames again), then MCF; T.6 at V.17. */
static void
test_ecm_call_counts_ppr_frames(void **state)
{
    static const struct frame ecm[] = {
        F(false, 0xff, 0x13, 0x80, 0x00, 0xee, 0xf8, 0xc4, 0x80, 0x91, 0x80,
          0x80, 0x80, 0x18),
        F(true, 0xff, 0x13, 0x83, 0x00, 0x62, 0xf8, 0x44),
        F(false, 0xff, 0x13, 0x84),
        {true, 186, 4, {0xff, 0x03, 0x06, 0x00}},
        F(true, 0xff, 0x03, 0x86),
        F(true, 0xff, 0x13, 0xbf, 0x4f, 0x00, 0x00, 0xbc),
        F(false, 0xff, 0x13, 0xbc, 0x00, 0x00, 0x00, 0xe0, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff, 0xff,
          0xff, 0xff, 0xff),
        F(true, 0xff, 0x13, 0xbf, 0x4f, 0x00, 0x00, 0x02),
        F(false, 0xff, 0x13, 0x8c),
        F(true, 0xff, 0x13, 0xbf, 0x2f, 0x01, 0x00, 0xbe),
        F(false, 0xff, 0x13, 0x8c),
        F(true, 0xff, 0x13, 0xfb),
    };
    struct ladder ld;
    struct ladder_step s[12];

    (void)state;
    run(&ld, ecm, 12, s);
    assert_non_null(strstr(s[0].text, ", ECM"));
    assert_string_equal(s[1].text, "V.17 14400, fine 204x196, MMR (T.6), "
                                   "width A4, length unlimited, ECM 256-byte "
                                   "frames");
    assert_string_equal(s[3].name, "FCD");
    assert_string_equal(s[3].text, "image data (ECM) (x186)");
    assert_string_equal(s[5].name, "PPS");
    assert_string_equal(s[5].text, "end of page 1, more pages follow "
                                   "(PPS-MPS, block 0, 189 frames)");
    assert_string_equal(s[6].name, "PPR");
    /* bits past frame 188 are set by SpanDSP but are no frames */
    assert_string_equal(s[6].text,
                        "partial page request: 3 frames to send again");
    assert_string_equal(s[6].level, "warn");
    assert_string_equal(s[7].text, "end of page 1, more pages follow "
                                   "(PPS-MPS, block 0, 3 frames)");
    assert_string_equal(s[8].text, "page 1 confirmed");
    assert_string_equal(s[9].text, "end of page 2, last page "
                                   "(PPS-EOP, block 0, 191 frames)");
    assert_string_equal(s[11].text, "disconnect: call complete");
    assert_int_equal(ld.counts[LADDER_PPR], 1);
    assert_int_equal(ld.counts[LADDER_PPS], 3);
    assert_int_equal(ld.counts[LADDER_MCF], 2);
}

/* Failures: FTT after a bad training, RTN for a bad page, DCN before the
 * last page was confirmed; a hostile TSI stays printable. */
static void
test_failures_are_marked(void **state)
{
    static const struct frame bad[] = {
        F(true, 0xff, 0x03, 0x43, 0x22, 0x1b, 0xfc, 0x4d, 0x20, 0x20),
        F(true, 0xff, 0x13, 0x83, 0x00, 0xe2, 0x78),
        F(false, 0xff, 0x13, 0x44),
        F(true, 0xff, 0x13, 0x83, 0x00, 0xea, 0x78),
        F(false, 0xff, 0x13, 0x84),
        F(true, 0xff, 0x13, 0x4f),
        F(false, 0xff, 0x13, 0x4c),
        F(true, 0xff, 0x13, 0xfb),
        {true, 1, 2, {0xff, 0x13}},
    };
    struct ladder ld;
    struct ladder_step s[9];

    (void)state;
    run(&ld, bad, 9, s);
    assert_string_equal(s[0].text, "\"M\\xfc\\x1b\\x22\"");
    assert_string_equal(s[2].name, "FTT");
    assert_string_equal(s[2].level, "fail");
    assert_string_equal(s[3].text, "V.17 12000, fine 204x196, MR (T.4 2-D), "
                                   "width A4, length unlimited, no ECM");
    assert_string_equal(s[6].name, "RTN");
    assert_string_equal(s[6].level, "fail");
    assert_non_null(strstr(s[6].text, "page 1 not accepted"));
    assert_string_equal(s[7].level, "fail");
    assert_string_equal(s[7].text,
                        "disconnect before the last page was confirmed");
    assert_string_equal(s[8].name, "?");
    assert_string_equal(s[8].level, "warn");
    assert_int_equal(ld.counts[LADDER_FTT], 1);
    assert_int_equal(ld.counts[LADDER_RTN], 1);
    assert_int_equal(ld.counts[LADDER_MCF], 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_call_reads_as_a_ladder),
        cmocka_unit_test(test_ecm_call_counts_ppr_frames),
        cmocka_unit_test(test_failures_are_marked),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

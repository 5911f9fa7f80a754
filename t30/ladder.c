/* ladder - T.30 frames decoded into a readable ladder (contract in ladder.h)
 *
 * Bit numbers are T.30 Table 2's: bit n of the FIF is octet (n-1)/8, mask
 * 1 << ((n-1) % 8), the FIF starting after "ff 03|13 FCF". */
#include "t30/ladder.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <spandsp.h>

#define FIF_OFF 3 /* address, control, FCF */

static const char *const count_names[LADDER_NCOUNTS] = {
    [LADDER_CFR] = "CFR", [LADDER_FTT] = "FTT", [LADDER_MPS] = "MPS",
    [LADDER_EOP] = "EOP", [LADDER_EOM] = "EOM", [LADDER_PPS] = "PPS",
    [LADDER_MCF] = "MCF", [LADDER_RTP] = "RTP", [LADDER_RTN] = "RTN",
    [LADDER_PPR] = "PPR", [LADDER_CRP] = "CRP", [LADDER_DCN] = "DCN",
};

const char *
ladder_count_name(enum ladder_count c)
{
    return (unsigned)c < LADDER_NCOUNTS ? count_names[c] : "?";
}

void
ladder_init(struct ladder *ld)
{
    memset(ld, 0, sizeof *ld);
}

/* Append to the step's text (bounded; a cut text stays terminated). */
static void say(struct ladder_step *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(struct ladder_step *s, const char *fmt, ...)
{
    size_t n = strlen(s->text);
    va_list ap;

    if (n + 1 >= sizeof s->text)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(s->text + n, sizeof s->text - n, fmt, ap);
    va_end(ap);
}

static bool
fif_bit(const uint8_t *fif, size_t len, int bit)
{
    size_t octet = (size_t)(bit - 1) / 8;

    return octet < len && (fif[octet] & (1u << ((bit - 1) % 8))) != 0;
}

/* Bits 11..14 read as "b11 b12 b13 b14", T.30 Table 2's order. */
static int
modem_bits(const uint8_t *fif, size_t len)
{
    return fif_bit(fif, len, 11) << 3 | fif_bit(fif, len, 12) << 2 |
           fif_bit(fif, len, 13) << 1 | fif_bit(fif, len, 14);
}

static const char *
dis_modems(int v)
{
    switch (v) {
    case 0x0:
        return "V.27ter fall-back (2400)";
    case 0x4:
        return "V.27ter (4800)";
    case 0x8:
        return "V.29 (9600)";
    case 0xc:
        return "V.27ter+V.29 (9600)";
    case 0xd:
        return "V.27ter+V.29+V.17 (14400)";
    case 0xe:
        return "V.27ter+V.29+V.33 (14400)";
    }
    return "reserved modem bits";
}

/* DCS modem choices (T.30 Table 2, bits 11..14): name and speed. */
static const struct {
    int bits;
    const char *name;
    int rate;
} dcs_modems[] = {
    {0x0, "V.27ter 2400", 2400}, {0x4, "V.27ter 4800", 4800},
    {0x8, "V.29 9600", 9600},    {0xc, "V.29 7200", 7200},
    {0x1, "V.17 14400", 14400},  {0x5, "V.17 12000", 12000},
    {0x9, "V.17 9600", 9600},    {0xd, "V.17 7200", 7200},
    {0x2, "V.33 14400", 14400},  {0x6, "V.33 12000", 12000},
};

static const char *
dcs_modem(int v)
{
    for (size_t i = 0; i < sizeof dcs_modems / sizeof dcs_modems[0]; i++)
        if (dcs_modems[i].bits == v)
            return dcs_modems[i].name;
    return "reserved modem bits";
}

int
ladder_dcs_rate(const uint8_t *fif, size_t len)
{
    int v = modem_bits(fif, len);

    if (len < 2)
        return 0;
    for (size_t i = 0; i < sizeof dcs_modems / sizeof dcs_modems[0]; i++)
        if (dcs_modems[i].bits == v)
            return dcs_modems[i].rate;
    return 0;
}

/* Resolutions: standard always; bits 15, 41, 42, 43. */
static void
say_resolutions(struct ladder_step *s, const uint8_t *fif, size_t len, bool dcs)
{
    bool fine = fif_bit(fif, len, 15), superfine = fif_bit(fif, len, 41);
    bool r300 = fif_bit(fif, len, 42), r16 = fif_bit(fif, len, 43);

    if (dcs) {
        say(s, ", %s",
            superfine ? "superfine 204x391"
            : r16     ? "hyperfine 408x391"
            : r300    ? "300x300"
            : fine    ? "fine 204x196"
                      : "standard 204x98");
        return;
    }
    say(s, ", standard%s%s%s%s", fine ? "+fine" : "",
        superfine ? "+superfine" : "", r300 ? "+300x300" : "",
        r16 ? "+hyperfine" : "");
}

static void
say_codings(struct ladder_step *s, const uint8_t *fif, size_t len, bool dcs)
{
    bool mr = fif_bit(fif, len, 16), mmr = fif_bit(fif, len, 31);
    bool jbig = fif_bit(fif, len, 78);

    if (dcs) {
        say(s, ", %s",
            jbig  ? "JBIG"
            : mmr ? "MMR (T.6)"
            : mr  ? "MR (T.4 2-D)"
                  : "MH (T.4 1-D)");
        return;
    }
    say(s, ", MH%s%s%s", mr ? "+MR" : "", mmr ? "+MMR" : "",
        jbig ? "+JBIG" : "");
}

static void
say_paper(struct ladder_step *s, const uint8_t *fif, size_t len, bool dcs)
{
    bool w17 = fif_bit(fif, len, 17), w18 = fif_bit(fif, len, 18);
    bool l19 = fif_bit(fif, len, 19), l20 = fif_bit(fif, len, 20);

    if (dcs)
        say(s, ", width %s", w18 ? "A3" : w17 ? "B4" : "A4");
    else
        say(s, ", widths A4%s%s", (w17 || w18) ? "+B4" : "", w18 ? "+A3" : "");
    say(s, ", length %s", l20 ? "unlimited" : l19 ? "A4/B4" : "A4");
}

/* DIS, DTC (capabilities) and DCS (the sender's choice). */
static void
decode_caps(struct ladder_step *s, const uint8_t *fif, size_t len, bool dcs)
{
    bool ecm = fif_bit(fif, len, 27);

    if (len < 2) {
        say(s, "%s without capabilities (%zu FIF bytes)",
            dcs ? "command" : "capabilities", len);
        s->level = "warn";
        return;
    }
    if (dcs)
        say(s, "%s", dcs_modem(modem_bits(fif, len)));
    else
        say(s, "can %s%s: %s",
            fif_bit(fif, len, 10) ? "receive" : "not receive",
            fif_bit(fif, len, 9) ? ", can send" : "",
            dis_modems(modem_bits(fif, len)));
    say_resolutions(s, fif, len, dcs);
    say_codings(s, fif, len, dcs);
    say_paper(s, fif, len, dcs);
    if (dcs && ecm)
        say(s, ", ECM %d-byte frames", fif_bit(fif, len, 28) ? 64 : 256);
    else
        say(s, ", %s", ecm ? "ECM" : "no ECM");
}

/* CSI/TSI/CIG: 20 characters, last first (T.30 5.3.6.2.4). */
static void
decode_ident(struct ladder_step *s, const uint8_t *fif, size_t len)
{
    size_t end = len, start = 0;

    while (end > 0 && fif[end - 1] == ' ')
        end--; /* leading spaces of the number, sent last */
    while (start < end && fif[start] == ' ')
        start++;
    say(s, "\"");
    for (size_t i = end; i > start; i--) {
        uint8_t c = fif[i - 1];

        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            say(s, "%c", (char)c);
        else
            say(s, "\\x%02x", c);
    }
    say(s, "\"");
}

/* The page a post-page command ends. */
static void
page_end(struct ladder *ld, struct ladder_step *s, int fcf, const char *more)
{
    ld->page++;
    ld->last_was_eop = fcf == T30_EOP || fcf == T30_PRI_EOP;
    ld->confirmed = false;
    say(s, "end of page %d, %s", ld->page, more);
}

/* PPS: FIF = post-page FCF, page, block, frames - 1 (T.30 A.4.3). */
static void
decode_pps(struct ladder *ld, struct ladder_step *s, const uint8_t *fif,
           size_t len)
{
    int fcf2;

    ld->counts[LADDER_PPS]++;
    if (len < 4) {
        say(s, "partial page signal, short (%zu FIF bytes)", len);
        s->level = "warn";
        return;
    }
    fcf2 = fif[0] & 0xfe;
    ld->block_frames = fif[3] + 1;
    if (fcf2 == T30_NULL) {
        say(s, "PPS-NULL: end of block %d of page %d, %d frames", fif[2],
            fif[1] + 1, fif[3] + 1);
        return;
    }
    ld->page = fif[1]; /* page_end() counts it */
    page_end(ld, s, fcf2,
             fcf2 == T30_MPS   ? "more pages follow"
             : fcf2 == T30_EOP ? "last page"
             : fcf2 == T30_EOM ? "another document follows"
                               : "unknown command");
    say(s, " (PPS-%s, block %d, %d frames)", t30_frametype((uint8_t)fcf2),
        fif[2], fif[3] + 1);
}

/* PPR: a 256-bit map of the frames to send again; bits past the block's
 * last frame (SpanDSP sets them) are not frames. */
static void
decode_ppr(struct ladder *ld, struct ladder_step *s, const uint8_t *fif,
           size_t len)
{
    int frames = ld->block_frames > 0 ? ld->block_frames : 256, bad = 0;

    for (int i = 0; i < frames && (size_t)(i / 8) < len; i++)
        bad += (fif[i / 8] >> (i % 8)) & 1;
    say(s, "partial page request: %d frame%s to send again", bad,
        bad == 1 ? "" : "s");
    s->level = "warn";
}

static void
decode_response(struct ladder *ld, struct ladder_step *s, int fcf)
{
    switch (fcf) {
    case T30_MCF:
        ld->counts[LADDER_MCF]++;
        ld->confirmed = true;
        say(s, "page %d confirmed", ld->page);
        break;
    case T30_RTP:
        ld->counts[LADDER_RTP]++;
        ld->confirmed = true;
        say(s, "page %d confirmed, retrain before the next", ld->page);
        s->level = "warn";
        break;
    case T30_RTN:
        ld->counts[LADDER_RTN]++;
        say(s, "page %d not accepted (too many bad rows): retrain", ld->page);
        s->level = "fail";
        break;
    case T30_PIN:
    case T30_PIP:
        say(s, "procedure interrupt (operator)");
        s->level = fcf == T30_PIN ? "fail" : "warn";
        break;
    }
}

static void
decode_fcf(struct ladder *ld, struct ladder_step *s, int fcf,
           const uint8_t *fif, size_t len)
{
    switch (fcf) {
    case T30_DCS:
        decode_caps(s, fif, len, true);
        return;
    case T30_TSI:
        decode_ident(s, fif, len);
        return;
    case T30_CFR:
        ld->counts[LADDER_CFR]++;
        say(s, "training check (TCF) passed: ready to receive");
        return;
    case T30_FTT:
        ld->counts[LADDER_FTT]++;
        say(s, "training check (TCF) failed: sender must slow down");
        s->level = "fail";
        return;
    case T30_MPS:
    case T30_PRI_MPS:
        ld->counts[LADDER_MPS]++;
        page_end(ld, s, fcf, "more pages follow");
        return;
    case T30_EOP:
    case T30_PRI_EOP:
        ld->counts[LADDER_EOP]++;
        page_end(ld, s, fcf, "last page");
        return;
    case T30_EOM:
    case T30_PRI_EOM:
        ld->counts[LADDER_EOM]++;
        page_end(ld, s, fcf, "another document follows");
        return;
    case T30_PPS:
        decode_pps(ld, s, fif, len);
        return;
    case T30_PPR:
        ld->counts[LADDER_PPR]++;
        decode_ppr(ld, s, fif, len);
        return;
    case T30_MCF:
    case T30_RTP:
    case T30_RTN:
    case T30_PIN:
    case T30_PIP:
        decode_response(ld, s, fcf);
        return;
    case T30_CRP:
        ld->counts[LADDER_CRP]++;
        say(s, "command repeat: the last frame was not understood");
        s->level = "fail";
        return;
    case T30_RNR:
    case T30_CTC:
    case T30_CTR:
    case T30_EOR:
    case T30_ERR:
        say(s, "error correction flow control");
        s->level = "warn";
        return;
    case T30_RR:
        say(s, "receiver ready?");
        return;
    case T30_DCN:
        ld->counts[LADDER_DCN]++;
        if (ld->confirmed && ld->last_was_eop) {
            say(s, "disconnect: call complete");
        } else {
            say(s, "disconnect before %s",
                ld->page == 0 ? "any page" : "the last page was confirmed");
            s->level = "fail";
        }
        return;
    case T4_FCD:
        say(s, "image data (ECM)");
        return;
    case T4_RCP:
        say(s, "return to control: end of the block's data");
        return;
    }
    say(s, "frame %02x", fcf);
}

void
ladder_frame(struct ladder *ld, const uint8_t *data, size_t len, bool incoming,
             uint32_t count, struct ladder_step *out)
{
    const uint8_t *fif = data + FIF_OFF;
    size_t fif_len = len > FIF_OFF ? len - FIF_OFF : 0;
    int fcf;

    (void)incoming;
    memset(out, 0, sizeof *out);
    out->level = "";
    if (len < FIF_OFF) {
        out->name = "?";
        say(out, "short frame (%zu bytes)", len);
        out->level = "warn";
        return;
    }
    fcf = data[2];
    out->name = t30_frametype((uint8_t)fcf);
    if (out->name == NULL)
        out->name = "?";
    /* The first frames of a call are sent without the X bit meaning
     * "sent by the caller": DIS/DTC, CSI/CIG and NSF/NSC differ by it. */
    switch (fcf) {
    case T30_DIS:
    case T30_DTC:
        decode_caps(out, fif, fif_len, false);
        break;
    case T30_CSI:
    case T30_CIG:
        decode_ident(out, fif, fif_len);
        break;
    case T30_NSF:
    case T30_NSC:
        say(out, "non-standard facilities, %zu bytes", fif_len);
        break;
    default:
        decode_fcf(ld, out, fcf & 0xfe, fif, fif_len);
        break;
    }
    if (count > 1)
        say(out, " (x%u)", (unsigned)count);
}

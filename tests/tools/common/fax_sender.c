/* fax_sender - the test tools' SpanDSP sender (contract in fax_sender.h) */
#include "fax_sender.h"

#include "t30/faxrx.h"

static void
on_frame(t30_state_t *t30, void *arg, int incoming, const uint8_t *msg,
         int len)
{
    struct fax_sender_ends *e = arg;

    (void)t30;
    if (incoming && len >= 3 &&
        ((msg[2] & 0xfe) == T30_MCF || (msg[2] & 0xfe) == T30_RTP))
        e->confirmed++;
}

static void
on_e(t30_state_t *t30, void *arg, int code)
{
    struct fax_sender_ends *e = arg;

    (void)t30;
    e->code = code;
}

fax_state_t *
fax_sender_new(const struct fax_sender_opts *o, struct fax_sender_ends *ends)
{
    fax_state_t *fax = fax_init(NULL, TRUE);
    t30_state_t *t30;
    int sm = 0, sc = 0;

    ends->code = -1;
    ends->confirmed = 0;
    if (fax == NULL)
        return NULL;
    t30 = fax_get_t30_state(fax);
    sm |= (o->modems & FAXRX_V27TER) ? T30_SUPPORT_V27TER : 0;
    sm |= (o->modems & FAXRX_V29) ? T30_SUPPORT_V29 : 0;
    sm |= (o->modems & FAXRX_V17) ? T30_SUPPORT_V17 : 0;
    sc |= (o->codings & FAXRX_T4_1D) ? T30_SUPPORT_T4_1D_COMPRESSION : 0;
    sc |= (o->codings & FAXRX_T4_2D) ? T30_SUPPORT_T4_2D_COMPRESSION : 0;
    sc |= (o->codings & FAXRX_T6) ? T30_SUPPORT_T6_COMPRESSION : 0;
    fax_set_transmit_on_idle(fax, TRUE);
    fax_set_tep_mode(fax, FALSE);
    t30_set_tx_ident(t30, o->tsi);
    t30_set_supported_modems(t30, sm);
    t30_set_ecm_capability(t30, o->ecm);
    t30_set_supported_compressions(t30, sc);
    t30_set_tx_file(t30, o->doc, o->first, o->last);
    t30_set_phase_e_handler(t30, on_e, ends);
    t30_set_real_time_frame_handler(t30, on_frame, ends);
    return fax;
}

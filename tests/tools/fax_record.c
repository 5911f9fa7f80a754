/*
 * fax_record - record the calling side of a fax call to a WAV file.
 *
 * A SpanDSP sender (fax_state_t, calling party) sends a TIFF to an
 * answering receiver (t30/faxrx with the same options as a gateway line)
 * in memory; the sender's transmitted audio is written to an 8 kHz 16-bit
 * mono WAV, which is what `ifaxgw receive --audio` decodes.
 *   fax_record [-m v17|v29|v27ter] [-E] [-c mh|mr|mmr] [-i TSI]
 *              [-l LASTPAGE] [-p N] [-r RAW] IN.tif OUT.wav
 * -E: no ECM (both ends); -c: codings offered up to this one; -l: last page
 * (0-based); -p N: stop 8 s after the receiver confirmed page N (a call
 * dropped during page N+1); -r: also write raw s16le.
 * -s SOCKET: instead of the in-memory receiver, call a gateway listening
 * on a unix stream socket (ifaxgw receive --audio unix:PATH): 160 samples
 * out, 160 back, in lockstep, until the sender's T.30 ends. With -s:
 * -x SPEED paces the call at SPEED times real time (0: as fast as the
 * gateway answers), -C "caller=N called=N" sends that CALL line first, and
 * the result line counts the pages the gateway confirmed (MCF or RTP
 * heard): "sender_code=N seconds=N confirmed=N"; -k N hangs up (closes
 * the socket, no DCN) as soon as the gateway confirmed page N.
 * Prints the call result on stdout. Exit 0 when the call ended as asked.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sndfile.h>
#include <spandsp.h>

#include "common/fax_sender.h"
#include "t30/faxrx.h"

struct opts {
    unsigned modems;
    bool ecm;
    unsigned codings;
    const char *tsi;
    int last_page;
    int cut_after_page;
    const char *raw;
    const char *sock;
    int speed;
    const char *call_line;
    int drop_after;
};

static struct fax_sender_ends ends; /* code, pages confirmed (-s) */

static fax_state_t *
sender_new(const struct opts *o, const char *doc)
{
    struct fax_sender_opts so = {.doc = doc,
                                 .first = 0,
                                 .last = o->last_page,
                                 .tsi = o->tsi,
                                 .modems = o->modems,
                                 .codings = o->codings,
                                 .ecm = o->ecm};
    fax_state_t *fax = fax_sender_new(&so, &ends);
    t30_state_t *t30 = fax_get_t30_state(fax);

    /* -s: a sender able to send B4/A3 widths and R16 pages (whether they
     * go through is the receiver's DIS); recordings keep the library's
     * defaults, so ones made before replay the same */
    if (o->sock != NULL)
        t30_set_supported_resolutions(
        t30, T30_SUPPORT_STANDARD_RESOLUTION | T30_SUPPORT_FINE_RESOLUTION |
                 T30_SUPPORT_SUPERFINE_RESOLUTION | T30_SUPPORT_R8_RESOLUTION |
                 T30_SUPPORT_R16_RESOLUTION | T30_SUPPORT_300_300_RESOLUTION |
                 T30_SUPPORT_400_400_RESOLUTION);
    if (o->sock != NULL)
        t30_set_supported_image_sizes(
            t30, T30_SUPPORT_215MM_WIDTH | T30_SUPPORT_255MM_WIDTH |
                     T30_SUPPORT_303MM_WIDTH | T30_SUPPORT_UNLIMITED_LENGTH |
                     T30_SUPPORT_A4_LENGTH | T30_SUPPORT_B4_LENGTH |
                     T30_SUPPORT_US_LETTER_LENGTH |
                     T30_SUPPORT_US_LEGAL_LENGTH);
    return fax;
}

static int
parse(int argc, char **argv, struct opts *o)
{
    int c;

    o->modems = FAXRX_V27TER | FAXRX_V29 | FAXRX_V17;
    o->ecm = true;
    o->codings = FAXRX_T4_1D | FAXRX_T4_2D | FAXRX_T6;
    o->tsi = "+1 555 0100";
    o->last_page = -1;
    o->cut_after_page = 0;
    o->raw = NULL;
    o->sock = NULL;
    o->speed = 0;
    o->call_line = NULL;
    o->drop_after = 0;
    while ((c = getopt(argc, argv, "m:Ec:i:l:p:r:s:x:C:k:")) != -1) {
        switch (c) {
        case 'm':
            o->modems = !strcmp(optarg, "v17")   ? FAXRX_V17
                        : !strcmp(optarg, "v29") ? FAXRX_V29
                                                 : FAXRX_V27TER;
            break;
        case 'E':
            o->ecm = false;
            break;
        case 'c':
            o->codings = !strcmp(optarg, "mh") ? FAXRX_T4_1D
                         : !strcmp(optarg, "mr")
                             ? FAXRX_T4_1D | FAXRX_T4_2D
                             : FAXRX_T4_1D | FAXRX_T4_2D | FAXRX_T6;
            break;
        case 'i':
            o->tsi = optarg;
            break;
        case 'l':
            o->last_page = atoi(optarg);
            break;
        case 'p':
            o->cut_after_page = atoi(optarg);
            break;
        case 'r':
            o->raw = optarg;
            break;
        case 's':
            o->sock = optarg;
            break;
        case 'x':
            o->speed = atoi(optarg);
            break;
        case 'C':
            o->call_line = optarg;
            break;
        case 'k':
            o->drop_after = atoi(optarg);
            break;
        default:
            return -1;
        }
    }
    return argc - optind == 2 ? optind : -1;
}

static int
sock_connect(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    for (int i = 0; i < 600; i++) { /* the gateway may still be starting */
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
            return fd;
        if (fd >= 0)
            close(fd);
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    }
    return -1;
}

static int
full_io(int fd, void *buf, size_t n, bool wr)
{
    size_t off = 0;

    while (off < n) {
        ssize_t r = wr ? send(fd, (char *)buf + off, n - off, MSG_NOSIGNAL)
                       : read(fd, (char *)buf + off, n - off);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        off += (size_t)r;
    }
    return 0;
}

/* Lockstep with a gateway on a socket; host byte order is little-endian. */
static int
call_socket(const struct opts *o, const char *doc, SNDFILE *sf)
{
    fax_state_t *snd = sender_new(o, doc);
    int16_t a[FAXRX_BLOCK], b[FAXRX_BLOCK];
    int fd = sock_connect(o->sock);
    long n = 0;

    if (fd < 0) {
        fprintf(stderr, "fax_record: cannot connect to %s\n", o->sock);
        return 1;
    }
    if (o->call_line != NULL) {
        char hdr[256];
        int len = snprintf(hdr, sizeof hdr, "CALL %s\n", o->call_line);

        if (len < 0 || (size_t)len >= sizeof hdr ||
            full_io(fd, hdr, (size_t)len, true) < 0)
            return 1;
    }
    for (; n < 40L * 60 * 50 && ends.code < 0; n++) {
        if (o->drop_after > 0 && ends.confirmed >= o->drop_after) {
            printf("dropped the line after %d confirmed pages\n",
                   ends.confirmed);
            break;
        }
        if (o->speed > 0) /* 20 ms of audio per block, SPEED times faster */
            nanosleep(&(struct timespec){0, 20 * 1000 * 1000 / o->speed},
                      NULL);
        memset(a, 0, sizeof a);
        fax_tx(snd, a, FAXRX_BLOCK);
        sf_write_short(sf, a, FAXRX_BLOCK);
        if (full_io(fd, a, sizeof a, true) < 0 ||
            full_io(fd, b, sizeof b, false) < 0)
            break; /* the gateway hung up */
        fax_rx(snd, b, FAXRX_BLOCK);
    }
    close(fd);
    /* after the gateway's hang-up the sender finishes on silence (its
     * DCN is out; T.30 ends after the post-DCN pause) */
    for (int k = 0; k < 10 * 50 && ends.code < 0; k++) {
        memset(b, 0, sizeof b);
        fax_tx(snd, a, FAXRX_BLOCK);
        fax_rx(snd, b, FAXRX_BLOCK);
    }
    printf("sender_code=%d seconds=%ld confirmed=%d\n", ends.code, n / 50,
           ends.confirmed);
    fax_free(snd);
    return ends.code == T30_ERR_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
    struct opts o;
    struct faxrx_opts fo;
    struct errbuf why;
    struct faxrx *rx;
    fax_state_t *snd;
    SF_INFO info = {.samplerate = 8000,
                    .channels = 1,
                    .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *sf;
    FILE *raw = NULL;
    int16_t a[FAXRX_BLOCK], b[FAXRX_BLOCK];
    char tmp[] = "/tmp/fax_record.XXXXXX", path[64];
    int64_t cut_ms = -1;
    int i = parse(argc, argv, &o);

    if (i < 0) {
        fprintf(stderr, "usage: fax_record [-m v17|v29|v27ter] [-E] "
                        "[-c mh|mr|mmr] [-i TSI] [-l LAST] [-p N] [-r RAW] "
                        "IN.tif OUT.wav\n");
        return 2;
    }
    if (o.sock != NULL) {
        sf = sf_open(argv[i + 1], SFM_WRITE, &info);
        if (sf == NULL)
            return 1;
        i = call_socket(&o, argv[i], sf);
        sf_close(sf);
        return i;
    }
    if (mkdtemp(tmp) == NULL)
        return 1;
    snprintf(path, sizeof path, "%s/rx.tif", tmp);
    faxrx_opts_default(&fo);
    fo.ecm = o.ecm;
    fo.modems = o.modems;
    fo.codings = o.codings;
    rx = faxrx_init(&fo, path, 0, &why);
    if (rx == NULL) {
        fprintf(stderr, "fax_record: %s\n", why.text);
        return 1;
    }
    sf = sf_open(argv[i + 1], SFM_WRITE, &info);
    if (sf == NULL || (o.raw && (raw = fopen(o.raw, "wb")) == NULL)) {
        fprintf(stderr, "fax_record: cannot write output\n");
        return 1;
    }
    snd = sender_new(&o, argv[i]);
    for (long n = 0; n < 40L * 60 * 50; n++) {
        memset(a, 0, sizeof a);
        fax_tx(snd, a, FAXRX_BLOCK);
        sf_write_short(sf, a, FAXRX_BLOCK);
        if (raw != NULL)
            fwrite(a, sizeof a[0], FAXRX_BLOCK, raw); /* host is LE */
        if (!faxrx_done(rx))
            faxrx_block(rx, a, b, FAXRX_BLOCK);
        else
            memset(b, 0, sizeof b);
        fax_rx(snd, b, FAXRX_BLOCK);
        if (o.cut_after_page > 0 && cut_ms < 0 &&
            (int)faxrx_record(rx)->npages >= o.cut_after_page)
            cut_ms = faxrx_elapsed_ms(rx) + 8000;
        if (cut_ms >= 0 && faxrx_elapsed_ms(rx) >= cut_ms)
            break;
        if (faxrx_done(rx) && ends.code >= 0)
            break;
    }
    sf_close(sf);
    if (raw != NULL)
        fclose(raw);
    faxrx_hangup(rx);
    printf("sender_code=%d receiver_result=%s pages=%zu seconds=%lld\n",
           ends.code, callrec_result_name(faxrx_record(rx)->result),
           faxrx_record(rx)->npages, (long long)faxrx_elapsed_ms(rx) / 1000);
    fax_free(snd);
    faxrx_free(rx);
    unlink(path);
    rmdir(tmp);
    return 0;
}

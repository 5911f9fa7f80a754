/*
 * receive command: one fax call from 8 kHz audio into the spool.
 *
 * `ifaxgw receive --audio FILE|-` decodes a recorded or streamed call (the
 * sender's side only: what we would send back is dropped) with t30/faxrx
 * and commits the pages as a job through gateway/intake/faxjob, as a line
 * of the daemon does: the call record in meta.json, the T.30 transcript in
 * t30.log, recipients from the routes (gateway/spool/router via gateway/cli).
 * The spool is checked writable (job created, pages.tif opened, free
 * space) before the call starts.
 * Exit: 0 job committed (complete or partial), 1 call failed or spool
 * error (nothing committed), 2 usage.
 */
#define _GNU_SOURCE /* accept4(2) */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sndfile.h>

#include "conf/config.h"
#include "conf/snapshot.h"
#include "gateway/cli.h"
#include "gateway/commands.h"
#include "gateway/intake/calllog.h"
#include "gateway/intake/faxjob.h"
#include "gateway/spool/job.h"
#include "gateway/spool/queue.h"
#include "gateway/util/errbuf.h"
#include "gateway/util/log.h"
#include "gateway/util/mstime.h"
#include "gateway/util/xalloc.h"
#include "t30/callrec.h"
#include "t30/faxrx.h"

struct rx_args {
    const char *audio;
    const char *conf;
    const char *line;
    const char *spool;
    const char *format; /* "wav", "raw" or NULL = by content */
};

/* An audio source: libsndfile for WAV (any format it reads, resampling is
 * not done: 8 kHz mono is required), or raw s16le from a file or stdin. */
struct audio_src {
    SNDFILE *sf;
    int fd;
    int listen_fd; /* unix:PATH: listening until the call is accepted */
    bool duplex;   /* fd also takes our audio back (socket) */
    char path[108];
};

static void
usage(FILE *f)
{
    fputs(
        "usage: ifaxgw receive --audio FILE|-|unix:PATH [-c CONF]\n"
        "                      [--line NAME]\n"
        "                      [--spool DIR] [--format wav|raw]\n"
        "Receive one fax call from 8 kHz 16-bit mono audio (a WAV file, or\n"
        "raw signed 16-bit little-endian samples; '-' reads raw from stdin)\n"
        "into the spool. Only the sender's audio is needed: what the gateway\n"
        "would send back is discarded, so a recording of the calling side\n"
        "decodes as the live call did.\n"
        "  --audio FILE   the call audio (required); unix:PATH listens on a\n"
        "                 stream socket for one call: raw s16le both ways,\n"
        "                 the gateway's audio is sent back (a live call);\n"
        "                 accepted only once the job and its file exist\n"
        "  -c CONF        config file (default " CONFIG_DEFAULT_FILE " if it\n"
        "                 exists, else the built-in defaults)\n"
        "  --line NAME    line settings to use (station id, ECM, modems,\n"
        "                 codings, timeouts); default: the first audio line\n"
        "  --spool DIR    spool directory (default: gateway.spool)\n"
        "  --format F     wav or raw (default: WAV if the file starts RIFF)\n"
        "Exit: 0 job committed (a partial job says so), 1 failed call or\n"
        "spool error, nothing committed; 2 usage.\n",
        f);
}

static int
parse_args(int argc, char **argv, struct rx_args *a)
{
    static const struct option opts[] = {
        {"audio", required_argument, NULL, 'a'},
        {"config", required_argument, NULL, 'c'},
        {"line", required_argument, NULL, 'l'},
        {"spool", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;

    memset(a, 0, sizeof *a);
    optind = 1;
    while ((c = getopt_long(argc, argv, "a:c:l:s:f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            a->audio = optarg;
            break;
        case 'c':
            a->conf = optarg;
            break;
        case 'l':
            a->line = optarg;
            break;
        case 's':
            a->spool = optarg;
            break;
        case 'f':
            a->format = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc || a->audio == NULL ||
        (a->format && strcmp(a->format, "wav") && strcmp(a->format, "raw"))) {
        usage(stderr);
        return 2;
    }
    return -1; /* go on */
}

static bool
is_wav(const char *path)
{
    char magic[4];
    FILE *f = fopen(path, "rb");
    bool yes;

    if (f == NULL)
        return false;
    yes = fread(magic, 1, 4, f) == 4 && memcmp(magic, "RIFF", 4) == 0;
    fclose(f);
    return yes;
}

/* A stream socket the caller's audio gateway connects to: raw s16le both
 * ways, 160-sample blocks; we answer (accept) only once the job exists. */
static int
audio_listen(struct audio_src *src, const char *path, struct errbuf *why)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    if (strlen(path) >= sizeof sa.sun_path)
        return errbuf_set(why, ERR_PERM, "", "socket path too long: %s", path);
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    snprintf(src->path, sizeof src->path, "%s", path);
    src->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (src->listen_fd == -1)
        return errbuf_errno(why, "socket");
    (void)unlink(path);
    if (bind(src->listen_fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
        listen(src->listen_fd, 1) == -1)
        return errbuf_errno(why, "listen on %s", path);
    return 0;
}

static int
audio_accept(struct audio_src *src, struct errbuf *why)
{
    if (src->listen_fd == -1)
        return 0;
    src->fd = accept4(src->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    close(src->listen_fd);
    src->listen_fd = -1;
    (void)unlink(src->path);
    if (src->fd == -1)
        return errbuf_errno(why, "accept on %s", src->path);
    src->duplex = true;
    return 0;
}

static void
audio_write(struct audio_src *src, const int16_t *amp, int n)
{
    unsigned char raw[2 * FAXRX_BLOCK];
    size_t off = 0, len = (size_t)n * 2;

    for (int i = 0; i < n; i++) {
        raw[2 * i] = (unsigned char)(amp[i] & 0xff);
        raw[2 * i + 1] = (unsigned char)((uint16_t)amp[i] >> 8);
    }
    while (off < len) {
        ssize_t w = send(src->fd, raw + off, len - off, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* the far end hung up: the read side ends the call */
        off += (size_t)w;
    }
}

static int
audio_open(struct audio_src *src, const char *path, const char *format,
           struct errbuf *why)
{
    SF_INFO info;
    bool wav;

    src->sf = NULL;
    src->fd = -1;
    src->listen_fd = -1;
    if (strncmp(path, "unix:", 5) == 0)
        return audio_listen(src, path + 5, why);
    if (strcmp(path, "-") == 0) {
        if (format != NULL && strcmp(format, "wav") == 0)
            return errbuf_set(why, ERR_PERM, "", "stdin must be raw s16le");
        src->fd = STDIN_FILENO;
        return 0;
    }
    wav = format ? strcmp(format, "wav") == 0 : is_wav(path);
    if (!wav) {
        src->fd = open(path, O_RDONLY | O_CLOEXEC);
        return src->fd == -1 ? errbuf_errno(why, "audio %s", path) : 0;
    }
    memset(&info, 0, sizeof info);
    src->sf = sf_open(path, SFM_READ, &info);
    if (src->sf == NULL)
        return errbuf_set(why, ERR_PERM, "", "audio %s: %s", path,
                          sf_strerror(NULL));
    if (info.samplerate != FAXRX_RATE || info.channels != 1) {
        sf_close(src->sf);
        src->sf = NULL;
        return errbuf_set(why, ERR_PERM, "",
                          "audio %s: %d Hz, %d channels; need 8000 Hz mono",
                          path, info.samplerate, info.channels);
    }
    return 0;
}

/* Read up to n samples; 0 at the end. Raw input is little-endian. */
static int
audio_read(struct audio_src *src, int16_t *buf, int n)
{
    unsigned char raw[2 * FAXRX_BLOCK];
    size_t have = 0;

    if (src->sf != NULL)
        return (int)sf_read_short(src->sf, buf, n);
    while (have < (size_t)n * 2) {
        ssize_t r = read(src->fd, raw + have, (size_t)n * 2 - have);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        have += (size_t)r;
    }
    for (size_t i = 0; i < have / 2; i++)
        buf[i] = (int16_t)(raw[2 * i] | (raw[2 * i + 1] << 8));
    return (int)(have / 2);
}

static void
audio_close(struct audio_src *src)
{
    if (src->sf != NULL)
        sf_close(src->sf);
    if (src->fd > STDIN_FILENO)
        close(src->fd);
    if (src->listen_fd != -1) {
        close(src->listen_fd);
        (void)unlink(src->path);
    }
}

static const struct config_line *
pick_line(const struct config *cf, const char *name)
{
    if (name != NULL)
        return config_line_find(cf, name);
    for (int i = 0; i < cf->n_lines; i++)
        if (cf->lines[i].kind == CONFIG_LINE_AUDIO)
            return &cf->lines[i];
    return NULL;
}

struct rx_run {
    struct config *cf;
    struct queue *q;
    struct job *job;
    struct faxrx *rx;
    struct audio_src src;
};

static void
run_free(struct rx_run *r)
{
    faxrx_free(r->rx);
    audio_close(&r->src);
    job_free(r->job);
    queue_close(r->q);
    if (r->cf != NULL)
        snapshot_swap(NULL); /* the snapshot owned the config */
}

/* Open everything before the call starts; -1 with *why. */
/* The daemon's rule here too: meta.json as the call goes, and a page
 * that is not durably stored is not confirmed. */
static int
rx_store(void *arg, const struct callrec *rec, enum faxrx_store_event ev,
         struct errbuf *why)
{
    struct rx_run *r = arg;

    if (faxjob_store(r->q, r->job, rec, ev, why) == -1) {
        fprintf(stderr, "ifaxgw receive: %s%s\n",
                ev == FAXRX_STORE_PAGE ? "page not confirmed: " : "",
                why->text);
        return -1;
    }
    return 0;
}

static int
run_open(struct rx_run *r, const struct rx_args *a, struct errbuf *why)
{
    const struct config_line *cl;
    struct faxrx_opts o;
    char path[4096];

    r->cf = cli_config_load(a->conf); /* prints file:line problems */
    if (r->cf == NULL)
        return errbuf_set(why, ERR_PERM, "", "no usable config");
    snapshot_swap(r->cf); /* the router reads the config in force */
    cl = pick_line(r->cf, a->line);
    if (a->line != NULL && cl == NULL)
        return errbuf_set(why, ERR_PERM, "", "no line named %s", a->line);
    faxrx_opts_default(&o);
    if (cl != NULL)
        faxrx_opts_from_config(&o, cl);
    else if (a->line != NULL)
        o.line = a->line;
    if (audio_open(&r->src, a->audio, a->format, why) < 0)
        return -1;
    r->q = cli_queue_open(r->cf, a->spool, false);
    if (r->q == NULL)
        return errbuf_set(why, ERR_TEMP, "", "no spool");
    r->job = faxjob_begin(r->q, path, sizeof path, why);
    if (r->job == NULL)
        return -1;
    r->rx = faxrx_init(&o, path, mstime_wall(), why);
    if (r->rx == NULL)
        return -1;
    faxrx_set_store_handler(r->rx, rx_store, r);
    return audio_accept(&r->src, why); /* answer now that pages can land */
}

static void
run_call(struct rx_run *r)
{
    int16_t buf[FAXRX_BLOCK], out[FAXRX_BLOCK];
    int n;

    while (!faxrx_done(r->rx)) {
        n = audio_read(&r->src, buf, FAXRX_BLOCK);
        if (n <= 0) {
            faxrx_hangup(r->rx);
            break;
        }
        faxrx_block(r->rx, buf, out, n);
        if (r->src.duplex)
            audio_write(&r->src, out, n);
    }
}

/* The call log entry of this call (gateway/intake/calllog), pages or none. */
static void
log_call(struct rx_run *r, const struct callrec *rec, const char *reason,
         const char *job)
{
    struct calllog_call c;
    struct errbuf why;

    calllog_from_rec(&c, rec);
    if (reason != NULL)
        c.reason = reason;
    c.job = job;
    if (calllog_write(queue_spool_dir(r->q), &c, NULL, 0, &why) == -1)
        fprintf(stderr, "ifaxgw receive: %s\n", why.text);
}

int
receive_cmd_main(int argc, char **argv)
{
    struct rx_args a;
    struct rx_run r = {.src = {.fd = -1, .listen_fd = -1}};
    struct errbuf why;
    const struct callrec *rec;
    char esc[4 * T30_CSID_MAX + 4], esc2[4 * CALLREC_TEXT_MAX];
    int rc = parse_args(argc, argv, &a);

    if (rc >= 0)
        return rc;
    errbuf_clear(&why);
    if (run_open(&r, &a, &why) < 0) {
        fprintf(stderr, "ifaxgw receive: not answering: %s\n", why.text);
        if (r.job != NULL)
            (void)queue_abort(r.q, r.job, NULL);
        run_free(&r);
        return 1;
    }
    run_call(&r);
    rec = faxrx_record(r.rx);
    log_esc(esc, sizeof esc, rec->remote_csid);
    log_esc(esc2, sizeof esc2, rec->t30_text);
    if (faxjob_end(r.q, r.job, rec, &why) < 0) { /* no page: job removed */
        log_call(&r, rec, why.text, NULL);
        if (rec->npages == 0)
            fprintf(stderr,
                    "ifaxgw receive: call failed, no page received: end=%s "
                    "t30_code=%d t30_text=\"%s\" csid=\"%s\"\n",
                    callrec_end_name(rec->end), rec->t30_code, esc2, esc);
        else
            fprintf(stderr, "ifaxgw receive: commit failed: %s\n", why.text);
        run_free(&r);
        return 1;
    }
    log_call(&r, rec, NULL, r.job->id);
    printf("job=%s result=%s pages=%zu csid=\"%s\" bit_rate=%d ecm=%d "
           "t30_text=\"%s\"\n",
           r.job->id, callrec_result_name(rec->result), rec->npages, esc,
           rec->bit_rate, rec->ecm, esc2);
    run_free(&r);
    return 0;
}

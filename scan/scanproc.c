/* scanproc - a scan in a process of its own; contract in scanproc.h */
#define _GNU_SOURCE /* pipe2(2), posix_spawn_file_actions_addclosefrom_np */
#include "scan/scanproc.h"

#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/util/mstime.h"
#include "gateway/util/xalloc.h"

extern char **environ;

#define SCANPROC_MAGIC   0x73786669u /* "ifxs" */
#define SCANPROC_PAGE    1u
#define SCANPROC_END     2u
#define SCANPROC_BUTTONS 3u /* a struct scan_buttons follows */
#define SCANPROC_TICK_MS 200  /* how often a wait looks at the cancel flag */
#define SCANPROC_ARGS    (16 + 2 * SCAN_MAX_EXTRA + 1)

/* One message on the reader's stdout; a page's rows follow a PAGE. The
 * reader is this same binary, so the layout is native; the values are
 * still checked, as a crashed or confused reader can send anything. */
struct scanproc_msg {
    uint32_t magic, kind;
    int32_t width, height, xres, yres; /* PAGE */
    uint32_t stride;
    int32_t result, pages, blank_skipped, cls; /* END */
    char device[128];
    char status[12];
    char text[ERRBUF_TEXT_MAX];
};

/* The caller's side of one reader process. */
struct scanproc {
    const struct scan_opts *o;
    pid_t pid;
    int fd;            /* read end of the reader's stdout */
    bool buttons;      /* a --buttons reader, not a scan */
    bool termed;       /* cancel (SIGUSR1) sent */
    long long last_ms; /* when the reader last sent something */
};

/* ---- the reader's side: `ifaxgw scan-reader` ---- */

/* The reader process's cancel flag. A signal handler can reach nothing
 * else, and this process runs one scan and exits. */
static atomic_bool scanproc_stop;

static void
scanproc_on_term(int sig)
{
    (void)sig;
    atomic_store(&scanproc_stop, true);
}

static int
scanproc_write(const void *buf, size_t n)
{
    const char *p = buf;

    while (n > 0) {
        ssize_t k = write(STDOUT_FILENO, p, n);

        if (k < 0 && errno == EINTR && !atomic_load(&scanproc_stop))
            continue;
        if (k < 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int
scanproc_send_page(void *arg, const struct scan_page *pg, struct errbuf *why)
{
    struct scanproc_msg m;

    (void)arg;
    memset(&m, 0, sizeof m);
    m.magic = SCANPROC_MAGIC;
    m.kind = SCANPROC_PAGE;
    m.width = pg->width;
    m.height = pg->height;
    m.xres = pg->xres;
    m.yres = pg->yres;
    m.stride = (uint32_t)pg->stride;
    if (scanproc_write(&m, sizeof m) == -1 ||
        scanproc_write(pg->bits, pg->stride * (size_t)pg->height) == -1)
        return errbuf_errno(why, "scan-reader: sending page %d",
                            pg->index + 1);
    return 0;
}

static void
scanproc_send_end(void *arg, const struct scan_report *rep,
                  const struct errbuf *why)
{
    struct scanproc_msg m;

    memset(&m, 0, sizeof m);
    m.magic = SCANPROC_MAGIC;
    m.kind = SCANPROC_END;
    m.result = (int32_t)rep->result;
    m.pages = rep->pages;
    m.blank_skipped = rep->blank_skipped;
    (void)snprintf(m.device, sizeof m.device, "%s", rep->device);
    if (why != NULL) {
        m.cls = (int32_t)why->cls;
        (void)snprintf(m.status, sizeof m.status, "%s", why->status);
        (void)snprintf(m.text, sizeof m.text, "%s", why->text);
    }
    (void)scanproc_write(&m, sizeof m);
    if (arg != NULL)
        *(bool *)arg = true;
}

/* An outcome without a scan: bad arguments, SANE would not start. */
static int
scanproc_reader_fail(enum scan_result r, const struct errbuf *why)
{
    struct scan_report rep;

    memset(&rep, 0, sizeof rep);
    rep.result = r;
    scanproc_send_end(NULL, &rep, why);
    return 1;
}

static int
scanproc_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

/* One option of the reader's command line into o; -1 if it is bad. */
static int
scanproc_reader_opt(int c, const char *arg, struct scan_opts *o, size_t *nx)
{
    switch (c) {
    case 'd':
        o->device = arg;
        return 0;
    case 'm':
        o->mode = strcmp(arg, "gray8") == 0   ? SCAN_MODE_GRAY8
                  : strcmp(arg, "gray1") == 0 ? SCAN_MODE_GRAY1
                                              : SCAN_MODE_LINEART;
        return strcmp(arg, "gray8") && strcmp(arg, "gray1") &&
                       strcmp(arg, "lineart")
                   ? -1
                   : 0;
    case 'r':
        return scanproc_int(arg, 1, 4800, &o->resolution);
    case 's':
        o->source = strcmp(arg, "flatbed") == 0 ? SCAN_SOURCE_FLATBED
                                                : SCAN_SOURCE_ADF;
        return strcmp(arg, "flatbed") && strcmp(arg, "adf") ? -1 : 0;
    case 'D':
        o->duplex = true;
        return 0;
    case 'a':
        return sscanf(arg, "%lf,%lf", &o->width_mm, &o->height_mm) == 2 &&
                       o->width_mm >= 0 && o->height_mm >= 0
                   ? 0
                   : -1;
    case 't':
        return scanproc_int(arg, 0, 255, &o->threshold);
    case 'T':
        o->dither = true;
        return 0;
    case 'b':
        o->skip_blank = true;
        return 0;
    case 'n':
        return scanproc_int(arg, 0, SCAN_MAX_PAGES, &o->max_pages);
    case 'o':
        if (*nx + 1 >= SCAN_MAX_EXTRA)
            return -1;
        o->extra[(*nx)++] = arg;
        return 0;
    default:
        return -1;
    }
}

/* --buttons: read the buttons once, send them and the outcome, exit. */
static _Noreturn void
scanproc_reader_buttons(const char *device)
{
    struct scanproc_msg m;
    struct scan_buttons b;
    struct scan_report rep;
    struct errbuf why;
    int rc;

    memset(&rep, 0, sizeof rep);
    rc = scan_buttons_read(device, NULL, &b, &rep.result, &why);
    if (rc == 0) {
        memset(&m, 0, sizeof m);
        m.magic = SCANPROC_MAGIC;
        m.kind = SCANPROC_BUTTONS;
        (void)scanproc_write(&m, sizeof m);
        (void)scanproc_write(&b, sizeof b);
    }
    scanproc_send_end(NULL, &rep, rc == 0 ? NULL : &why);
    _exit(0); /* as after a scan: nothing to flush, sane_exit() can hang */
}

static void
scanproc_reader_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = scanproc_on_term; /* no SA_RESTART: a blocked write ends */
    sigemptyset(&sa.sa_mask);
    /* SIGUSR1, not SIGTERM: SANE's test backend resets SIGTERM to the
     * default in its reader thread, process-wide */
    (void)sigaction(SIGUSR1, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    (void)sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a vanished caller is EPIPE, then cancel */
    /* the caller killed outright (kill -9 of the daemon): stop scanning */
    (void)prctl(PR_SET_PDEATHSIG, SIGUSR1);
    /* started with SIGUSR1 blocked, so a cancel sent before the handler
     * was in place waits for it instead of killing the reader */
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR1);
    (void)sigprocmask(SIG_UNBLOCK, &sa.sa_mask, NULL);
}

int
scanproc_reader_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"device", required_argument, NULL, 'd'},
        {"mode", required_argument, NULL, 'm'},
        {"resolution", required_argument, NULL, 'r'},
        {"source", required_argument, NULL, 's'},
        {"duplex", no_argument, NULL, 'D'},
        {"area", required_argument, NULL, 'a'},
        {"threshold", required_argument, NULL, 't'},
        {"dither", no_argument, NULL, 'T'},
        {"skip-blank", no_argument, NULL, 'b'},
        {"max-pages", required_argument, NULL, 'n'},
        {"option", required_argument, NULL, 'o'},
        {"buttons", no_argument, NULL, 'B'},
        {NULL, 0, NULL, 0},
    };
    struct scan_opts o = {.resolution = 200, .threshold = 128};
    struct scan_report rep;
    struct errbuf why;
    bool told = false, buttons = false;
    size_t nx = 0;
    int c;

    scanproc_reader_signals();
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
        if (c == 'B')
            buttons = true;
        else if (scanproc_reader_opt(c, optarg, &o, &nx) == -1) {
            errbuf_set(&why, ERR_PERM, NULL, "scan-reader: bad argument %s",
                       argv[optind - 1]);
            return scanproc_reader_fail(SCAN_ERROR, &why);
        }
    if (optind != argc || isatty(STDOUT_FILENO)) {
        fprintf(stderr, "ifaxgw scan-reader: used by the gateway itself, "
                        "its output is binary\n");
        return 2;
    }
    if (scan_global_init(&why) == -1)
        return scanproc_reader_fail(SCAN_ERROR, &why);
    if (buttons)
        scanproc_reader_buttons(o.device);
    o.cancel = &scanproc_stop;
    o.on_end = scanproc_send_end;
    o.end_arg = &told;
    (void)scan_run(&o, scanproc_send_page, NULL, &rep, &why);
    /* The outcome is out; sane_exit() could hang where sane_cancel() did
     * not, and exit() has nothing left to flush. */
    _exit(told ? 0 : 1);
}

/* ---- the caller's side ---- */

/* The reader's command line, for o; strings live in store. */
struct scanproc_cmd {
    char *argv[SCANPROC_ARGS];
    char num[4][48];
};

static void
scanproc_cmd(const struct scan_opts *o, bool buttons, const char *exe,
             struct scanproc_cmd *c)
{
    static const char *const modes[] = {"lineart", "gray1", "gray8"};
    size_t n = 0;

    c->argv[n++] = (char *)exe;
    c->argv[n++] = "scan-reader";
    if (o->device && *o->device) {
        c->argv[n++] = "--device";
        c->argv[n++] = (char *)o->device;
    }
    if (buttons) {
        c->argv[n++] = "--buttons";
        c->argv[n] = NULL;
        return;
    }
    c->argv[n++] = "--mode";
    c->argv[n++] = (char *)modes[(unsigned)o->mode < 3 ? o->mode : 0];
    (void)snprintf(c->num[0], sizeof c->num[0], "%d", o->resolution);
    c->argv[n++] = "--resolution";
    c->argv[n++] = c->num[0];
    c->argv[n++] = "--source";
    c->argv[n++] = o->source == SCAN_SOURCE_FLATBED ? "flatbed" : "adf";
    (void)snprintf(c->num[1], sizeof c->num[1], "%.4f,%.4f", o->width_mm,
                   o->height_mm);
    c->argv[n++] = "--area";
    c->argv[n++] = c->num[1];
    (void)snprintf(c->num[2], sizeof c->num[2], "%d", o->threshold);
    c->argv[n++] = "--threshold";
    c->argv[n++] = c->num[2];
    (void)snprintf(c->num[3], sizeof c->num[3], "%d", o->max_pages);
    c->argv[n++] = "--max-pages";
    c->argv[n++] = c->num[3];
    if (o->duplex)
        c->argv[n++] = "--duplex";
    if (o->dither)
        c->argv[n++] = "--dither";
    if (o->skip_blank)
        c->argv[n++] = "--skip-blank";
    for (size_t i = 0; i < SCAN_MAX_EXTRA && o->extra[i]; i++) {
        c->argv[n++] = "--option";
        c->argv[n++] = (char *)o->extra[i];
    }
    c->argv[n] = NULL;
}

static int
scanproc_spawn(struct scanproc *p, struct errbuf *why)
{
    const char *exe = p->o->reader_exe ? p->o->reader_exe : "/proc/self/exe";
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    struct scanproc_cmd cmd;
    sigset_t usr1, dfl;
    int pfd[2], err;

    if (pipe2(pfd, O_CLOEXEC) == -1)
        return errbuf_errno(why, "scan: pipe");
    scanproc_cmd(p->o, p->buttons, exe, &cmd);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY,
                                     0);
    /* whatever a library opened without O_CLOEXEC (an SMTP or modem
     * connection of another thread) must not live on in a reader */
    posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
    /* the daemon's threads block the signals it waits for: the reader
     * must still get its cancel */
    posix_spawnattr_init(&attr);
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGHUP);
    sigaddset(&dfl, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &usr1); /* unblocked by the reader */
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    err = posix_spawn(&p->pid, exe, &fa, &attr, cmd.argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    if (err != 0) {
        close(pfd[0]);
        errno = err;
        return errbuf_errno(why, "scan: starting %s scan-reader", exe);
    }
    p->fd = pfd[0];
    p->last_ms = mstime_mono();
    return 0;
}

static void
scanproc_term(struct scanproc *p)
{
    if (!p->termed)
        (void)kill(p->pid, SIGUSR1); /* the reader's cancel */
    p->termed = true;
}

/* Read exactly n bytes: 1, or 0 at a clean end of stream, or -1 with why
 * (stalled reader killed, short message, read error). */
static int
scanproc_read(struct scanproc *p, void *buf, size_t n, enum scan_result *res,
              struct errbuf *why)
{
    int stall_ms = (p->o->stall_s > 0 ? p->o->stall_s : 120) * 1000;
    size_t got = 0;

    while (got < n) {
        struct pollfd pf = {.fd = p->fd, .events = POLLIN};
        ssize_t k;
        int r;

        if (p->o->cancel && atomic_load(p->o->cancel))
            scanproc_term(p);
        r = poll(&pf, 1, SCANPROC_TICK_MS);
        if (r < 0 && errno != EINTR)
            return *res = SCAN_ERROR, errbuf_errno(why, "scan: poll");
        if (r <= 0) {
            if (mstime_mono() - p->last_ms < stall_ms)
                continue;
            (void)kill(p->pid, SIGKILL);
            *res = SCAN_IO_ERROR;
            return errbuf_set(why, ERR_TEMP, NULL,
                              "scanner sent nothing for %d s; scan stopped",
                              stall_ms / 1000);
        }
        k = read(p->fd, (char *)buf + got, n - got);
        if (k < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (k < 0)
            return *res = SCAN_ERROR, errbuf_errno(why, "scan: reading");
        if (k == 0 && got == 0)
            return 0;
        if (k == 0)
            return *res = SCAN_ERROR,
                   errbuf_set(why, ERR_TEMP, NULL,
                              "scan: reader stopped mid-message");
        got += (size_t)k;
        p->last_ms = mstime_mono();
    }
    return 1;
}

/* A PAGE header the reader may send: the geometry scan_run() can make. */
static bool
scanproc_page_ok(const struct scanproc_msg *m)
{
    return m->width > 0 && m->width <= SCAN_MAX_PIXELS && m->height > 0 &&
           m->height <= SCAN_MAX_LINES &&
           m->stride == (uint32_t)(m->width + 7) / 8 && m->xres > 0 &&
           m->xres <= 4800 && m->yres > 0 && m->yres <= 4800;
}

/* Where the batch stands, across messages. */
struct scanproc_run {
    scan_page_fn fn;
    void *arg;
    struct scan_report *rep;
    struct errbuf *why;
    struct scan_buttons *buttons; /* a --buttons reader's reading */
    bool got_buttons;
    bool failed; /* the handler failed: its why stands, pages are dropped */
    bool ended;  /* END received */
};

/* A BUTTONS message's reading, checked before any field is used: a count
 * in range, names that end inside their field, pressed flags 0 or 1 (any
 * other byte is no valid bool). 0, -1 with why, or -2: malformed. */
static int
scanproc_on_buttons(struct scanproc *p, struct scanproc_run *r)
{
    unsigned char raw[sizeof(struct scan_buttons)];
    struct scan_buttons b;
    int n, rc = scanproc_read(p, raw, sizeof raw, &r->rep->result, r->why);

    if (rc == 0) {
        r->rep->result = SCAN_ERROR;
        return errbuf_set(r->why, ERR_TEMP, NULL,
                          "scan: reader stopped mid-message");
    }
    if (rc == -1)
        return -1;
    memcpy(&n, raw + offsetof(struct scan_buttons, n), sizeof n);
    if (n < 0 || n > SCAN_MAX_BUTTONS)
        return -2;
    for (int i = 0; i < SCAN_MAX_BUTTONS; i++)
        if (raw[offsetof(struct scan_buttons, pressed) + (size_t)i] > 1)
            return -2;
    memcpy(&b, raw, sizeof b);
    for (int i = 0; i < n; i++)
        if (memchr(b.name[i], '\0', sizeof b.name[i]) == NULL)
            return -2;
    *r->buttons = b;
    r->got_buttons = true;
    return 0;
}

static int
scanproc_on_page(struct scanproc *p, struct scanproc_run *r,
                 const struct scanproc_msg *m)
{
    size_t len = (size_t)m->stride * (size_t)m->height;
    uint8_t *bits = xmalloc(len);
    int rc = scanproc_read(p, bits, len, &r->rep->result, r->why);

    if (rc == 1 && !r->failed) {
        struct scan_page pg = {
            .index = r->rep->pages, .width = m->width, .height = m->height,
            .stride = m->stride, .bits = bits, .xres = m->xres,
            .yres = m->yres,
        };
        if (r->fn(r->arg, &pg, r->why) == 0) {
            r->rep->pages++;
        } else {
            r->failed = true;
            r->rep->result = SCAN_ERROR;
            scanproc_term(p); /* the reader cancels and reports */
        }
    }
    free(bits);
    if (rc == 0) {
        r->rep->result = SCAN_ERROR;
        return errbuf_set(r->why, ERR_TEMP, NULL,
                          "scan: reader stopped mid-page");
    }
    return rc == 1 ? 0 : -1;
}

static void
scanproc_on_end(struct scanproc_run *r, const struct scanproc_msg *m)
{
    struct scanproc_msg e = *m;

    r->ended = true;
    e.device[sizeof e.device - 1] = '\0';
    e.status[sizeof e.status - 1] = '\0';
    e.text[sizeof e.text - 1] = '\0';
    (void)snprintf(r->rep->device, sizeof r->rep->device, "%s", e.device);
    if (e.blank_skipped >= 0 && e.blank_skipped <= SCAN_MAX_PAGES)
        r->rep->blank_skipped = e.blank_skipped;
    if (r->failed)
        return; /* the handler's failure is the outcome */
    r->rep->result = e.result >= SCAN_OK && e.result <= SCAN_ERROR
                         ? (enum scan_result)e.result
                         : SCAN_ERROR;
    if (r->rep->result != SCAN_OK)
        (void)errbuf_set(r->why, e.cls == ERR_PERM ? ERR_PERM : ERR_TEMP,
                         e.status[0] ? e.status : NULL, "%s",
                         e.text[0] ? e.text : scan_result_name(r->rep->result));
}

/* Messages until END, the end of the stream, or an error: 0 or -1. */
static int
scanproc_relay(struct scanproc *p, struct scanproc_run *r)
{
    for (;;) {
        struct scanproc_msg m;
        int rc = scanproc_read(p, &m, sizeof m, &r->rep->result, r->why);

        if (rc <= 0)
            return rc;
        if (m.magic != SCANPROC_MAGIC)
            rc = -2;
        else if (m.kind == SCANPROC_END) {
            scanproc_on_end(r, &m);
            return 0;
        } else if (m.kind == SCANPROC_PAGE && !p->buttons)
            rc = scanproc_page_ok(&m) ? scanproc_on_page(p, r, &m) : -2;
        else if (m.kind == SCANPROC_BUTTONS && p->buttons && !r->got_buttons)
            rc = scanproc_on_buttons(p, r);
        else
            rc = -2;
        if (rc == -2) {
            (void)kill(p->pid, SIGKILL);
            r->rep->result = SCAN_ERROR;
            return errbuf_set(r->why, ERR_TEMP, NULL,
                              "scan: reader sent a malformed message");
        }
        if (rc == -1)
            return -1;
    }
}

/* Wait for the reader to exit, killing it after close_s; its status. */
static int
scanproc_reap(struct scanproc *p, bool *killed)
{
    long long until = mstime_mono() +
                      (p->o->close_s > 0 ? p->o->close_s : 10) * 1000LL;
    int st = 0;

    *killed = false;
    for (;;) {
        pid_t w = waitpid(p->pid, &st, WNOHANG);

        if (w == p->pid || (w == -1 && errno != EINTR))
            return st;
        if (mstime_mono() >= until && !*killed) {
            (void)kill(p->pid, SIGKILL);
            *killed = true;
            (void)waitpid(p->pid, &st, 0);
            return st;
        }
        (void)poll(NULL, 0, 20);
    }
}

/* Run one reader (p->buttons says which kind) under the device lock and
 * relay its messages into r; rep->result says how it went. */
static void
scanproc_exec(struct scanproc *p, struct scanproc_run *r)
{
    struct scan_report *rep = r->rep;
    bool killed;
    int lockfd, rc, st;

    memset(rep, 0, sizeof *rep);
    errbuf_clear(r->why);
    /* a scan waits out a button reading; a button reading never waits */
    lockfd = scan_lock_take(p->o->lock_dir, p->o->device,
                            p->buttons ? 0 : SCAN_LOCK_GRACE_MS, &rep->result,
                            r->why);
    if (lockfd == -1)
        return;
    if (scanproc_spawn(p, r->why) == -1) {
        rep->result = SCAN_ERROR;
        goto out;
    }
    rc = scanproc_relay(p, r);
    close(p->fd);
    st = scanproc_reap(p, &killed);
    /* killed after a clean report: the outcome stands, say it hung */
    rep->reader_killed = killed && r->ended;
    if (rc == 0 && !r->ended) {
        rep->result = SCAN_ERROR;
        if (WIFSIGNALED(st))
            errbuf_set(r->why, ERR_TEMP, NULL,
                       "scan: the scanner reader died (signal %d)",
                       WTERMSIG(st));
        else
            errbuf_set(r->why, ERR_TEMP, NULL,
                       "scan: the scanner reader exited (status %d) "
                       "without an outcome",
                       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
out:
    if (lockfd >= 0)
        close(lockfd);
}

int
scanproc_run(const struct scan_opts *o, scan_page_fn fn, void *arg,
             struct scan_report *rep, struct errbuf *why)
{
    struct scanproc p = {.o = o, .fd = -1};
    struct scanproc_run r = {.fn = fn, .arg = arg, .rep = rep, .why = why};

    scanproc_exec(&p, &r);
    return rep->result == SCAN_OK ? 0 : -1;
}

int
scanproc_buttons(const struct scan_opts *o, struct scan_buttons *out,
                 struct scan_report *rep, struct errbuf *why)
{
    struct scanproc p = {.o = o, .fd = -1, .buttons = true};
    struct scanproc_run r = {.rep = rep, .why = why, .buttons = out};

    memset(out, 0, sizeof *out);
    scanproc_exec(&p, &r);
    if (rep->result == SCAN_OK && !r.got_buttons) {
        rep->result = SCAN_ERROR;
        errbuf_set(why, ERR_TEMP, NULL, "scan: the reader sent no buttons");
    }
    return rep->result == SCAN_OK ? 0 : -1;
}

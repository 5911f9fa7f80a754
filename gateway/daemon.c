/* daemon - `ifaxgw run`; contract in daemon.h */
#define _GNU_SOURCE /* initgroups(3) */
#include "gateway/daemon.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/snapshot.h"
#include "gateway/announce.h"
#include "gateway/cli.h"
#include "gateway/intake/calllog.h"
#include "gateway/lines.h"
#include "gateway/panel.h"
#include "gateway/spool/router.h"
#include "gateway/tifflog.h"
#include "gateway/util/log.h"
#include "gateway/util/metrics.h"
#include "gateway/util/mstime.h"
#include "gateway/web/web.h"
#include "gateway/web/web_calls.h"
#include "gateway/web/web_queue.h"
#include "smtp/deliver.h"

#define DAEMON_RESCAN_S    2  /* pick up CLI changes to the spool this often */
#define DAEMON_PURGE_S     60 /* purge done/failed jobs past retention */
#define DAEMON_WORKERS_MAX 64
#define DAEMON_TREE_DEPTH  6 /* spool/state/id/file is 3; deeper is not ours */

struct daemon {
    const char *conf_path; /* NULL: default file, else embedded default */
    struct queue *q;
    atomic_bool stop;
    struct deliver_ctx *dc;
    pthread_t workers[DAEMON_WORKERS_MAX];
    int nworkers;
    struct lines *lines;
    int drain_s; /* longest call a SIGTERM waits for */
    struct metrics *metrics;
    struct web_queue *wq;
    struct calllog *calls; /* the web's reader of spool/calls/ */
    struct panel *panel;
    struct web_server *web;
    char web_started[300];  /* "enable listen port" the web started with */
    atomic_bool delivering; /* workers running: /healthz reads it */
};

static void
daemon_on_recover(void *arg, enum queue_recovery what, const char *id,
                  const char *detail)
{
    char e[512];

    (void)arg;
    log_esc(e, sizeof e, detail);
    if (what == QUEUE_RECOVER_DISCARDED || what == QUEUE_RECOVER_BROKEN ||
        what == QUEUE_RECOVER_HELD)
        log_warn("job=%s recovery=%s detail=\"%s\"", id,
                 queue_recovery_name(what), e);
    else
        log_info("job=%s recovery=%s detail=\"%s\"", id,
                 queue_recovery_name(what), e);
}

static int
daemon_open_queue(struct daemon *d, const struct config *cf)
{
    struct queue_policy pol = {
        .retry_s = cf->smtp.retry_s,
        .n_retry = (size_t)cf->smtp.n_retry,
        .expiry_s = cf->smtp.expiry_s,
        .retention_s = cf->gateway.retention_s,
    };
    struct queue_opts o = {
        .policy = &pol,
        .daemon = true,
        .hostname = cf->smtp.hostname,
        .router = router_route_job,
        .on_recover = daemon_on_recover,
    };
    struct errbuf why;

    if (mkdir(cf->gateway.spool, 0750) == -1 && errno != EEXIST) {
        log_error("spool %s: %s", cf->gateway.spool, strerror(errno));
        return -1;
    }
    d->q = queue_open(cf->gateway.spool, &o, &why);
    if (d->q == NULL) {
        log_error("%s", why.text); /* queue_open names the spool */
        return -1;
    }
    return 0;
}

/* The delivery pool; each worker takes the config in force per job. */
static int
daemon_start_delivery(struct daemon *d, const struct config *cf)
{
    struct errbuf why;
    int n = cf->gateway.workers;

    d->dc = deliver_init(d->q, NULL, &why);
    if (d->dc == NULL) {
        log_error("delivery: %s", why.text);
        return -1;
    }
    deliver_set_metrics(d->dc, d->metrics);
    if (n > DAEMON_WORKERS_MAX)
        n = DAEMON_WORKERS_MAX;
    for (; d->nworkers < n; d->nworkers++)
        if (pthread_create(&d->workers[d->nworkers], NULL, deliver_worker,
                           d->dc) != 0) {
            log_error("delivery: cannot start worker %d", d->nworkers);
            return -1;
        }
    log_info("delivery: %d worker(s)", d->nworkers);
    atomic_store(&d->delivering, true);
    return 0;
}

/* /healthz (web threads): what only the daemon knows. */
static void
daemon_health(void *arg, json_t *problems)
{
    struct daemon *d = arg;

    if (!atomic_load(&d->delivering))
        json_array_append_new(problems,
                              json_string(atomic_load(&d->stop)
                                              ? "delivery: stopping"
                                              : "delivery: not running"));
}

static int
daemon_start_lines(struct daemon *d, const struct config *cf)
{
    struct errbuf why;

    d->drain_s = 0;
    for (int i = 0; i < cf->n_lines; i++)
        if (cf->lines[i].call_timeout_s > d->drain_s)
            d->drain_s = cf->lines[i].call_timeout_s;
    d->lines = lines_start(cf, d->q, d->metrics, &why);
    if (d->lines == NULL) {
        log_error("%s", why.text);
        return -1;
    }
    return 0;
}

/* What the web server was started with; it keeps its socket on reload. */
static void
web_started(const struct config *cf, char *buf, size_t n)
{
    (void)snprintf(buf, n, "%d %s %d", (int)cf->web.enable,
                   cf->web.listen ? cf->web.listen : "", cf->web.port);
}

/* The status page: its port is opened before privileges are dropped.
 * Settings of the web section take effect at the next start. */
static int
daemon_start_web(struct daemon *d, const struct config *cf)
{
    struct web_sources src = {0};
    struct web_conf wc = {
        .listen = cf->web.listen,
        .port = cf->web.port,
        .token = cf->web.token,
        .max_body = (size_t)cf->web.max_body,
        .rate_per_min = cf->web.rate_per_min,
        .spool = cf->gateway.spool,
    };
    struct errbuf why;

    web_started(cf, d->web_started, sizeof d->web_started);
    d->panel = panel_init(d->q, d->lines, d->metrics, cf);
    if (!cf->web.enable) {
        log_info("web: disabled");
        return 0;
    }
    d->wq = web_queue_init(d->q, &why);
    if (d->wq == NULL) {
        log_error("web: %s", why.text);
        return -1;
    }
    web_queue_sources(d->wq, &src);
    d->calls = calllog_open(queue_spool_dir(d->q));
    web_calls_sources(d->calls, &src);
    panel_sources(d->panel, &src);
    src.health = daemon_health;
    src.health_arg = d;
    d->web = web_init(&wc, &src, d->metrics, &why);
    if (d->web == NULL) {
        log_error("web: %s", why.text);
        return -1;
    }
    log_info("web: http://%s:%d/%s", wc.listen ? wc.listen : "127.0.0.1",
             web_port(d->web),
             wc.token && wc.token[0] ? "" : " (no token: actions refused)");
    return 0;
}

/* SIGTERM: no new call, calls in progress finish, sessions end, exit. */
static void
daemon_stop_all(struct daemon *d)
{
    web_free(d->web); /* no handler runs after this */
    d->web = NULL;
    panel_free(d->panel); /* a scan in progress finishes first */
    d->panel = NULL;
    web_queue_free(d->wq);
    d->wq = NULL;
    calllog_free(d->calls);
    d->calls = NULL;
    if (d->lines && !lines_drain(d->lines, (int64_t)d->drain_s * 1000))
        log_warn("stopping: a call outlived the longest call time; cut");
    lines_stop(d->lines);
    d->lines = NULL;
    atomic_store(&d->delivering, false);
    if (d->dc) {
        deliver_stop(d->dc);
        queue_shutdown(d->q);
        for (int i = 0; i < d->nworkers; i++)
            pthread_join(d->workers[i], NULL);
        d->nworkers = 0;
        deliver_free(d->dc);
        d->dc = NULL;
    }
}

/* Who owns the spool tree, and what the walk found. */
struct daemon_owner {
    uid_t uid;
    gid_t gid;
    int changed; /* entries handed over */
    int failed;  /* entries that could not be */
};

static void daemon_chown_at(int dfd, const char *name, int depth,
                            struct daemon_owner *o);

/* Every entry of the directory fd (one level; recursion in the callee). */
static void
daemon_chown_dir(int fd, const char *name, int depth, struct daemon_owner *o)
{
    int lfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = lfd == -1 ? NULL : fdopendir(lfd);
    const struct dirent *e;

    if (dir == NULL) {
        if (lfd != -1)
            close(lfd);
        log_warn("spool: cannot list %s: %s", name, strerror(errno));
        o->failed++;
        return;
    }
    while ((e = readdir(dir)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            daemon_chown_at(fd, e->d_name, depth + 1, o);
    closedir(dir);
}

/*
 * Hand dfd/name (and below) to o->uid:o->gid. Runs as root on a tree the
 * unprivileged user could have written: every entry is opened O_PATH |
 * O_NOFOLLOW and changed through its descriptor, so a symlink changes
 * itself only and a renamed entry cannot redirect the change; a regular
 * file with a second hard link is left alone (it could be anybody's file).
 * The spool itself (depth 0) may be a symlink to where the admin keeps it.
 */
static void
daemon_chown_at(int dfd, const char *name, int depth, struct daemon_owner *o)
{
    int fd =
        openat(dfd, name, O_PATH | O_CLOEXEC | (depth > 0 ? O_NOFOLLOW : 0));
    struct stat st;

    if (fd == -1 || fstat(fd, &st) == -1) {
        if (errno != ENOENT) { /* a job the lines just moved on */
            log_warn("spool: %s: %s", name, strerror(errno));
            o->failed++;
        }
        if (fd != -1)
            close(fd);
        return;
    }
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
        log_warn("spool: %s has %ju links; not handed to uid %d", name,
                 (uintmax_t)st.st_nlink, (int)o->uid);
    } else if (st.st_uid != o->uid || st.st_gid != o->gid) {
        if (fchownat(fd, "", o->uid, o->gid, AT_EMPTY_PATH) == -1) {
            log_warn("spool: chown %s: %s", name, strerror(errno));
            o->failed++;
        } else {
            o->changed++;
        }
    }
    if (S_ISDIR(st.st_mode) && depth < DAEMON_TREE_DEPTH)
        daemon_chown_dir(fd, name, depth, o);
    close(fd);
}

/*
 * The whole spool tree (the state directories queue_open() made, the lock,
 * every job and file a run as root or an older version left) becomes
 * gateway.user's, so that the user can create jobs in every state.
 */
static int
daemon_hand_over_spool(const char *spool, const struct passwd *pw)
{
    struct daemon_owner o = {.uid = pw->pw_uid, .gid = pw->pw_gid};

    daemon_chown_at(AT_FDCWD, spool, 0, &o);
    if (o.changed > 0)
        log_info("spool: %d entr%s handed to user=%s", o.changed,
                 o.changed == 1 ? "y" : "ies", pw->pw_name);
    if (o.failed > 0) {
        log_error("spool %s: %d entr%s could not be handed to user=%s", spool,
                  o.failed, o.failed == 1 ? "y" : "ies", pw->pw_name);
        return -1;
    }
    return 0;
}

/* After devices and ports are open: become gateway.user, if set. */
static int
daemon_drop_privileges(const struct config *cf)
{
    const struct passwd *pw;

    if (cf->gateway.user == NULL || geteuid() != 0)
        return 0;
    pw = getpwnam(cf->gateway.user);
    if (pw == NULL) {
        log_error("gateway.user %s: no such user", cf->gateway.user);
        return -1;
    }
    /* The spool must stay writable for the user we become: all of it. */
    if (daemon_hand_over_spool(cf->gateway.spool, pw) == -1)
        return -1;
    if (initgroups(pw->pw_name, pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
        setuid(pw->pw_uid) == -1) {
        log_error("dropping privileges to %s: %s", pw->pw_name,
                  strerror(errno));
        return -1;
    }
    log_info("running as user=%s uid=%d", pw->pw_name, (int)pw->pw_uid);
    return 0;
}

/* The token takes effect at once (a revoked one ends its sessions); the
 * listening socket stays until the next start. */
static void
daemon_reload_web(struct daemon *d, const struct config *cf)
{
    char now[sizeof d->web_started];

    if (d->web != NULL && web_set_token(d->web, cf->web.token))
        log_info("reload: web token changed; sessions ended");
    web_started(cf, now, sizeof now);
    if (strcmp(now, d->web_started) != 0)
        log_warn("reload: web enable/listen/port take effect at the next "
                 "start");
}

static void
daemon_reload(struct daemon *d)
{
    struct config_errors errs;
    const struct config *cf;
    const char *path = d->conf_path;

    if (path == NULL && access(CONFIG_DEFAULT_FILE, F_OK) == 0)
        path = CONFIG_DEFAULT_FILE;
    if (path == NULL) {
        log_info("reload: running on the embedded default; nothing to read");
        return;
    }
    if (snapshot_reload(path, &errs) == -1) {
        for (int i = 0; i < errs.count; i++)
            log_error("reload rejected: %s", errs.msg[i]);
        log_error("reload rejected: %d problem(s); the old config stays",
                  errs.count + errs.dropped);
        return;
    }
    cf = snapshot_get();
    log_set_level(cf->gateway.log_level);
    log_set_format(cf->gateway.log_format);
    {
        struct queue_policy pol = {
            .retry_s = cf->smtp.retry_s,
            .n_retry = (size_t)cf->smtp.n_retry,
            .expiry_s = cf->smtp.expiry_s,
            .retention_s = cf->gateway.retention_s,
        };
        queue_set_policy(d->q, &pol);
    }
    daemon_reload_web(d, cf);
    snapshot_put(cf);
    log_info("reload: %s in force", path);
}

/* The call log keeps calls as long as done/ keeps jobs (gateway.retention). */
static int
daemon_purge_calls(struct daemon *d, int64_t now, struct errbuf *why)
{
    const struct config *cf = snapshot_get();
    int64_t keep_ms = (int64_t)cf->gateway.retention_s * 1000;

    snapshot_put(cf);
    return calllog_purge(queue_spool_dir(d->q), now - keep_ms, why);
}

static void
daemon_housekeeping(struct daemon *d, int64_t *last_purge_ms)
{
    struct errbuf why;
    int64_t now = mstime_wall();
    int n;

    if (queue_rescan(d->q, false, &why) == -1)
        log_warn("spool rescan: %s", why.text);
    if (now - *last_purge_ms < DAEMON_PURGE_S * 1000)
        return;
    *last_purge_ms = now;
    n = queue_purge(d->q, now, &why);
    if (n == -1)
        log_warn("purge: %s", why.text);
    else if (n > 0)
        log_info("purged %d finished job(s) past retention", n);
    n = daemon_purge_calls(d, now, &why);
    if (n == -1)
        log_warn("%s", why.text);
    else if (n > 0)
        log_info("purged %d call record(s) past retention", n);
    n = announce_purge(queue_spool_dir(d->q), now, &why);
    if (n == -1)
        log_warn("%s", why.text);
    else if (n > 0)
        log_info("purged %d announcement(s) older than %d min: their "
                 "AudioSocket calls never came", n, ANNOUNCE_MAX_AGE_S / 60);
}

/* The main thread's loop: signals and housekeeping until SIGTERM/SIGINT. */
static void
daemon_signal_loop(struct daemon *d, const sigset_t *set)
{
    struct timespec tick = {.tv_sec = DAEMON_RESCAN_S};
    int64_t last_purge = 0;

    while (!atomic_load(&d->stop)) {
        int sig = sigtimedwait(set, NULL, &tick);

        if (sig == SIGHUP) {
            daemon_reload(d);
        } else if (sig == SIGTERM || sig == SIGINT) {
            log_info("signal=%s: stopping: no new calls, finishing work",
                     sig == SIGTERM ? "TERM" : "INT");
            atomic_store(&d->stop, true);
        } else {
            daemon_housekeeping(d, &last_purge);
        }
    }
}

static void
daemon_usage(FILE *out)
{
    fprintf(out,
            "usage: ifaxgw run [-c FILE]\n\n"
            "Run the gateway: every configured fax line, the scanner, the\n"
            "delivery workers and the web status page, until SIGTERM.\n"
            "SIGHUP reloads the config (a bad one is rejected, the old one\n"
            "stays). Logs go to stderr (journal format when it is the\n"
            "journal, else a timestamp per line: gateway.log_format).\n\n"
            "  -c FILE  config (default /etc/ifaxgw/ifaxgw.conf; without it,\n"
            "           the embedded default: spool ./demo/spool, web on\n"
            "           127.0.0.1 only)\n");
}

int
daemon_cmd_main(int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct daemon d = {0};
    struct config *cf;
    sigset_t set;
    int c, rc = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        if (c == 'c')
            d.conf_path = optarg;
        else if (c == 'h')
            return daemon_usage(stdout), 0;
        else
            return daemon_usage(stderr), 2;
    }
    if (optind != argc)
        return daemon_usage(stderr), 2;
    cf = cli_config_load(d.conf_path);
    if (cf == NULL)
        return 1;
    log_set_level(cf->gateway.log_level);
    log_set_format(cf->gateway.log_format);
    tifflog_install(); /* libtiff's messages with their job, not bare */
    /* Signals are taken by the main thread only: block them before any
     * thread starts, so every thread inherits the mask. */
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    snapshot_swap(cf);
    d.metrics = metrics_init();
    if (daemon_open_queue(&d, cf) == -1 || daemon_start_lines(&d, cf) == -1 ||
        daemon_start_web(&d, cf) == -1 || daemon_drop_privileges(cf) == -1 ||
        daemon_start_delivery(&d, cf) == -1)
        goto out;
    log_info("ifaxgw running: spool=%s", cf->gateway.spool);
    daemon_signal_loop(&d, &set);
    rc = 0;
out:
    daemon_stop_all(&d);
    queue_close(d.q);
    metrics_free(d.metrics);
    snapshot_swap(NULL);
    log_info("ifaxgw stopped");
    return rc;
}

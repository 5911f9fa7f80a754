/* psraster - PDF and PostScript through Ghostscript; contract in psraster.h */
#define _DEFAULT_SOURCE /* realpath, mkdtemp */
#include "gateway/intake/psraster.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/page/page_file.h"
#include "gateway/util/log.h"

#define PSRASTER_POLL_MS 20 /* how often the parent looks at the child */

/* $IFAXGW_GS, else the first executable gs in PATH (or /usr/bin:/bin). */
static int
psraster_find_gs(char *out, size_t n, struct errbuf *why)
{
    const char *env = getenv("IFAXGW_GS");
    const char *path = getenv("PATH");
    char dirs[4096];

    if (env != NULL && *env) {
        (void)snprintf(out, n, "%s", env);
        return 0;
    }
    (void)snprintf(dirs, sizeof dirs, "%s",
                   path && *path ? path : "/usr/bin:/bin");
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d != NULL;
         d = strtok_r(NULL, ":", &save)) {
        int len = snprintf(out, n, "%s/gs", d);

        if (len > 0 && (size_t)len < n && access(out, X_OK) == 0)
            return 0;
    }
    return errbuf_set(why, ERR_TEMP, NULL,
                      "Ghostscript (gs) not found: install the ghostscript "
                      "package or set IFAXGW_GS");
}

/* What the child needs, all made before fork(): after it, only calls that
 * are safe in a child of a threaded process (no allocation, no stdio). */
struct psraster_exec {
    char res[32], last[32], tmpenv[PATH_MAX + 16], homeenv[PATH_MAX + 16];
    char *argv[20], *envp[5];
    const char *dir;
    int maxfd;
};

static void
psraster_prepare(struct psraster_exec *x, const char *gs, const char *dir,
                 const char *src, int xres, int yres)
{
    char *const argv[] = {
        (char *)gs, "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-dNOPROMPT",
        "-dPDFSTOPONERROR", "-sDEVICE=tiffg4", "-dAdjustWidth=0", x->res,
        "-sPAPERSIZE=a4", "-dFirstPage=1", x->last, "-sOutputFile=out.tif",
        "-sstdout=%stderr", "-f", (char *)src, NULL};
    long maxfd = sysconf(_SC_OPEN_MAX);

    (void)snprintf(x->res, sizeof x->res, "-r%dx%d", xres, yres);
    /* one page past the limit, so that a longer document is refused */
    (void)snprintf(x->last, sizeof x->last, "-dLastPage=%d",
                   PAGE_MAX_PAGES + 1);
    (void)snprintf(x->tmpenv, sizeof x->tmpenv, "TMPDIR=%s", dir);
    (void)snprintf(x->homeenv, sizeof x->homeenv, "HOME=%s", dir);
    memcpy(x->argv, argv, sizeof argv);
    x->envp[0] = "PATH=/usr/bin:/bin";
    x->envp[1] = "LC_ALL=C";
    x->envp[2] = x->tmpenv;
    x->envp[3] = x->homeenv;
    x->envp[4] = NULL;
    x->dir = dir;
    x->maxfd = maxfd < 0 || maxfd > 65536 ? 65536 : (int)maxfd;
}

/* The child: limits, descriptors, environment, then gs. Never returns. */
static void
psraster_child(const struct psraster_exec *x)
{
    struct rlimit cpu = {PSRASTER_TIMEOUT_S, PSRASTER_TIMEOUT_S};
    struct rlimit as = {PSRASTER_MAX_AS, PSRASTER_MAX_AS};
    struct rlimit fsize = {PAGE_MAX_FILE, PAGE_MAX_FILE};
    int fd;

    (void)setpgid(0, 0);
    if (chdir(x->dir) == -1)
        _exit(126);
    fd = open("/dev/null", O_RDONLY);
    if (fd == -1 || dup2(fd, 0) == -1)
        _exit(126);
    fd = open("gs.log", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
        _exit(126);
    for (fd = 3; fd < x->maxfd; fd++)
        (void)close(fd);
    (void)setrlimit(RLIMIT_CPU, &cpu);
    (void)setrlimit(RLIMIT_AS, &as);
    (void)setrlimit(RLIMIT_FSIZE, &fsize);
    execve(x->argv[0], x->argv, x->envp);
    _exit(127);
}

/* Wait for the child, at most PSRASTER_TIMEOUT_S; kill its group after. */
static int
psraster_wait(pid_t pid, int *status)
{
    struct timespec pause = {0, PSRASTER_POLL_MS * 1000000L};
    long waited_ms = 0;

    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);

        if (r == pid)
            return 0;
        if (r == -1 && errno != EINTR)
            return -1;
        if (waited_ms >= PSRASTER_TIMEOUT_S * 1000L) {
            (void)kill(-pid, SIGKILL);
            (void)kill(pid, SIGKILL);
            while (waitpid(pid, status, 0) == -1 && errno == EINTR)
                ;
            return 1;
        }
        (void)nanosleep(&pause, NULL);
        waited_ms += PSRASTER_POLL_MS;
    }
}

/* Ghostscript's first "Error:" line (or its first line) from gs.log. */
static void
psraster_message(const char *dir, char *out, size_t n)
{
    char path[PATH_MAX], buf[4096], *line, *save = NULL;
    FILE *f;
    size_t len;

    out[0] = '\0';
    (void)snprintf(path, sizeof path, "%s/gs.log", dir);
    f = fopen(path, "r");
    if (f == NULL)
        return;
    len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    for (line = strtok_r(buf, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        while (*line == ' ' || *line == '*')
            line++;
        if (*line == '\0')
            continue;
        if (out[0] == '\0' || strncmp(line, "Error", 5) == 0)
            log_esc(out, n, line);
        if (strncmp(line, "Error", 5) == 0)
            return;
    }
}

/* Remove what gs left in dir (plain files only), then dir. */
static void
psraster_cleanup(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[PATH_MAX];

    if (d != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            (void)snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            (void)unlink(path);
        }
        closedir(d);
    }
    (void)rmdir(dir);
}

/* Run gs; 0 with dir/out.tif written, or -1 with why. */
static int
psraster_run(const char *gs, const char *dir, const char *src, int xres,
             int yres, struct errbuf *why)
{
    char msg[PSRASTER_MSG_MAX];
    struct psraster_exec x;
    int status = 0, w;
    pid_t pid;

    psraster_prepare(&x, gs, dir, src, xres, yres);
    pid = fork();
    if (pid == -1)
        return errbuf_errno(why, "fork");
    if (pid == 0)
        psraster_child(&x);
    w = psraster_wait(pid, &status);
    if (w == -1)
        return errbuf_errno(why, "waitpid");
    psraster_message(dir, msg, sizeof msg);
    if (w == 1)
        return errbuf_set(why, ERR_PERM, "5.6.0",
                          "Ghostscript did not finish within %d s",
                          PSRASTER_TIMEOUT_S);
    if (WIFSIGNALED(status))
        return errbuf_set(why, ERR_PERM, "5.6.0",
                          "Ghostscript was killed by signal %d (%s)",
                          WTERMSIG(status),
                          WTERMSIG(status) == SIGXCPU ? "CPU time limit"
                          : WTERMSIG(status) == SIGXFSZ
                              ? "output too large"
                              : msg[0] ? msg : "no message");
    if (WEXITSTATUS(status) == 127 || WEXITSTATUS(status) == 126)
        return errbuf_set(why, ERR_TEMP, NULL, "cannot run %s", gs);
    if (WEXITSTATUS(status) != 0)
        return errbuf_set(why, ERR_PERM, "5.6.0",
                          "Ghostscript cannot read it: %s",
                          msg[0] ? msg : "no message");
    return 0;
}

int
psraster_render(const char *path, int xres, int yres, struct page_doc **doc,
                struct errbuf *why)
{
    char gs[PATH_MAX], src[PATH_MAX], dir[PATH_MAX], out[PATH_MAX + 16];
    const char *tmp = getenv("TMPDIR");
    struct page_buf b = {NULL, 0, 0};
    struct stat st;
    int rc = -1;

    *doc = NULL;
    if (psraster_find_gs(gs, sizeof gs, why) == -1)
        return -1;
    if (realpath(path, src) == NULL)
        return errbuf_errno(why, "%s", path);
    (void)snprintf(dir, sizeof dir, "%s/ifaxgw-gs-XXXXXX",
                   tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return errbuf_errno(why, "temporary directory %s", dir);
    if (psraster_run(gs, dir, src, xres, yres, why) == -1)
        goto out;
    (void)snprintf(out, sizeof out, "%s/out.tif", dir);
    if (stat(out, &st) == -1 || st.st_size == 0) {
        errbuf_set(why, ERR_PERM, "5.6.0", "no page in the document");
        goto out;
    }
    /* from memory: an error must not name our temporary file */
    if (page_file_read(out, PAGE_MAX_FILE, &b, why) == 0) {
        rc = page_doc_load_mem(b.p, b.len, doc, why);
        page_buf_release(&b);
    }
out:
    psraster_cleanup(dir);
    return rc;
}

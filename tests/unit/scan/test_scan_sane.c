/*
 * tests for scan/scan against the real SANE "test" backend, through a
 * private SANE_CONFIG_DIR (no system configuration is touched).
 */
#define _GNU_SOURCE /* setenv, mkdtemp, flock */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/util/xalloc.h"
#include "scan/scan.h"
#include "scan/scanproc.h"

#define MAX_KEEP 16

/* What the page handler saw: geometry, and a copy of the first page. */
struct seen {
    int pages;
    int width[MAX_KEEP], height[MAX_KEEP], xres[MAX_KEEP];
    long black[MAX_KEEP];
    uint8_t *first;
    size_t first_stride;
    int fail_at; /* handler fails on this page index; -1 never */
};

static char cfgdir[256];

static int
on_page(void *arg, const struct scan_page *pg, struct errbuf *why)
{
    struct seen *s = arg;
    long black = 0;

    if (pg->index == s->fail_at)
        return errbuf_set(why, ERR_TEMP, NULL, "spool full (test)");
    for (int y = 0; y < pg->height; y++)
        for (size_t b = 0; b < pg->stride; b++)
            black += __builtin_popcount(pg->bits[(size_t)y * pg->stride + b]);
    if (s->pages < MAX_KEEP) {
        s->width[s->pages] = pg->width;
        s->height[s->pages] = pg->height;
        s->xres[s->pages] = pg->xres;
        s->black[s->pages] = black;
    }
    if (s->first == NULL) {
        s->first = xmalloc(pg->stride * (size_t)pg->height);
        memcpy(s->first, pg->bits, pg->stride * (size_t)pg->height);
        s->first_stride = pg->stride;
    }
    s->pages++;
    return 0;
}

static void
write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The private SANE configuration, made once by the parent. */
static int
make_cfgdir(void)
{
    snprintf(cfgdir, sizeof cfgdir, "/tmp/ifaxgw-sane-XXXXXX");
    if (mkdtemp(cfgdir) == NULL)
        return -1;
    write_file(cfgdir, "dll.conf", "test\n");
    write_file(cfgdir, "test.conf",
               "number_of_devices 1\nmode Gray\ndepth 1\nresolution 200\n"
               "test-picture \"Grid\"\nenable-test-options true\n"
               "br_x 210.0\nbr_y 297.0\ngeometry_max 300.0\n");
    /* No trailing colon: only our directory is read, not the system's. */
    setenv("SANE_CONFIG_DIR", cfgdir, 1);
    return 0;
}

/* In each test's own process. No scan_global_exit(): the test backend
 * leaks a buffer per scan (upstream), and sane_exit() dlclose()s it, which
 * leaves LeakSanitizer frames it cannot name for tests/lsan.supp. */
static int
setup_child(void **state)
{
    struct errbuf why;

    (void)state;
    return scan_global_init(&why);
}

static struct scan_opts
a4_opts(enum scan_mode mode, int dpi)
{
    struct scan_opts o = {
        .device = "test:0",
        .mode = mode,
        .resolution = dpi,
        .source = SCAN_SOURCE_ADF,
        .threshold = 128,
    };
    scan_paper_size("a4", &o.width_mm, &o.height_mm);
    /* The test backend keeps option values between opens: reset ours. */
    o.extra[0] = "read-return-value=Default";
    o.extra[1] = "read-limit=no";
    o.extra[2] = "ppl-loss=0";
    o.extra[3] = "test-picture=Grid";
    return o;
}

static void
test_scan_adf_batch_200dpi_geometry(void **state)
{
    struct scan_opts o = a4_opts(SCAN_MODE_LINEART, 200);
    struct seen s = {.fail_at = -1};
    struct scan_report rep;
    struct errbuf why;

    (void)state;
    o.max_pages = 3;
    assert_int_equal(scan_run(&o, on_page, &s, &rep, &why), 0);
    assert_int_equal(rep.result, SCAN_OK);
    assert_int_equal(rep.pages, 3);
    assert_int_equal(s.pages, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(s.width[i], 1653);  /* 210 mm at 200 dpi */
        assert_int_equal(s.height[i], 2338); /* 297 mm at 200 dpi */
        assert_int_equal(s.xres[i], 200);
        assert_true(s.black[i] > 0); /* the grid has black squares */
    }
    assert_string_equal(rep.device, "test:0");
    free(s.first);
}

static void
test_scan_no_docs_ends_batch_after_ten(void **state)
{
    struct scan_opts o = a4_opts(SCAN_MODE_GRAY1, 100);
    struct seen s = {.fail_at = -1};
    struct scan_report rep;
    struct errbuf why;

    (void)state;
    /* the test backend's feeder holds exactly 10 pages */
    assert_int_equal(scan_run(&o, on_page, &s, &rep, &why), 0);
    assert_int_equal(rep.result, SCAN_OK);
    assert_int_equal(rep.pages, 10);
    free(s.first);
}

static void
test_scan_odd_chunks_and_padding_same_pixels(void **state)
{
    struct scan_opts o = a4_opts(SCAN_MODE_GRAY1, 200);
    struct seen plain = {.fail_at = -1}, odd = {.fail_at = -1};
    struct scan_report rep;
    struct errbuf why;

    (void)state;
    o.max_pages = 1;
    o.source = SCAN_SOURCE_FLATBED;
    assert_int_equal(scan_run(&o, on_page, &plain, &rep, &why), 0);
    o.extra[4] = "read-limit=yes";
    o.extra[5] = "read-limit-size=7";
    o.extra[6] = "ppl-loss=7";
    assert_int_equal(scan_run(&o, on_page, &odd, &rep, &why), 0);
    assert_int_equal(odd.pages, 1);
    assert_int_equal(odd.width[0], plain.width[0] - 7);
    assert_int_equal(odd.height[0], plain.height[0]);
    for (int y = 0; y < odd.height[0]; y++)
        for (int x = 0; x < odd.width[0]; x++) {
            int a = (plain.first[(size_t)y * plain.first_stride + x / 8] >>
                     (7 - x % 8)) &
                    1;
            int b = (odd.first[(size_t)y * odd.first_stride + x / 8] >>
                     (7 - x % 8)) &
                    1;
            if (a != b)
                fail_msg("pixel %d,%d differs", x, y);
        }
    free(plain.first);
    free(odd.first);
}

static void
test_scan_300dpi_gray8_thresholded(void **state)
{
    struct scan_opts o = a4_opts(SCAN_MODE_GRAY8, 300);
    struct seen s = {.fail_at = -1};
    struct scan_report rep;
    struct errbuf why;

    (void)state;
    o.max_pages = 1;
    assert_int_equal(scan_run(&o, on_page, &s, &rep, &why), 0);
    assert_int_equal(s.width[0], 2480);  /* 210 mm at 300 dpi */
    assert_int_equal(s.height[0], 3507); /* 297 mm at 300 dpi */
    assert_true(s.black[0] > 0);
    free(s.first);
}

static void
test_scan_blank_pages_skipped(void **state)
{
    struct scan_opts o = a4_opts(SCAN_MODE_GRAY1, 100);
    struct seen s = {.fail_at = -1};
    struct scan_report rep;
    struct errbuf why;

    (void)state;
    o.max_pages = 2;
    o.skip_blank = true;
    o.extra[4] = "test-picture=Solid white";
    assert_int_equal(scan_run(&o, on_page, &s, &rep, &why), 0);
    assert_int_equal(rep.pages, 0);
    assert_int_equal(rep.blank_skipped, 2);
    o.extra[4] = "test-picture=Solid black";
    assert_int_equal(scan_run(&o, on_page, &s, &rep, &why), 0);
    assert_int_equal(rep.pages, 2);
    free(s.first);
}

static void
test_scan_second_scan_refused_busy(void **state)
{
    struct scan_opts o = a4_opts(SCAN_MODE_GRAY1, 100);
    struct seen s = {.fail_at = -1};
    struct scan_report rep;
    struct errbuf why;
    char path[512];
    int fd;

    (void)state;
    o.lock_dir = cfgdir;
    snprintf(path, sizeof path, "%s/scan-test_0.lock", cfgdir);
    fd = open(path, O_RDWR | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0); /* a scan in progress */
    assert_int_equal(scan_run(&o, on_page, &s, &rep, &why), -1);
    assert_int_equal(rep.result, SCAN_BUSY);
    assert_int_equal(s.pages, 0);
    close(fd);
    o.max_pages = 1;
    assert_int_equal(scan_run(&o, on_page, &s, &rep, &why), 0);
    assert_int_equal(rep.pages, 1);
    free(s.first);
}

/* The test backend's "bool-hard-select-soft-detect" is what a real
 * scanner's button looks like to SANE (hard select, soft detect); the
 * hard-select-only and soft-detect-only Bool options are not buttons. Only
 * the hardware can press it, so the press itself is checked on readings. */
static void
test_scan_buttons_read_and_busy(void **state)
{
    struct scan_buttons b;
    enum scan_result res;
    struct errbuf why;
    char path[512];
    int fd;

    (void)state;
    assert_int_equal(scan_buttons_read("test:0", cfgdir, &b, &res, &why), 0);
    assert_int_equal(res, SCAN_OK);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.name[0], "bool-hard-select-soft-detect");
    assert_false(b.pressed[0]);
    snprintf(path, sizeof path, "%s/scan-test_0.lock", cfgdir);
    fd = open(path, O_RDWR | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0); /* a scan in progress */
    assert_int_equal(scan_buttons_read("test:0", cfgdir, &b, &res, &why), -1);
    assert_int_equal(res, SCAN_BUSY);
    close(fd);
    assert_int_equal(scan_buttons_read("nosuch:0", NULL, &b, &res, &why), -1);
    assert_int_equal(res, SCAN_NO_DEVICE);
}

static void
test_scan_buttons_pressed_edges(void **state)
{
    struct scan_buttons before = {2, {"scan", "email"}, {false, false}};
    struct scan_buttons now = before;

    (void)state;
    assert_int_equal(scan_buttons_pressed(&before, &now), -1);
    now.pressed[1] = true; /* email goes down */
    assert_int_equal(scan_buttons_pressed(&before, &now), 1);
    before = now; /* still held: no new press */
    assert_int_equal(scan_buttons_pressed(&before, &now), -1);
    now.pressed[1] = false; /* released */
    assert_int_equal(scan_buttons_pressed(&before, &now), -1);
    before = now;
    now.pressed[0] = now.pressed[1] = true; /* both: the first wins */
    assert_int_equal(scan_buttons_pressed(&before, &now), 0);
    /* matched by name, not position; a new button counts as released */
    struct scan_buttons moved = {2, {"copy", "scan"}, {true, false}};
    struct scan_buttons prev = {1, {"scan"}, {false}};
    assert_int_equal(scan_buttons_pressed(&prev, &moved), 0);
    prev = (struct scan_buttons){1, {"copy"}, {true}};
    assert_int_equal(scan_buttons_pressed(&prev, &moved), -1);
}

static void
test_scan_unknown_device_and_option(void **state)
{
    struct scan_opts o = a4_opts(SCAN_MODE_GRAY1, 100);
    struct seen s = {.fail_at = -1};
    struct scan_report rep;
    struct errbuf why;

    (void)state;
    o.device = "test:9";
    assert_int_equal(scan_run(&o, on_page, &s, &rep, &why), -1);
    assert_int_equal(rep.result, SCAN_NO_DEVICE);
    o.device = "test:0";
    o.extra[4] = "no-such-option=1";
    assert_int_equal(scan_run(&o, on_page, &s, &rep, &why), -1);
    assert_int_equal(rep.result, SCAN_BAD_OPTION);
    assert_non_null(strstr(why.text, "no-such-option"));
}


/* ---- scanproc: the same scans through `ifaxgw scan-reader` ---- */

static struct scan_opts
proc_opts(enum scan_mode mode, int dpi)
{
    struct scan_opts o = a4_opts(mode, dpi);

    o.reader_exe = getenv("IFAXGW"); /* the binary under test */
    assert_non_null(o.reader_exe);
    o.close_s = 1;
    return o;
}

/* Pages through the reader process equal pages scanned in-process. */
static void
test_scanproc_pages_equal_in_process(void **state)
{
    struct scan_opts o = proc_opts(SCAN_MODE_GRAY1, 200);
    struct seen here = {.fail_at = -1}, there = {.fail_at = -1};
    struct scan_report rep;
    struct errbuf why;

    (void)state;
    o.max_pages = 3;
    assert_int_equal(scan_run(&o, on_page, &here, &rep, &why), 0);
    assert_int_equal(scanproc_run(&o, on_page, &there, &rep, &why), 0);
    assert_int_equal(rep.result, SCAN_OK);
    assert_int_equal(rep.pages, 3);
    assert_string_equal(rep.device, "test:0");
    assert_int_equal(there.pages, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(there.width[i], here.width[i]);
        assert_int_equal(there.height[i], here.height[i]);
        assert_int_equal(there.xres[i], 200);
        assert_int_equal(there.black[i], here.black[i]);
    }
    assert_memory_equal(there.first, here.first,
                        here.first_stride * (size_t)here.height[0]);
    free(here.first);
    free(there.first);
}

/* In-process, about one jammed scan in twenty hung for good in the test
 * backend's sane_cancel() (a reader thread cancelled inside malloc). Each
 * one here must come back, jammed, with nothing handed over; one that hung
 * after its report is killed and says so. */
static void
test_scanproc_jams_never_hang(void **state)
{
    struct scan_opts o = proc_opts(SCAN_MODE_GRAY1, 100);
    struct scan_report rep;
    struct errbuf why;
    int killed = 0;

    (void)state;
    o.extra[4] = "read-return-value=SANE_STATUS_JAMMED";
    for (int i = 0; i < 60; i++) {
        struct seen s = {.fail_at = -1};

        assert_int_equal(scanproc_run(&o, on_page, &s, &rep, &why), -1);
        assert_int_equal(rep.result, SCAN_JAMMED);
        assert_non_null(strstr(why.text, "jammed"));
        assert_int_equal(s.pages, 0);
        killed += rep.reader_killed;
    }
    printf("60 jammed scans: %d reader(s) hung after the report, killed\n",
           killed);
}

static void
test_scanproc_cover_open_and_io_error(void **state)
{
    struct scan_opts o = proc_opts(SCAN_MODE_GRAY1, 100);
    struct seen s = {.fail_at = -1};
    struct scan_report rep;
    struct errbuf why;

    (void)state;
    o.extra[4] = "read-return-value=SANE_STATUS_COVER_OPEN";
    assert_int_equal(scanproc_run(&o, on_page, &s, &rep, &why), -1);
    assert_int_equal(rep.result, SCAN_COVER_OPEN);
    o.extra[4] = "read-return-value=SANE_STATUS_IO_ERROR";
    assert_int_equal(scanproc_run(&o, on_page, &s, &rep, &why), -1);
    assert_int_equal(rep.result, SCAN_IO_ERROR);
}

/* A failing page handler and a cancel end the batch in the reader; the
 * caller's device lock makes a second scan busy. */
static void
test_scanproc_handler_failure_cancel_busy(void **state)
{
    struct scan_opts o = proc_opts(SCAN_MODE_GRAY1, 100);
    struct seen s = {.fail_at = 1};
    struct scan_report rep;
    struct errbuf why;
    atomic_bool cancel = true;
    char path[512];
    int fd;

    (void)state;
    assert_int_equal(scanproc_run(&o, on_page, &s, &rep, &why), -1);
    assert_int_equal(rep.result, SCAN_ERROR);
    assert_int_equal(rep.pages, 1); /* the first page was stored */
    assert_non_null(strstr(why.text, "spool full"));
    o.cancel = &cancel;
    assert_int_equal(scanproc_run(&o, on_page, &s, &rep, &why), -1);
    assert_int_equal(rep.result, SCAN_CANCELLED);
    o.cancel = NULL;
    o.lock_dir = cfgdir; /* the lock is the caller's, as in scan_run() */
    snprintf(path, sizeof path, "%s/scan-test_0.lock", cfgdir);
    fd = open(path, O_RDWR | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0);
    assert_int_equal(scanproc_run(&o, on_page, &s, &rep, &why), -1);
    assert_int_equal(rep.result, SCAN_BUSY);
    close(fd);
    free(s.first);
}

/* A button reading holds the device lock for some tens of milliseconds;
 * a scan asked for meanwhile waits it out instead of being busy. */
static void
test_scanproc_waits_out_button_reading(void **state)
{
    struct scan_opts o = proc_opts(SCAN_MODE_GRAY1, 100);
    struct seen s = {.fail_at = -1};
    struct scan_report rep;
    struct errbuf why;
    char path[512], c;
    int pfd[2], st;
    pid_t pid;

    (void)state;
    o.lock_dir = cfgdir;
    o.max_pages = 1;
    snprintf(path, sizeof path, "%s/scan-test_0.lock", cfgdir);
    assert_int_equal(pipe(pfd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* the "button reading": holds the lock 300 ms */
        int fd = open(path, O_RDWR | O_CREAT, 0600);

        if (fd < 0 || flock(fd, LOCK_EX) != 0 || write(pfd[1], "x", 1) != 1)
            _exit(1);
        usleep(300 * 1000);
        _exit(0);
    }
    close(pfd[1]);
    assert_int_equal(read(pfd[0], &c, 1), 1); /* the lock is held now */
    close(pfd[0]);
    assert_int_equal(scanproc_run(&o, on_page, &s, &rep, &why), 0);
    assert_int_equal(rep.result, SCAN_OK);
    assert_int_equal(s.pages, 1);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    free(s.first);
}

/* A stand-in reader (a script): what a broken backend process can do. */
static struct scan_opts
standin_opts(const char *name, const char *script)
{
    struct scan_opts o = a4_opts(SCAN_MODE_GRAY1, 100);
    static char path[512];

    snprintf(path, sizeof path, "%s/%s", cfgdir, name);
    write_file(cfgdir, name, script);
    assert_int_equal(chmod(path, 0700), 0);
    o.reader_exe = path;
    o.stall_s = 1;
    o.close_s = 1;
    return o;
}

/* A python stand-in; w() writes bytes to the caller. */
#define STANDIN_HEAD                                                      \
    "#!/usr/bin/python3\n"                                                \
    "import struct, sys, time\n"                                          \
    "def w(b): sys.stdout.buffer.write(b); sys.stdout.flush()\n"

/* An END message with result r in the reader's native layout. */
#define STANDIN_END(r)                                                    \
    STANDIN_HEAD                                                          \
    "m = struct.pack('=IIiiiiIiiii128s12s256s', 0x73786669, 2, 0, 0, 0, " \
    "0, 0, " #r ", 0, 0, 2, b'fake:0', b'', b'Document feeder jammed')\n" \
    "sys.stdout.buffer.write(m); sys.stdout.flush()\n"

static void
test_scanproc_broken_readers_contained(void **state)
{
    struct seen s = {.fail_at = -1};
    struct scan_report rep;
    struct errbuf why;
    struct scan_opts o;

    (void)state;
    o = standin_opts("silent", "#!/bin/sh\nexec sleep 30\n");
    assert_int_equal(scanproc_run(&o, on_page, &s, &rep, &why), -1);
    assert_int_equal(rep.result, SCAN_IO_ERROR);
    assert_non_null(strstr(why.text, "sent nothing for 1 s"));
    o = standin_opts("garbage", "#!/bin/sh\nhead -c 2000 /dev/urandom\n");
    assert_int_equal(scanproc_run(&o, on_page, &s, &rep, &why), -1);
    assert_int_equal(rep.result, SCAN_ERROR);
    assert_non_null(strstr(why.text, "malformed"));
    o = standin_opts("crash", "#!/bin/sh\nkill -SEGV $$\n");
    assert_int_equal(scanproc_run(&o, on_page, &s, &rep, &why), -1);
    assert_int_equal(rep.result, SCAN_ERROR);
    assert_non_null(strstr(why.text, "died (signal 11)"));
    o = standin_opts("quiet", "#!/bin/sh\nexit 0\n");
    assert_int_equal(scanproc_run(&o, on_page, &s, &rep, &why), -1);
    assert_non_null(strstr(why.text, "without an outcome"));
    /* reported, then hung: the outcome stands, the reader is killed */
    o = standin_opts("hang", STANDIN_END(2) "time.sleep(30)\n");
    assert_int_equal(scanproc_run(&o, on_page, &s, &rep, &why), -1);
    assert_int_equal(rep.result, SCAN_JAMMED);
    assert_true(rep.reader_killed);
    assert_string_equal(rep.device, "fake:0");
    assert_non_null(strstr(why.text, "jammed"));
    /* an fd the caller left without O_CLOEXEC does not reach the reader:
     * the stand-in dies of SIGSEGV if it sees fd 50, exits quietly if not */
    assert_int_equal(dup2(STDERR_FILENO, 50), 50);
    o = standin_opts("fds", "#!/bin/sh\n[ -e /proc/$$/fd/50 ] && kill -SEGV $$\nexit 0\n");
    assert_int_equal(scanproc_run(&o, on_page, &s, &rep, &why), -1);
    assert_non_null(strstr(why.text, "without an outcome"));
    close(50);
    o.reader_exe = "/nonexistent/ifaxgw";
    assert_int_equal(scanproc_run(&o, on_page, &s, &rep, &why), -1);
    assert_int_equal(rep.result, SCAN_ERROR);
    assert_non_null(strstr(why.text, "starting /nonexistent/ifaxgw"));
    assert_int_equal(s.pages, 0);
}

/* The buttons read in a reader process are the ones read here; a held
 * device is busy, an unknown one reported; a reader that sends a bad
 * reading, a page or no reading at all is contained. */
static void
test_scanproc_buttons(void **state)
{
    struct scan_opts o = proc_opts(SCAN_MODE_GRAY1, 100);
    struct scan_buttons here, there;
    struct scan_report rep;
    enum scan_result res;
    struct errbuf why;
    char path[512];
    int fd;

    (void)state;
    assert_int_equal(scan_buttons_read("test:0", NULL, &here, &res, &why), 0);
    assert_int_equal(scanproc_buttons(&o, &there, &rep, &why), 0);
    assert_int_equal(rep.result, SCAN_OK);
    assert_int_equal(there.n, 1);
    assert_memory_equal(&there, &here, sizeof here);
    o.lock_dir = cfgdir;
    snprintf(path, sizeof path, "%s/scan-test_0.lock", cfgdir);
    fd = open(path, O_RDWR | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0); /* a scan in progress */
    assert_int_equal(scanproc_buttons(&o, &there, &rep, &why), -1);
    assert_int_equal(rep.result, SCAN_BUSY);
    close(fd);
    o.device = "nosuch:0";
    assert_int_equal(scanproc_buttons(&o, &there, &rep, &why), -1);
    assert_int_equal(rep.result, SCAN_NO_DEVICE);
    assert_non_null(strstr(why.text, "nosuch:0"));
    /* 99 buttons: more than a reading holds */
    assert_int_equal(sizeof(struct scan_buttons), 4 + 16 * 64 + 16);
    o = standin_opts("b99", STANDIN_HEAD
                     "w(struct.pack('=II', 0x73786669, 3) + bytes(432))\n"
                     "w(struct.pack('=i1024s16s', 99, b'', b''))\n");
    assert_int_equal(scanproc_buttons(&o, &there, &rep, &why), -1);
    assert_int_equal(rep.result, SCAN_ERROR);
    assert_non_null(strstr(why.text, "malformed"));
    /* a name without its NUL */
    o = standin_opts("bname", STANDIN_HEAD
                     "w(struct.pack('=II', 0x73786669, 3) + bytes(432))\n"
                     "w(struct.pack('=i1024s16s', 1, b'x' * 1024, b''))\n");
    assert_int_equal(scanproc_buttons(&o, &there, &rep, &why), -1);
    assert_non_null(strstr(why.text, "malformed"));
    /* a pressed flag that is no bool */
    o = standin_opts("bbool", STANDIN_HEAD
                     "w(struct.pack('=II', 0x73786669, 3) + bytes(432))\n"
                     "w(struct.pack('=i1024s16s', 1, b'scan', b'\\x07'))\n");
    assert_int_equal(scanproc_buttons(&o, &there, &rep, &why), -1);
    assert_non_null(strstr(why.text, "malformed"));
    /* a page where a reading belongs */
    o = standin_opts("bpage", STANDIN_HEAD
                     "w(struct.pack('=IIiiiiI', 0x73786669, 1, 8, 1, 100, "
                     "100, 1) + bytes(412))\nw(b'\\0')\n");
    assert_int_equal(scanproc_buttons(&o, &there, &rep, &why), -1);
    assert_non_null(strstr(why.text, "malformed"));
    /* an outcome of success without a reading */
    o = standin_opts("bnone", STANDIN_END(0));
    assert_int_equal(scanproc_buttons(&o, &there, &rep, &why), -1);
    assert_int_equal(rep.result, SCAN_ERROR);
    assert_non_null(strstr(why.text, "sent no buttons"));
    assert_int_equal(there.n, 0);
}

/*
 * Each test runs in a process of its own. The test backend stops its
 * reader thread with an asynchronous pthread_cancel; a reader caught inside
 * malloc() or rand() leaves a lock held for good, and whoever takes it next
 * in that process hangs (the next scan, or LeakSanitizer at exit). So every
 * scan that ends a page early (jam, cover open, I/O error, cancel, a failing
 * handler) runs through scanproc_run(), as the gateway's do; the scan_run()
 * tests here end their batches at the end of a page.
 */
int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_adf_batch_200dpi_geometry),
        cmocka_unit_test(test_scan_no_docs_ends_batch_after_ten),
        cmocka_unit_test(test_scan_odd_chunks_and_padding_same_pixels),
        cmocka_unit_test(test_scan_300dpi_gray8_thresholded),
        cmocka_unit_test(test_scan_blank_pages_skipped),
        cmocka_unit_test(test_scan_second_scan_refused_busy),
        cmocka_unit_test(test_scan_buttons_read_and_busy),
        cmocka_unit_test(test_scan_buttons_pressed_edges),
        cmocka_unit_test(test_scan_unknown_device_and_option),
        cmocka_unit_test(test_scanproc_pages_equal_in_process),
        cmocka_unit_test(test_scanproc_jams_never_hang),
        cmocka_unit_test(test_scanproc_cover_open_and_io_error),
        cmocka_unit_test(test_scanproc_handler_failure_cancel_busy),
        cmocka_unit_test(test_scanproc_broken_readers_contained),
        cmocka_unit_test(test_scanproc_buttons),
        cmocka_unit_test(test_scanproc_waits_out_button_reading),
    };
    size_t n = sizeof tests / sizeof tests[0];
    int failed = 0;
    char cmd[300];

    if (make_cfgdir() != 0)
        return 1;
    for (size_t i = 0; i < n; i++) {
        int st = 0;
        pid_t pid;

        fflush(NULL);
        pid = fork();
        if (pid == 0) {
            const struct CMUnitTest one[] = {tests[i]};

            exit(cmocka_run_group_tests_name(tests[i].name, one, setup_child,
                                             NULL) != 0);
        }
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
            WEXITSTATUS(st) != 0) {
            fprintf(stderr, "FAILED: %s (status %d)\n", tests[i].name, st);
            failed++;
        }
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cfgdir);
    if (system(cmd) != 0)
        failed++;
    printf("%d of %zu test processes failed\n", failed, n);
    return failed != 0;
}

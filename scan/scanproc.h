/*
 * scanproc - a scan in a process of its own
 *
 * SANE backends stop their reader thread with an asynchronous
 * pthread_cancel (sanei_thread). A reader cancelled inside malloc() or
 * rand() leaves a libc lock held, and whoever takes it next in that process
 * hangs: with the test backend, about one jammed scan in twenty hung in
 * sane_cancel(). A backend can also crash. So the gateway never runs SANE
 * scans in its own process: scanproc_run() starts `ifaxgw scan-reader`
 * (this binary, o->reader_exe), which runs scan_run() and writes every page
 * and then the outcome to a pipe; the page handler runs here, in the
 * caller's process, as with scan_run().
 *
 * The device lock is taken here and held until the reader has exited. A
 * reader that sends nothing for o->stall_s seconds is killed (SCAN_IO_ERROR);
 * one still alive o->close_s seconds after its outcome (hung in the
 * backend's clean-up) is killed and rep->reader_killed says so; one that
 * dies without an outcome is SCAN_ERROR. Cancel (o->cancel) and a failing
 * page handler reach the reader as SIGUSR1; it ends the batch cleanly.
 * Everything the reader sends is checked (sizes, ranges) before use.
 * scanproc_buttons() reads the scanner's buttons the same way, in a reader
 * of its own, so a process that only watches buttons never loads SANE.
 * Errors: as scan_run(). Threads: any; one call per scanner at a time.
 */
#ifndef IFAXGW_SCAN_SCANPROC_H
#define IFAXGW_SCAN_SCANPROC_H

#include "scan/scan.h"

int scanproc_run(const struct scan_opts *o, scan_page_fn fn, void *arg,
                 struct scan_report *rep, struct errbuf *why);

/* scan_buttons_read() in a reader: o->device, lock_dir, reader_exe,
 * stall_s and close_s are used; rep->result is SCAN_OK with out filled, or
 * says why not (SCAN_BUSY while a scan holds the device). 0 or -1. */
int scanproc_buttons(const struct scan_opts *o, struct scan_buttons *out,
                     struct scan_report *rep, struct errbuf *why);

/* The reader's side is `ifaxgw scan-reader` (dispatched by gateway/main.c
 * through gateway/commands.h): not for people, scanproc_run() writes its
 * command line and reads its binary output. */
int scanproc_reader_main(int argc, char **argv);

#endif

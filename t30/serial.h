/*
 * serial - the modem's serial port: open raw, read and write with timeouts
 *
 * termios raw mode (no echo, no line discipline, no kernel XON/XOFF: the
 * Class 1 driver handles flow control bytes itself, because they are data
 * while receiving), the configured speed, RTS/CTS when configured, CLOCAL.
 * A vanished device (unplugged USB, closed pty) reads as an error, never
 * as an endless stream of zero-length reads.
 * Errors: -1 with *why. Threads: a port belongs to one line thread.
 */
#ifndef IFAXGW_T30_SERIAL_H
#define IFAXGW_T30_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "gateway/util/errbuf.h"

/* Open and configure; returns the fd (non-blocking, close-on-exec). */
int serial_open(const char *dev, int baud, enum config_flow flow,
                struct errbuf *why);

/* Wait up to timeout_ms for input and read at most n bytes. Returns the
 * count, 0 on timeout, -1 when the device failed or went away. */
int serial_read(int fd, uint8_t *buf, size_t n, int timeout_ms,
                struct errbuf *why);

/* Write all n bytes within timeout_ms; -1 on error or timeout. */
int serial_write(int fd, const void *buf, size_t n, int timeout_ms,
                 struct errbuf *why);

/* Close; -1 is a no-op. */
void serial_close(int fd);

#endif

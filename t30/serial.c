/* serial - the modem's serial port (contract in serial.h) */
#define _DEFAULT_SOURCE /* cfmakeraw, CRTSCTS, B115200... */
#include "t30/serial.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static speed_t
speed(int baud)
{
    switch (baud) {
    case 9600:
        return B9600;
    case 19200:
        return B19200;
    case 38400:
        return B38400;
    case 57600:
        return B57600;
    case 230400:
        return B230400;
    default:
        return B115200;
    }
}

int
serial_open(const char *dev, int baud, enum config_flow flow,
            struct errbuf *why)
{
    struct termios tio;
    int fd = open(dev, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

    if (fd == -1)
        return errbuf_errno(why, "modem %s", dev);
    if (tcgetattr(fd, &tio) == -1)
        goto fail;
    cfmakeraw(&tio);
    tio.c_cflag |= CLOCAL | CREAD;
    tio.c_cflag &= ~(tcflag_t)CRTSCTS;
    if (flow == CONFIG_FLOW_RTSCTS)
        tio.c_cflag |= CRTSCTS;
    tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
    tio.c_cc[VMIN] = 0;
    tio.c_cc[VTIME] = 0;
    cfsetispeed(&tio, speed(baud));
    cfsetospeed(&tio, speed(baud));
    if (tcsetattr(fd, TCSANOW, &tio) == -1)
        goto fail;
    (void)tcflush(fd, TCIOFLUSH); /* stale RINGs and echoes */
    return fd;
fail:
    errbuf_errno(why, "modem %s", dev);
    close(fd);
    return -1;
}

int
serial_read(int fd, uint8_t *buf, size_t n, int timeout_ms, struct errbuf *why)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ssize_t r;
    int rc;

    rc = poll(&p, 1, timeout_ms < 0 ? 0 : timeout_ms);
    if (rc < 0)
        return errno == EINTR ? 0 : errbuf_errno(why, "modem poll");
    if (rc == 0)
        return 0;
    if ((p.revents & (POLLERR | POLLNVAL)) ||
        ((p.revents & POLLHUP) && !(p.revents & POLLIN)))
        return errbuf_set(why, ERR_TEMP, "", "modem hung up (device gone)");
    r = read(fd, buf, n);
    if (r > 0)
        return (int)r;
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (r == 0)
        return errbuf_set(why, ERR_TEMP, "", "modem closed (end of file)");
    return errbuf_errno(why, "modem read");
}

int
serial_write(int fd, const void *buf, size_t n, int timeout_ms,
             struct errbuf *why)
{
    const unsigned char *b = buf;
    int waited = 0;

    while (n > 0) {
        ssize_t w = write(fd, b, n);

        if (w > 0) {
            b += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN && waited < timeout_ms) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};

            (void)poll(&p, 1, 10);
            waited += 10;
            continue;
        }
        if (w < 0 && errno != EAGAIN)
            return errbuf_errno(why, "modem write");
        return errbuf_set(why, ERR_TEMP, "", "modem write timed out");
    }
    return 0;
}

void
serial_close(int fd)
{
    if (fd >= 0)
        close(fd);
}

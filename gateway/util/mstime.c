/* mstime - the two clocks every module reads, in milliseconds */
#include "gateway/util/mstime.h"

#include <time.h>

static int64_t
mstime_read(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
mstime_wall(void)
{
    return mstime_read(CLOCK_REALTIME);
}

int64_t
mstime_mono(void)
{
    return mstime_read(CLOCK_MONOTONIC);
}

namespace Pid1.Native;

internal static unsafe class Clock
{
    public static long MonotonicMilliseconds()
    {
        timespec now;
        Libc.clock_gettime(Libc.CLOCK_MONOTONIC, &now);
        return (now.tv_sec * 1000) + (now.tv_nsec / 1_000_000);
    }
}

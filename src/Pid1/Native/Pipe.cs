namespace Pid1.Native;

/// <summary>A pipe whose ends close on exec, so a child's successful exec closes its end.</summary>
internal readonly unsafe struct Pipe
{
    public Pipe(int read, int write)
    {
        Read = read;
        Write = write;
    }

    public int Read { get; }

    public int Write { get; }

    public static Pipe Create(string purpose)
    {
        int* fds = stackalloc int[2];
        Check.Ok(Libc.pipe2(fds, Libc.O_CLOEXEC), $"pipe2 for {purpose}");
        return new Pipe(fds[0], fds[1]);
    }
}

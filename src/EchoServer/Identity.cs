using System;
using System.Runtime.InteropServices;

namespace EchoServer;

/// <summary>The process's view of itself, to show what a sandbox changed: pid, uid, gid, hostname.</summary>
internal static class Identity
{
    public static string Describe() => $"pid {Environment.ProcessId} uid {getuid()} gid {getgid()} host {HostName()}";

    // Environment.MachineName cuts the name at its first dot; the demo shows the UTS name as set.
    private static unsafe string HostName()
    {
        const int size = 256; // HOST_NAME_MAX is 64; room to spare, and gethostname truncates anyway
        byte* name = stackalloc byte[size + 1];
        name[size] = 0;
        return gethostname(name, size) == 0 ? Marshal.PtrToStringUTF8((IntPtr)name) ?? "" : "?";
    }

    [DllImport("libc")]
    private static extern uint getuid();

    [DllImport("libc")]
    private static extern uint getgid();

    [DllImport("libc")]
    private static extern unsafe int gethostname(byte* name, nuint len);
}

using Pid1.Cli;
using Pid1.Init;
using Pid1.Native;

namespace Pid1.Sandbox;

/// <summary>
/// What a fresh namespace needs before anything else runs in it: the UTS names, and `lo` up in a new network
/// namespace (it starts down, so even 127.0.0.1 would be unreachable). The namespaces themselves come from
/// clone3's flags, which is also why -T works: unshare(CLONE_NEWTIME) would move only the caller's future
/// children, but clone3 puts the child itself into the new time namespace. Its clock offsets stay 0: the
/// kernel accepts /proc/PID/timens_offsets only before the first process enters the namespace.
/// </summary>
internal static unsafe class Namespaces
{
    /// <summary>Steps right after the parent released the child (maps written), before mounts and the root switch.</summary>
    public static void AddSetup(ChildPlan plan, Options options)
    {
        // The names belong to the new UTS namespace (CommandLine makes --hostname require -u), so the host's stay.
        if (options.Hostname is string hostname)
        {
            plan.Add(new ChildStep { Kind = StepKind.SetHostname, Path = CStrings.From(hostname), Number = Utf8Length(hostname) }, $"sethostname {hostname}");
        }

        if (options.Domainname is string domainname)
        {
            plan.Add(new ChildStep { Kind = StepKind.SetDomainname, Path = CStrings.From(domainname), Number = Utf8Length(domainname) }, $"setdomainname {domainname}");
        }

        if ((options.Namespaces & Libc.CLONE_NEWNET) != 0)
        {
            plan.Add(new ChildStep { Kind = StepKind.LoopbackUp }, "bring up lo in the new network namespace");
        }
    }

    /// <summary>
    /// SIOCGIFFLAGS then SIOCSIFFLAGS with IFF_UP on any AF_INET socket: the ioctl acts on the caller's network
    /// namespace, which is the new one here; no netlink needed for a single flag.
    /// </summary>
    public static int BringUpLoopback()
    {
        int fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            return fd;
        }

        ifreq request = default;
        request.ifr_name[0] = (byte)'l';
        request.ifr_name[1] = (byte)'o';
        int result = Libc.ioctl(fd, Libc.SIOCGIFFLAGS, &request);
        if (result >= 0)
        {
            request.ifr_flags |= (short)Libc.IFF_UP;
            result = Libc.ioctl(fd, Libc.SIOCSIFFLAGS, &request);
        }

        Libc.close(fd);
        return result;
    }

    /// <summary>
    /// --kill-child: prctl(PR_SET_PDEATHSIG), then make sure the parent did not die before the call took
    /// effect (then nothing would ever be sent): if the parent is no longer <paramref name="expectedParent"/>
    /// (0: the parent is outside our pid namespace, where a dead parent shows as EOF on the sync pipe
    /// instead), the signal is raised now.
    /// </summary>
    public static int SetParentDeathSignal(int signal, int expectedParent)
    {
        int result = Libc.prctl(Libc.PR_SET_PDEATHSIG, (ulong)signal, 0, 0, 0);
        if (result >= 0 && expectedParent != 0 && Libc.getppid() != expectedParent)
        {
            Libc.kill(Libc.getpid(), signal);
        }

        return result;
    }

    private static int Utf8Length(string text) => System.Text.Encoding.UTF8.GetByteCount(text);
}

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Pid1.Cli;
using Pid1.Native;

namespace Pid1.Sandbox;

/// <summary>
/// --cap-add / --cap-drop as one final set F, applied in the child: F becomes the bounding, permitted,
/// effective, inheritable and ambient sets, so it holds after exec for root and for any --user alike.
/// </summary>
internal static unsafe class Capabilities
{
    /// <summary>capabilities(7) names by number; the index is the capability.</summary>
    public static readonly string[] Names =
    {
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
        "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
        "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
        "CHECKPOINT_RESTORE",
    };

    /// <summary>
    /// F = (bounding − drops) ∪ adds, where bounding is pid1's own bounding set: a capability outside it can
    /// never be regained, so adding one is an error rather than a silent no-op. Null without cap options.
    /// </summary>
    public static ulong? FinalSet(Options o, ulong bounding)
    {
        if (o.CapAdd.Count == 0 && o.CapDrop.Count == 0)
        {
            return null;
        }

        ulong drops = Mask("cap-drop", o.CapDrop, bounding);
        ulong adds = Mask("cap-add", o.CapAdd, bounding);
        if ((adds & ~bounding) != 0)
        {
            throw new UsageException($"option '--cap-add': {Describe(adds & ~bounding)} is not in pid1's bounding set, so no process it starts can have it");
        }

        return (bounding & ~drops) | adds;
    }

    /// <summary>Names as in capabilities(7), any case, with or without CAP_; "all" is every capability of the bounding set.</summary>
    public static ulong Mask(string option, System.Collections.Generic.IEnumerable<string> names, ulong all)
    {
        ulong mask = 0;
        foreach (string raw in names)
        {
            string name = raw.Trim().ToUpperInvariant();
            name = name.StartsWith("CAP_", StringComparison.Ordinal) ? name.Substring(4) : name;
            int index = Array.IndexOf(Names, name);
            mask |= name == "ALL" ? all
                : index >= 0 ? 1UL << index
                : throw new UsageException($"option '--{option}': '{raw}' is not a capability name (capabilities(7), e.g. NET_BIND_SERVICE)");
        }

        return mask;
    }

    /// <summary>The kernel's highest capability number (older kernels know fewer than the table).</summary>
    public static int LastCap() =>
        int.TryParse(Files.ReadText("/proc/sys/kernel/cap_last_cap").Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int last)
            ? Math.Min(last, Names.Length - 1)
            : Names.Length - 1;

    /// <summary>pid1's bounding set, read with PR_CAPBSET_READ.</summary>
    public static ulong ReadBounding(int lastCap)
    {
        ulong set = 0;
        for (int cap = 0; cap <= lastCap; cap++)
        {
            if (Libc.prctl(Libc.PR_CAPBSET_READ, (ulong)cap, 0, 0, 0) == 1)
            {
                set |= 1UL << cap;
            }
        }

        return set;
    }

    public static string Describe(ulong set)
    {
        var names = new List<string>();
        for (int i = 0; i < Names.Length; i++)
        {
            if ((set >> i & 1) != 0)
            {
                names.Add(Names[i]);
            }
        }

        return set == 0 ? "none" : string.Join(',', names);
    }

    // Child side: allocation-free, −errno on failure.

    /// <summary>PR_CAPBSET_DROP every capability outside <paramref name="keep"/>: needs CAP_SETPCAP, so before setuid.</summary>
    public static int DropBounding(ulong keep, int lastCap)
    {
        for (int cap = 0; cap <= lastCap; cap++)
        {
            if ((keep >> cap & 1) == 0 && Libc.prctl(Libc.PR_CAPBSET_READ, (ulong)cap, 0, 0, 0) == 1)
            {
                int result = Libc.prctl(Libc.PR_CAPBSET_DROP, (ulong)cap, 0, 0, 0);
                if (result < 0)
                {
                    return result;
                }
            }
        }

        return 0;
    }

    /// <summary>
    /// capset effective = permitted = inheritable = <paramref name="set"/>. After a setuid under
    /// PR_SET_KEEPCAPS the permitted set still holds F but the effective set is empty: this restores it, and
    /// the inheritable bits are what PR_CAP_AMBIENT_RAISE requires.
    /// </summary>
    public static int SetAll(ulong set)
    {
        var header = new __user_cap_header_struct { version = Libc._LINUX_CAPABILITY_VERSION_3 };
        __user_cap_data_struct* data = stackalloc __user_cap_data_struct[2];
        data[0] = new __user_cap_data_struct { effective = (uint)set, permitted = (uint)set, inheritable = (uint)set };
        data[1] = new __user_cap_data_struct { effective = (uint)(set >> 32), permitted = (uint)(set >> 32), inheritable = (uint)(set >> 32) };
        return Libc.capset(&header, data);
    }

    /// <summary>
    /// Raises each capability of <paramref name="set"/> into the ambient set: without it, exec as a non-root
    /// user recomputes permitted from the file's (empty) capabilities and F would be lost. Harmless for root.
    /// </summary>
    public static int RaiseAmbient(ulong set, int lastCap)
    {
        for (int cap = 0; cap <= lastCap; cap++)
        {
            if ((set >> cap & 1) != 0)
            {
                int result = Libc.prctl(Libc.PR_CAP_AMBIENT, (ulong)Libc.PR_CAP_AMBIENT_RAISE, (ulong)cap, 0, 0);
                if (result < 0)
                {
                    return result;
                }
            }
        }

        return 0;
    }

    /// <summary>--keep-caps (unshare(1)): whatever is permitted now survives exec, through inheritable + ambient.</summary>
    public static int PermittedToAmbient(int lastCap)
    {
        var header = new __user_cap_header_struct { version = Libc._LINUX_CAPABILITY_VERSION_3 };
        __user_cap_data_struct* data = stackalloc __user_cap_data_struct[2];
        int result = Libc.capget(&header, data);
        if (result < 0)
        {
            return result;
        }

        ulong permitted = data[0].permitted | (ulong)data[1].permitted << 32;
        result = SetAll(permitted);
        return result < 0 ? result : RaiseAmbient(permitted, lastCap);
    }
}

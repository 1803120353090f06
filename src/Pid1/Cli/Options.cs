using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace Pid1.Cli;

/// <summary>A mount requested on the command line, applied in the order given, under the new root.</summary>
internal enum MountKind
{
    Bind,
    ReadOnlyBind,
    Tmpfs,
    Proc,
    Dev,
    Image,
}

internal sealed record MountRequest(MountKind Kind, string Source, string Destination, string Options)
{
    // Not the record's generated ToString: it boxes Kind and pulls the runtime's reflective enum formatting.
    public override string ToString() => Source + " -> " + Destination;

    // Value equality by hand (parsed mounts are compared by value): the generated one compares Kind through
    // EqualityComparer<MountKind>, an enum comparer compiled into the binary for this one type.
    public bool Equals(MountRequest? other) =>
        other is not null && Kind == other.Kind && Source == other.Source && Destination == other.Destination && Options == other.Options;

    public override int GetHashCode() => ((int)Kind * 31 + Source.GetHashCode()) * 31 + Destination.GetHashCode();
}

/// <remarks>A class, not a record (nor are the classes after it): nothing compares them by value, and a record's Equals and GetHashCode would stay in the binary (object's are virtual).</remarks>
internal sealed class RlimitRequest(string Name, int Resource, ulong Soft, ulong Hard)
{
    public string Name { get; } = Name;

    public int Resource { get; } = Resource;

    public ulong Soft { get; } = Soft;

    public ulong Hard { get; } = Hard;
}

internal sealed class ListenRequest(string Address, int Port, bool Udp)
{
    public string Address { get; } = Address;

    public int Port { get; } = Port;

    public bool Udp { get; } = Udp;
}

/// <summary>Everything argv and the environment ask for; parsed once, never changed.</summary>
internal sealed record Options
{
    public static readonly Options Default = new();

    // What to run.
    public string Program { get; init; } = string.Empty;

    public IReadOnlyList<string> Arguments { get; init; } = [];

    public bool ShowHelp { get; init; }

    public bool ShowVersion { get; init; }

    // Init (tini, dumb-init spelling where it does not clash with unshare).
    public bool Subreaper { get; init; }

    public bool KillGroup { get; init; }

    public int ParentDeathSignal { get; init; }

    public IReadOnlyList<int> RemapExit { get; init; } = [];

    /// <summary>--rewrite FROM:TO pairs; TO 0 drops the signal.</summary>
    public IReadOnlyList<(int From, int To)> Rewrite { get; init; } = [];

    public int GraceMilliseconds { get; init; } = 10_000;

    public bool WaitAll { get; init; }

    /// <summary>0 quiet (-q), 1 warnings (default), 2 and more with each -v.</summary>
    public int Verbosity { get; init; } = 1;

    // Namespaces (unshare(1) spelling).
    public ulong Namespaces { get; init; }

    public bool UnshareAll { get; init; }

    public string? MountProc { get; init; }

    public bool MapRootUser { get; init; }

    public bool MapCurrentUser { get; init; }

    public string? MapUser { get; init; }

    public string? MapGroup { get; init; }

    public string? MapUsers { get; init; }

    public string? MapGroups { get; init; }

    public bool MapAuto { get; init; }

    public string Propagation { get; init; } = "private";

    public string? SetGroups { get; init; }

    public bool KeepCaps { get; init; }

    public uint? SetUid { get; init; }

    public uint? SetGid { get; init; }

    public int KillChild { get; init; }

    public string? Hostname { get; init; }

    public string? Domainname { get; init; }

    // Root and mounts.
    public string? ChrootDir { get; init; }

    public string? RootfsDir { get; init; }

    public string? WorkingDirectory { get; init; }

    public IReadOnlyList<MountRequest> Mounts { get; init; } = [];

    public bool ReadOnlyRoot { get; init; }

    // Identity.
    public string? User { get; init; }

    public string? Groups { get; init; }

    public IReadOnlyList<string> CapAdd { get; init; } = [];

    public IReadOnlyList<string> CapDrop { get; init; } = [];

    public bool NoNewPrivileges { get; init; }

    public IReadOnlyList<RlimitRequest> Rlimits { get; init; } = [];

    public IReadOnlyList<ListenRequest> Listen { get; init; } = [];

    // Cgroups: raw values in docker's units; Sandbox/Cgroups validates and converts them.
    public string? CgroupName { get; init; }

    public bool CgroupOptional { get; init; }

    public IReadOnlyDictionary<string, string> CgroupLimits { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<(string Option, string Value)> CgroupDeviceRules { get; init; } = [];

    // Lifecycle.
    public bool Detach { get; init; }

    public string? LogFile { get; init; }

    public string? Name { get; init; }

    public int StatusFd { get; init; } = -1;

    // Kernel init.
    public bool Reboot { get; init; }

    /// <summary>True when nothing has to happen in the child between fork and exec but the signal mask.</summary>
    public bool IsPlainSpawn =>
        Namespaces == 0 && ChrootDir is null && RootfsDir is null && WorkingDirectory is null && Mounts.Count == 0
        && User is null && SetUid is null && SetGid is null && Groups is null && CapAdd.Count == 0 && CapDrop.Count == 0
        && !NoNewPrivileges && Rlimits.Count == 0 && Listen.Count == 0 && CgroupName is null && CgroupLimits.Count == 0
        && CgroupDeviceRules.Count == 0 && Hostname is null && Domainname is null && !ReadOnlyRoot && KillChild == 0;

    /// <summary>The name only: the generated ToString, kept in the binary because object.ToString is virtual, formats every member.</summary>
    public override string ToString() => nameof(Options);

    /// <summary>
    /// Identity: options are copied with <c>with</c> but never compared. The generated member-by-member
    /// equality stays in the binary (object's Equals and GetHashCode are virtual) with a comparer per member type.
    /// </summary>
    public bool Equals(Options? other) => ReferenceEquals(this, other);

    public override int GetHashCode() => RuntimeHelpers.GetHashCode(this);
}

using System;
using System.Collections.Generic;
using System.IO;
using Pid1.Cli;
using Pid1.Init;
using Pid1.Native;

namespace Pid1.Lifecycle;

/// <summary>
/// The lifecycle around one run of pid1: detach first when asked, claim the sandbox's name, tell
/// --status-fd and the state file once the program runs, and give the name back however pid1 leaves
/// (normal exit or setup error). Only named or detached runs touch /run/pid1.
/// </summary>
internal static unsafe class Session
{
    private static Options? current;
    private static SandboxState? claimed;

    public static int Run(Options options, string[] args, sigset_t* originalMask)
    {
        if (options.Detach && !Detach.AdoptReport())
        {
            return Detach.Launch(options, args, originalMask);
        }

        StatusEvents.Prepare(options.StatusFd);
        current = options;
        Claim(options);
        try
        {
            int code = Launcher.Run(options, originalMask);
            StatusEvents.Exited(options.StatusFd, code);
            return code;
        }
        finally
        {
            if (claimed is not null)
            {
                StateStore.Release(claimed.Name, Environment.ProcessId);
            }
        }
    }

    /// <summary>Called by the launcher once the program was exec'd, before supervising it.</summary>
    public static void Started(int child)
    {
        if (current is null || (claimed is null && current.StatusFd < 0 && !Detach.IsDetached))
        {
            return;
        }

        SandboxState state = Describe(claimed ?? Initial(current, string.Empty), child);
        try
        {
            if (claimed is not null)
            {
                StateStore.Write(state);
            }

            StatusEvents.Started(current.StatusFd, state);
        }
        catch (SetupException e)
        {
            Log.Warning($"recording the sandbox's state: {e.Message}");
        }

        Detach.ReportStarted(state.Name);
    }

    private static void Claim(Options options)
    {
        string? name = options.Name is string given ? Names.Validated(given)
            : options.Detach ? Names.Generate(options.Program, Environment.ProcessId)
            : null;
        if (name is not null)
        {
            claimed = Initial(options, name);
            StateStore.Claim(claimed);
        }
    }

    private static SandboxState Initial(Options options, string name) => new()
    {
        Name = name,
        Pid = Environment.ProcessId,
        PidStart = ProcInfo.Stat(Environment.ProcessId)?.StartTime ?? 0,
        Session = Libc.getsid(0),
        Started = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        GraceMilliseconds = options.GraceMilliseconds,
        Images = Images(options.Mounts),
        Command = string.Join(' ', [options.Program, .. options.Arguments]),
    };

    /// <summary>The main child's identity, namespaces and cgroups, read from /proc right after it started.</summary>
    private static SandboxState Describe(SandboxState state, int child)
    {
        (string unified, string freezer) = ProcInfo.Cgroups(child);
        return state with
        {
            Child = child,
            ChildStart = ProcInfo.Stat(child)?.StartTime ?? 0,
            Namespaces = NamespaceInodes(child),
            Cgroup = unified,
            Freezer = freezer,
        };
    }

    private static List<(string Image, string Destination)> Images(IReadOnlyList<MountRequest> mounts)
    {
        var images = new List<(string Image, string Destination)>();
        foreach (MountRequest m in mounts)
        {
            if (m.Kind == MountKind.Image)
            {
                images.Add((Files.FullPath(m.Source), m.Destination));
            }
        }

        return images;
    }

    private static List<(string Kind, ulong Inode)> NamespaceInodes(int child)
    {
        var inodes = new List<(string Kind, ulong Inode)>();
        foreach (string kind in Namespaces.Kinds)
        {
            ulong inode = ProcInfo.NamespaceInode(child, kind);
            if (inode != 0)
            {
                inodes.Add((kind, inode));
            }
        }

        return inodes;
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using Pid1.Native;

namespace Pid1.Lifecycle;

/// <summary>
/// /run/pid1/NAME files. Claiming a name, removing a stale entry and removing one's own entry happen under
/// an flock of /run/pid1/.lock, so two pid1 racing for a name, or a cleaner racing a new owner, cannot both
/// win. Writes are a temporary file renamed over the entry: readers see the old or the new record, never half.
/// An entry counts only while its pid1 is alive with the recorded start time; anything else is stale and is
/// removed by whoever finds it.
/// </summary>
internal static unsafe class StateStore
{
    public const string Directory = "/run/pid1";

    public static string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>Takes NAME for <paramref name="state"/>; a live owner makes it a 125 "name NAME is in use by pid N".</summary>
    public static void Claim(SandboxState state)
    {
        Check.Ok(Files.CreateDirectories(Directory), $"create {Directory}");
        using var held = Lock();
        if (LoadLive(state.Name) is SandboxState owner)
        {
            throw new SetupException($"name {state.Name} is in use by pid {owner.Pid}");
        }

        Write(state);
    }

    /// <summary>Replaces the record of a name this pid1 owns.</summary>
    public static void Write(SandboxState state)
    {
        string temporary = Path.Combine(Directory, $".{state.Name}.{Environment.ProcessId}.tmp");
        Check.Ok(Files.WriteText(temporary, state.Serialize()), $"write {temporary}");
        Check.Ok(Files.Move(temporary, PathOf(state.Name)), $"rename {temporary} to {PathOf(state.Name)}");
    }

    /// <summary>Removes the entry if it still belongs to pid <paramref name="pid"/> (never someone else's).</summary>
    public static void Release(string name, int pid)
    {
        using var held = Lock();
        if (Read(name) is SandboxState state && state.Pid == pid)
        {
            Delete(name);
        }
    }

    /// <summary>The live sandbox called NAME, or null; a stale entry found on the way is removed.</summary>
    public static SandboxState? Find(string name)
    {
        if (!Files.IsFile(PathOf(name)))
        {
            return null;
        }

        using var held = Lock();
        return LoadLive(name);
    }

    /// <summary>Every live sandbox, by name; stale entries are removed, not listed.</summary>
    public static List<SandboxState> All()
    {
        var live = new List<SandboxState>();
        if (!Files.IsDirectory(Directory))
        {
            return live;
        }

        using var held = Lock();
        foreach (string name in Files.List(Directory, directories: false))
        {
            if (Names.Problem(name) is null && LoadLive(name) is SandboxState state)
            {
                live.Add(state);
            }
        }

        live.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return live;
    }

    /// <summary>Under the lock: the entry if its pid1 is alive and the same process, else removes it.</summary>
    private static SandboxState? LoadLive(string name)
    {
        if (!Files.IsFile(PathOf(name)))
        {
            return null;
        }

        SandboxState? state = Read(name);
        if (state is not null && ProcInfo.IsSame(state.Pid, state.PidStart))
        {
            return state;
        }

        Delete(name);
        return null;
    }

    private static SandboxState? Read(string name) =>
        Files.ReadTextIfPresent(PathOf(name)) is string text ? SandboxState.Parse(text) : null;

    private static void Delete(string name) => Check.Ok(Files.Delete(PathOf(name)), $"remove {PathOf(name)}");

    /// <summary>An exclusive flock held until disposed; the kernel drops it if this process dies.</summary>
    private static FileLock Lock()
    {
        int fd = Check.Ok(Libc.open("/run/pid1/.lock\0"u8.AsPointer(), Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0x180), $"open {Directory}/.lock");
        int result;
        while ((result = Libc.flock(fd, Libc.LOCK_EX)) == -Libc.EINTR)
        {
        }

        if (result < 0)
        {
            Libc.close(fd);
            Check.Ok(result, $"flock {Directory}/.lock");
        }

        return new FileLock(fd);
    }

    private readonly struct FileLock(int fd) : IDisposable
    {
        public void Dispose() => Libc.close(fd);
    }
}

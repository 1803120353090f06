using System.Collections.Generic;
using Pid1.Native;

namespace Pid1.Sandbox;

/// <summary>
/// --dev DEST: a minimal /dev on a fresh tmpfs, so programs in a new root find what they expect (the seed's
/// "chroot has no /proc or /dev" problem). Device nodes are bind-mounted from the host's /dev rather than
/// made with mknod: mknod is refused in a user namespace, and one way for both cases is one way to test.
/// </summary>
internal static class DevTree
{
    /// <summary>The character devices every program may use; nothing that reaches hardware or the kernel.</summary>
    public static readonly string[] Nodes = ["null", "zero", "full", "random", "urandom", "tty"];

    /// <summary>The links the C library and shells rely on: /dev/fd/N, /dev/stdin … and ptmx for the new devpts.</summary>
    public static readonly (string Name, string Target)[] Links =
    [
        ("ptmx", "pts/ptmx"),
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ];

    public static IEnumerable<FsOperation> Operations(string dest)
    {
        // mode=0755 like a real /dev; nodev is harmless: each node below is its own bind mount with the
        // host /dev's flags.
        yield return MountPlan.Tmpfs(dest, "mode=0755");
        foreach (string node in Nodes)
        {
            string target = Join(dest, node);
            yield return new FsOperation(FsOpKind.Mount, target, $"bind /dev/{node} on {target}")
            {
                Source = "/dev/" + node,
                Flags = Libc.MS_BIND,
                CreateFile = true,
            };
        }

        // A private devpts instance: the sandbox sees only its own ptys; ptmxmode=0666 so anyone may open one.
        string pts = Join(dest, "pts");
        yield return new FsOperation(FsOpKind.Mount, pts, $"mount devpts on {pts}")
        {
            Source = "devpts",
            Types = ["devpts"],
            Data = "newinstance,ptmxmode=0666,mode=620",
            Flags = Libc.MS_NOSUID | Libc.MS_NOEXEC,
        };
        yield return MountPlan.Tmpfs(Join(dest, "shm"), "mode=1777");
        foreach ((string name, string target) in Links)
        {
            string link = Join(dest, name);
            yield return new FsOperation(FsOpKind.Symlink, link, $"symlink {link} -> {target}") { Source = target };
        }
    }

    private static string Join(string dir, string name) => dir == "/" ? "/" + name : dir + "/" + name;
}

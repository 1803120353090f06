using System;

namespace Pid1.Cli;

internal static class Usage
{
    public const string Hint = "Try 'pid1 --help' for more information.";

    /// <summary>UTF-8, as written: a string literal would be stored as UTF-16, twice the bytes in the binary.</summary>
    public static ReadOnlySpan<byte> Text => """
        Usage: pid1 [OPTIONS] [--] PROGRAM [ARGS...]
               pid1 list [--json] | kill NAME|--sid SID|--pidns INODE [SIG] | stop NAME [--grace S]
               pid1 exec NAME [--user U] -- CMD | checkpoint NAME OUT.gz [--image DEST] [--zero-free]

        Runs PROGRAM as a container runtime would and stays with it as its init: reaps zombies, forwards
        signals, shuts the tree down cleanly. Options stop at the first non-option.

        Init:
          -s, --subreaper          become a child subreaper (automatic when not PID 1)
          -g, --kill-group         send forwarded signals to the child's process group
              --pdeathsig SIG      get SIG when pid1's parent dies (and forward it)
          -e, --remap-exit CODE    treat exit code CODE as 0 (repeatable)
              --rewrite SIG:SIG    forward the first signal as the second (0 drops it)
              --grace SECONDS      after the main child exits: TERM the rest, KILL after SECONDS (10)
              --wait-all           exit when the last process is gone, not when the main child exits
          -v, --verbose            log spawns, signals and reaped children (repeatable); PID1_VERBOSITY
          -q, --quiet              hide warnings
          -V, --version            print the version
          -h, --help               print this help

        Namespaces (as unshare(1)):
          -m, --mount  -u, --uts  -i, --ipc  -n, --net  -p, --pid  -U, --userns  -C, --cgroupns  -T, --time
          -f, --fork               accepted; pid1 always forks
              --unshare-all        m u i n p C, and U when not root
              --mount-proc[=DIR]   mount a new proc (implies -m)
          -r, --map-root-user      map the caller to root (implies -U)
          -c, --map-current-user   map the caller to itself
              --map-user UID|NAME  --map-group GID|NAME  --map-users/--map-groups INNER:OUTER:COUNT  --map-auto
              --propagation slave|shared|private|unchanged
              --setgroups allow|deny    --keep-caps    -S, --setuid UID    -G, --setgid GID
              --kill-child[=SIG]   signal the child when pid1 dies (default KILL)
              --hostname NAME      --domainname NAME (need -u)

        Root and mounts (DEST is inside the new root; missing mount points are created):
              --rootfs DIR         pivot_root into DIR (implies -m)      -R, --root DIR   chroot into DIR
          -w, --wd DIR             working directory
              --bind SRC:DEST  --ro-bind SRC:DEST  --tmpfs DEST[:size=1m,mode=1777]  --proc DEST  --dev DEST
              --mount-image IMG:DEST[:ro]   --read-only

        Identity:
              --user USER[:GROUP]  from the new root's /etc/passwd and /etc/group
              --groups LIST        --cap-add LIST   --cap-drop LIST|all   --no-new-privs
              --rlimit NAME=SOFT[:HARD]   --listen [ADDR:]PORT[/udp] (socket activation: fds 3…, LISTEN_FDS)

        Cgroups (docker's names and units):
              --cgroup NAME  --memory  --memory-swap  --memory-swappiness  --cpu-shares  --cpu-period
              --cpu-quota  --cpus  --cpuset-cpus  --cpuset-mems  --pids-limit  --blkio-weight
              --device-read-bps DEV:RATE  --device-write-bps  --device-read-iops  --device-write-iops
              --device-deny DEV  --device-allow DEV  --cgroup-optional

        Lifecycle:
              --detach  --log FILE  --name NAME  --status-fd FD  --reboot (kernel init)

        Exit status: the program's; 128+N if it died of signal N; 125 pid1 failed; 126 not executable;
        127 not found.

        """u8;
}

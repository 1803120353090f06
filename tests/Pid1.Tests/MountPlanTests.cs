using System;
using System.Collections.Generic;
using System.Linq;
using Pid1.Cli;
using Pid1.Native;
using Pid1.Sandbox;
using Xunit;

namespace Pid1.Tests;

/// <summary>A host where /missing does not exist, /host/file is a file and every other path a directory.</summary>
file sealed record FakeHost(IReadOnlyList<AttachedImage> Images) : HostFacts(Images)
{
    public override PathKind Kind(string path) => path switch
    {
        "/missing" => PathKind.Missing,
        "/host/file" => PathKind.File,
        _ => PathKind.Directory,
    };
}

/// <summary>The filesystem plan as data: order, targets, flags and descriptions, without root.</summary>
public class MountPlanTests
{
    private static readonly HostFacts Host = new FakeHost([]);

    private static IReadOnlyList<FsOperation> Plan(params string[] argv) => Plan(Host, argv);

    private static IReadOnlyList<FsOperation> Plan(HostFacts host, params string[] argv) =>
        MountPlan.Build(CommandLine.Parse([.. argv, "/bin/true"], _ => null, callerIsRoot: true), host);

    private static string[] Kinds(IEnumerable<FsOperation> ops) => ops.Select(o => $"{o.Kind} {o.Target}").ToArray();

    [Fact]
    public void Build_Rootfs_MountsUnderTheRootThenPivotsThenProcAndReadOnly()
    {
        var ops = Plan("--rootfs", "/r", "--tmpfs", "/tmp:size=1m", "--mount-proc", "--read-only", "-w", "/srv");
        Assert.Equal(
            [
                "Propagation /", "BindRootOntoItself /r", "OpenRoot /r", "Mount /tmp", "EnterRoot /r", "PivotRoot /r",
                "DetachOldRoot /", "ChangeDirectory /", "MountProc /proc", "RemountRoot /", "ChangeDirectory /srv",
            ],
            Kinds(ops));
        Assert.Equal(Libc.MS_REC | Libc.MS_PRIVATE, ops[0].Flags);
        Assert.Equal("size=1m", ops[3].Data);
        Assert.Equal("make the root /r read-only", ops[9].Description);
    }

    [Fact]
    public void Build_ChrootOnly_NoMountNamespaceNoBindNoPropagation()
    {
        Assert.Equal(["OpenRoot /r", "EnterRoot /r", "Chroot /r", "ChangeDirectory /"], Kinds(Plan("-R", "/r")));
    }

    [Fact]
    public void Build_ChrootReadOnly_BindsTheRootSoItCanBeRemounted()
    {
        Assert.Equal(
            ["Propagation /", "BindRootOntoItself /r", "OpenRoot /r", "EnterRoot /r", "Chroot /r", "ChangeDirectory /", "RemountRoot /"],
            Kinds(Plan("-R", "/r", "--read-only")));
    }

    [Fact]
    public void Build_MountProcWithoutRoot_IsTheUnshareBehaviour()
    {
        Assert.Equal(["Propagation /", "MountProc /proc"], Kinds(Plan("-p", "--mount-proc")));
        Assert.Equal(["MountProc /mnt/proc"], Kinds(Plan("-p", "--mount-proc=/mnt/proc", "--propagation", "unchanged")));
        Assert.Equal(["Propagation /"], Kinds(Plan("-m", "--propagation", "slave")));
        Assert.Equal(Libc.MS_REC | Libc.MS_SLAVE, Plan("-m", "--propagation", "slave")[0].Flags);
    }

    [Fact]
    public void Build_MountsWithoutRoot_ResolveUnderSlashAndReturnToTheWorkingDirectory()
    {
        Assert.Equal(["Propagation /", "OpenRoot /", "Mount /mnt/t", "RestoreDirectory ."], Kinds(Plan("--tmpfs", "/mnt/t")));
    }

    [Fact]
    public void Build_NoFilesystemOptions_NoOperations()
    {
        Assert.Empty(Plan("-u"));
    }

    [Theory]
    [InlineData("/../../etc", "/etc")]
    [InlineData("/a//b/./c/", "/a/b/c")]
    [InlineData("/a/../../b/..", "/")]
    [InlineData("/", "/")]
    public void Normalize_DotDotStopsAtTheRoot(string path, string expected)
    {
        Assert.Equal(expected, Files.Normalize(path));
    }

    [Fact]
    public void Build_BindOnDotDot_TargetIsInsideTheRoot()
    {
        FsOperation bind = Plan("--rootfs", "/r", "--bind", "/x:/../../etc").Single(o => o.Kind == FsOpKind.Mount);
        Assert.Equal("/etc", bind.Target);
        Assert.Equal("/x", bind.Source);
        Assert.Equal(Libc.MS_BIND | Libc.MS_REC, bind.Flags);
        Assert.Equal("bind /x on /etc", bind.Description);
    }

    [Fact]
    public void Build_RoBind_IsOneRecursiveReadOnlyBind()
    {
        FsOperation bind = Plan("--ro-bind", "/src:/d").Single(o => o.Target == "/d");
        Assert.Equal(Libc.MS_BIND | Libc.MS_REC | Libc.MS_RDONLY, bind.Flags);
        Assert.Equal("bind /src on /d read-only", bind.Description);
    }

    [Fact]
    public void Build_BindOfAFile_CreatesAFileMountPoint()
    {
        Assert.True(Plan("--bind", "/host/file:/f").Single(o => o.Kind == FsOpKind.Mount).CreateFile);
        Assert.False(Plan("--bind", "/host/dir:/d").Single(o => o.Kind == FsOpKind.Mount).CreateFile);
    }

    [Fact]
    public void Build_Dev_IsATmpfsWithBoundNodesPtsShmAndLinks()
    {
        var ops = Plan("--rootfs", "/r", "--dev", "/dev").SkipWhile(o => o.Kind != FsOpKind.Mount).TakeWhile(o => o.Kind is FsOpKind.Mount or FsOpKind.Symlink).ToArray();
        Assert.Equal(
            [
                "Mount /dev", "Mount /dev/null", "Mount /dev/zero", "Mount /dev/full", "Mount /dev/random", "Mount /dev/urandom",
                "Mount /dev/tty", "Mount /dev/pts", "Mount /dev/shm", "Symlink /dev/ptmx", "Symlink /dev/fd", "Symlink /dev/stdin",
                "Symlink /dev/stdout", "Symlink /dev/stderr",
            ],
            Kinds(ops));
        Assert.All(ops.Skip(1).Take(6), node => Assert.True(node.CreateFile && node.Flags == Libc.MS_BIND && node.Source == "/dev/" + node.Target[5..]));
        Assert.Equal("newinstance,ptmxmode=0666,mode=620", ops[7].Data);
        Assert.Equal("pts/ptmx", ops[9].Source);
    }

    [Fact]
    public void Build_Image_MountsTheAttachedDeviceWithTheDetectedType()
    {
        Options options = CommandLine.Parse(["--mount-image", "/img.ext4:/data:ro", "/bin/true"], _ => null, callerIsRoot: true);
        var host = Host with { Images = [new AttachedImage(options.Mounts[0], "/dev/loop7", ["ext4"], Detected: true)] };
        FsOperation mount = MountPlan.Build(options, host).Single(o => o.Kind == FsOpKind.Mount);
        Assert.Equal("/dev/loop7", mount.Source);
        Assert.Equal(["ext4"], mount.Types);
        Assert.Equal(Libc.MS_NOSUID | Libc.MS_NODEV | Libc.MS_RDONLY, mount.Flags);
        Assert.Equal("mount image /img.ext4 (/dev/loop7, as ext4) on /data", mount.Description);
    }

    [Fact]
    public void Build_MissingRootfs_ThrowsENOENTNamingIt()
    {
        var e = Assert.Throws<SetupException>(() => Plan("--rootfs", "/missing"));
        Assert.Equal("new root /missing (--rootfs): ENOENT (No such file or directory)", e.Message);
        Assert.Equal(125, e.ExitCode);
    }

    [Fact]
    public void Build_RootIsAFile_ThrowsENOTDIR()
    {
        Assert.Equal(Libc.ENOTDIR, Assert.Throws<SetupException>(() => Plan("-R", "/host/file")).Errno);
    }

    [Fact]
    public void Build_MissingBindSource_ThrowsBeforeAnythingIsCreated()
    {
        Assert.Equal("bind source /missing: ENOENT (No such file or directory)", Assert.Throws<SetupException>(() => Plan("--bind", "/missing:/x")).Message);
    }

    [Fact]
    public void Parse_RootfsWithSharedPropagation_IsAUsageError()
    {
        Assert.Throws<UsageException>(() => Plan("--rootfs", "/r", "--propagation", "shared"));
        Assert.Throws<UsageException>(() => Plan("--rootfs", "/r", "--propagation", "unchanged"));
    }
}

public class ImageProbeTests
{
    private static byte[] Head(int offset, params byte[] magic)
    {
        byte[] head = new byte[ImageProbe.HeadLength];
        magic.CopyTo(head, offset);
        return head;
    }

    [Fact]
    public void Detect_Ext2Magic_IsMountedAsExt4()
    {
        Assert.Equal("ext4", ImageProbe.Detect(Head(1080, 0x53, 0xEF)));
    }

    [Fact]
    public void Detect_SquashfsAndBtrfs()
    {
        Assert.Equal("squashfs", ImageProbe.Detect(Head(0, "hsqs"u8.ToArray())));
        Assert.Equal("btrfs", ImageProbe.Detect(Head(0x10040, "_BHRfS_M"u8.ToArray())));
    }

    [Fact]
    public void Detect_Fat32BootSector()
    {
        byte[] head = Head(82, "FAT32"u8.ToArray());
        head[510] = 0x55;
        head[511] = 0xAA;
        Assert.Equal("vfat", ImageProbe.Detect(head));
    }

    [Fact]
    public void Detect_ZerosOrShortImage_Null()
    {
        Assert.Null(ImageProbe.Detect(new byte[ImageProbe.HeadLength]));
        Assert.Null(ImageProbe.Detect(new byte[100]));
    }

    [Fact]
    public void BlockFilesystems_SkipsNodevAndFuseblk()
    {
        Assert.Equal(["ext4", "vfat"], ImageProbe.BlockFilesystems("nodev\tsysfs\nnodev\tproc\n\text4\n\tfuseblk\nnodev\ttmpfs\n\tvfat\n"));
    }
}

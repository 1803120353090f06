using System;
using System.Collections.Generic;
using System.Linq;
using Pid1.Cli;
using Pid1.Native;
using Pid1.Sandbox.Cgroups;
using Xunit;

namespace Pid1.Tests;

/// <summary>Cgroup options: docker's units, the v1 → v2 conversions, device rules, BPF bytes, layouts and plans.</summary>
public class CgroupTests
{
    private const string HybridMountinfo =
        "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n" +
        "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n" +
        "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n" +
        "35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n" +
        "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n" +
        "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

    private const string HybridProcCgroup = "9:name=systemd:/\n5:devices:/\n4:memory:/outer\n1:cpu:/\n0::/\n";

    private static readonly HostFacts TwoCpus = new(
        new HashSet<int> { 0, 1 },
        new HashSet<int> { 0 },
        path => path switch
        {
            "/dev/null" => new DeviceNumber('c', 1, 3),
            "/dev/loop7" => new DeviceNumber('b', 7, 7),
            _ => null,
        });

    private static Options Parse(params string[] argv) =>
        CommandLine.Parse([.. argv, "true"], _ => null, callerIsRoot: true);

    private static CgroupSpec Spec(params string[] argv) => CgroupSpec.From(Parse(argv), TwoCpus)!;

    private static CgroupLayout PureV2(string controllers = "cpuset cpu io memory pids") =>
        CgroupLayout.Parse("25 1 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "0::/\n", _ => controllers);

    [Theory]
    [InlineData("1024", 1024)]
    [InlineData("32m", 32L << 20)]
    [InlineData("32M", 32L << 20)]
    [InlineData("1mb", 1L << 20)]
    [InlineData("512k", 512L << 10)]
    [InlineData("1.5g", 3L << 29)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("0.5k", 512)]
    [InlineData("1.k", 1024)]
    [InlineData("0.0009765625k", 1)]
    [InlineData("0.0009765624k", 0)]
    [InlineData("8191p", 8191L << 50)]
    public void ParseSize_DockerUnits_AreBinaryMultiples(string value, long bytes) =>
        Assert.Equal(bytes, CgroupUnits.ParseSize("memory", value));

    [Theory]
    [InlineData("10q")]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("-5m")]
    [InlineData("1..2m")]
    public void ParseSize_Garbage_NamesOptionAndValue(string value)
    {
        var e = Assert.Throws<UsageException>(() => CgroupUnits.ParseSize("memory", value));
        Assert.Contains($"'--memory': '{value}'", e.Message);
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(1024, 39)]
    [InlineData(262144, 10000)]
    public void SharesToWeight_IsCrunsFormula(long shares, long weight) =>
        Assert.Equal(weight, CgroupUnits.SharesToWeight(shares));

    [Theory]
    [InlineData(10, 1)]
    [InlineData(500, 4950)]
    [InlineData(1000, 10000)]
    public void BlkioWeightToIoWeight_IsCrunsFormula(long blkio, long io) =>
        Assert.Equal(io, CgroupUnits.BlkioWeightToIoWeight(blkio));

    [Theory]
    [InlineData("0.2", 20_000)]
    [InlineData("1.5", 150_000)]
    [InlineData("0.01", 1_000)]
    [InlineData("2", 200_000)]
    [InlineData("1.000005", 100_000)]
    [InlineData("1.0000051", 100_001)]
    [InlineData("1.000015", 100_002)]
    public void ParseCpusQuota_IsCpusTimesThePeriod(string cpus, long quota) =>
        Assert.Equal(quota, CgroupUnits.ParseCpusQuota("cpus", cpus, 2));

    [Theory]
    [InlineData("--cpus", "0")]
    [InlineData("--cpus", "3")]
    [InlineData("--cpus", "2.0000001")]
    [InlineData("--cpus", "0.0099999")]
    [InlineData("--cpus", "1.5.1")]
    [InlineData("--cpus", "abc")]
    [InlineData("--cpuset-cpus", "99")]
    [InlineData("--cpuset-cpus", "1-0")]
    [InlineData("--cpuset-mems", "1")]
    [InlineData("--cpu-period", "500")]
    [InlineData("--cpu-quota", "10")]
    [InlineData("--cpu-shares", "1")]
    [InlineData("--pids-limit", "x")]
    [InlineData("--blkio-weight", "5")]
    [InlineData("--memory-swappiness", "101")]
    [InlineData("--device-deny", "/dev/nonexistent")]
    [InlineData("--device-deny", "c 1:3 rwx")]
    [InlineData("--device-deny", "x 1:3")]
    [InlineData("--device-read-bps", "/dev/null:1mb")]
    [InlineData("--device-read-bps", "/dev/loop7:1q")]
    [InlineData("--device-write-iops", "/dev/loop7")]
    [InlineData("--cgroup", "../escape")]
    [InlineData("--cgroup", "/absolute")]
    [InlineData("--cgroup", "a//b")]
    public void From_BadValue_IsUsageErrorNamingOptionAndValue(string option, string value)
    {
        var e = Assert.Throws<UsageException>(() => Spec(option, value));
        Assert.Contains($"'{option}': '{value}'", e.Message);
    }

    [Fact]
    public void From_CpusWithQuota_IsAConflict() =>
        Assert.Throws<UsageException>(() => Spec("--cpus", "1", "--cpu-quota", "50000"));

    [Fact]
    public void From_MemorySwapWithoutMemory_IsAnError() =>
        Assert.Contains("needs --memory", Assert.Throws<UsageException>(() => Spec("--memory-swap", "64m")).Message);

    [Fact]
    public void From_NoCgroupOption_IsNull() => Assert.Null(CgroupSpec.From(Parse("-m"), TwoCpus));

    [Fact]
    public void From_NestedName_IsKept() => Assert.Equal("outer/inner", Spec("--cgroup", "outer/inner").Name);

    [Fact]
    public void From_NoName_DefaultsToPid1AndPid() => Assert.Equal($"pid1-{Environment.ProcessId}", Spec("--memory", "8m").Name);

    [Theory]
    [InlineData("--device-deny", "/dev/null", false, "c 1:3 rwm")]
    [InlineData("--device-allow", "/dev/null:wr", true, "c 1:3 rw")]
    [InlineData("--device-deny", "c 1:3 rwm", false, "c 1:3 rwm")]
    [InlineData("--device-deny", "b 7:* r", false, "b 7:* r")]
    [InlineData("--device-deny", "a", false, "a *:* rwm")]
    public void DeviceRule_ToV1_IsTheDevicesControllerLine(string option, string value, bool allow, string line)
    {
        DeviceRule rule = Spec(option, value).Devices.Single();
        Assert.Equal(allow, rule.Allow);
        Assert.Equal(line, rule.ToV1());
    }

    [Fact]
    public void DeviceProgram_DenyOneDevice_IsTheExpectedInstructions()
    {
        byte[] bytes = DeviceProgram.ToBytes(DeviceProgram.Compile([new DeviceRule(false, 'c', 1, 3, "rwm")]));
        string[] expected =
        [
            "6112000000000000", "54020000ffff0000", "6113000000000000", "7403000010000000", // type, access
            "6114040000000000", "6115080000000000",                                         // major, minor
            "5502040002000000", "5504030001000000", "5505020003000000",                     // c 1:3 ?
            "b400000000000000", "9500000000000000",                                         // deny
            "b400000001000000", "9500000000000000",                                         // else allow
        ];
        Assert.Equal(string.Concat(expected), Convert.ToHexString(bytes).ToLowerInvariant());
    }

    [Fact]
    public void DeviceProgram_LastMatchingRuleDecides_AndAccessIsTested()
    {
        var program = DeviceProgram.Compile([new DeviceRule(false, 'a', DeviceRule.Any, DeviceRule.Any, "rwm"), new DeviceRule(true, 'c', 1, 3, "r")]);

        // The allow rule comes first (it was given last): type, access test (mov, and, jne), major, minor.
        Assert.Equal((byte)0x55, program[6].Code);
        Assert.Equal(0x02, program[6].Immediate);
        Assert.Equal((byte)0xbc, program[7].Code);
        Assert.Equal(~2 & 7, program[8].Immediate);
        Assert.Equal(1, program[12].Immediate);      // allow
        Assert.Equal(0, program[14].Immediate);      // then "deny a": no tests, returns 0
        Assert.Equal(16, program.Count);             // and nothing after it (the verifier rejects dead code)
    }

    [Fact]
    public void Layout_Hybrid_UsesV1ControllersAndGroupsOnV2()
    {
        var layout = CgroupLayout.Parse(HybridMountinfo, HybridProcCgroup, _ => "hugetlb\n");
        Assert.Equal("hybrid", layout.Kind);
        Assert.Equal("/sys/fs/cgroup/memory/outer", layout.For("memory", "memory")!.Dir);
        Assert.Equal(1, layout.For("cpu", "cpu")!.Version);
        Assert.Null(layout.For("pids", "pids"));
        Assert.Equal("/sys/fs/cgroup/unified", layout.Grouping!.Dir);
        Assert.DoesNotContain(layout.Hierarchies, h => h.Dir.EndsWith("systemd", StringComparison.Ordinal));
    }

    [Fact]
    public void Layout_MountOverTheCgroup2Mount_HidesIt()
    {
        // What `mount -t tmpfs none /sys/fs/cgroup/unified` in a private mount namespace leaves in mountinfo.
        string covered = HybridMountinfo + "50 40 0:60 / /sys/fs/cgroup/unified rw,relatime - tmpfs none rw\n";
        var layout = CgroupLayout.Parse(covered, HybridProcCgroup, _ => "hugetlb\n");
        Assert.Equal("v1", layout.Kind);
        Assert.DoesNotContain(layout.Hierarchies, h => h.Version == 2);
        Assert.Equal("/sys/fs/cgroup/memory/outer", layout.For("memory", "memory")!.Dir);
    }

    [Fact]
    public void Layout_MountBelowACgroupMount_DoesNotHideIt()
    {
        string below = HybridMountinfo + "51 34 0:61 / /sys/fs/cgroup/memory/outer/x rw - tmpfs none rw\n";
        Assert.Equal("/sys/fs/cgroup/memory/outer", CgroupLayout.Parse(below, HybridProcCgroup, _ => "hugetlb\n").For("memory", "memory")!.Dir);
    }

    [Fact]
    public void ProcCgroup_V1Lines_GiveEachHierarchysControllersAndPath()
    {
        CgroupMembership[] lines = ProcCgroup.Parse("4:memory:/outer\n2:cpu,cpuacct:/a:b\n9:name=systemd:/user.slice\n");
        Assert.Equal([new("memory", "/outer"), new("cpu,cpuacct", "/a:b"), new("name=systemd", "/user.slice")], lines);
        Assert.DoesNotContain(lines, m => m.IsUnified);
        Assert.True(lines[1].Has("cpuacct"));
        Assert.False(lines[1].Has("cpuset"));
        Assert.Equal("/a:b", ProcCgroup.Of(lines, "cpu"));
        Assert.Equal("/", ProcCgroup.Of(lines, "freezer"));
        Assert.Equal("/", ProcCgroup.Unified(lines));
    }

    [Fact]
    public void ProcCgroup_V2Line_IsTheUnifiedPath()
    {
        CgroupMembership line = Assert.Single(ProcCgroup.Parse("0::/user.slice/session-2.scope\n"));
        Assert.True(line.IsUnified);
        Assert.Equal("/user.slice/session-2.scope", ProcCgroup.Unified([line]));
        Assert.Equal("/", ProcCgroup.Of([line], "freezer"));
    }

    [Fact]
    public void ProcCgroup_Hybrid_V1PathsBesideTheV2One_MalformedLinesSkipped()
    {
        CgroupMembership[] lines = ProcCgroup.Parse(HybridProcCgroup + "6:freezer:/frozen\nnot a cgroup line\n");
        Assert.Equal(6, lines.Length);
        Assert.Equal("/", ProcCgroup.Unified(lines));
        Assert.Equal("/outer", ProcCgroup.Of(lines, "memory"));
        Assert.Equal("/frozen", ProcCgroup.Of(lines, "freezer"));
        Assert.Single(lines, m => m.IsUnified);
    }

    [Fact]
    public void Layout_Directory_Cgroup2MountedElsewhere_IsFoundThere()
    {
        string mountinfo = HybridMountinfo.Replace("/sys/fs/cgroup/unified", "/run/cg2", StringComparison.Ordinal);
        var layout = CgroupLayout.Parse(mountinfo, HybridProcCgroup, _ => "hugetlb\n");
        Assert.Equal("/run/cg2/sandbox", layout.Directory(new(string.Empty, "/sandbox")));
        Assert.Equal("/run/cg2", layout.Directory(new(string.Empty, "/")));
        Assert.Equal("/run/cg2", layout.Grouping!.Dir);
    }

    [Fact]
    public void Layout_Directory_V1Hierarchies_ByControllerOrName()
    {
        var layout = CgroupLayout.Parse(HybridMountinfo, HybridProcCgroup, _ => string.Empty);
        Assert.Equal("/sys/fs/cgroup/memory/other", layout.Directory(new("memory", "/other")));
        Assert.Equal("/sys/fs/cgroup/systemd/user.slice", layout.Directory(new("name=systemd", "/user.slice")));
        Assert.Equal("/sys/fs/cgroup/unified/x", layout.Directory(new(string.Empty, "/x")));
        Assert.Null(layout.Directory(new("freezer", "/x"))); // not mounted in HybridMountinfo
    }

    [Fact]
    public void Layout_Directory_ContainerMountRoot_MapsInsideIt_NullOutside()
    {
        var layout = CgroupLayout.Parse("25 1 0:22 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "0::/docker/abc\n", _ => "memory");
        Assert.Equal("/sys/fs/cgroup", layout.Grouping!.Dir);
        Assert.Equal("/sys/fs/cgroup/x", layout.Directory(new(string.Empty, "/docker/abc/x")));
        Assert.Null(layout.Directory(new(string.Empty, "/docker/other")));
    }

    [Fact]
    public void Layout_Directory_HiddenCgroup2Mount_IsNotUsed()
    {
        string covered = HybridMountinfo + "50 40 0:60 / /sys/fs/cgroup/unified rw,relatime - tmpfs none rw\n";
        Assert.Null(CgroupLayout.Parse(covered, HybridProcCgroup, _ => "hugetlb\n").Directory(new(string.Empty, "/x")));
    }

    [Fact]
    public void Plan_V1_WritesDockersV1Files()
    {
        var layout = CgroupLayout.Parse(HybridMountinfo, HybridProcCgroup, _ => string.Empty);
        var plan = CgroupPlan.Build(Spec("--cgroup", "t", "--memory", "32m", "--memory-swappiness", "10", "--cpus", "0.2", "--device-deny", "/dev/null"), layout, _ => { });
        Assert.Equal(
            [
                "memory/outer memory.limit_in_bytes=33554432", "memory/outer memory.swappiness=10",
                "cpu cpu.cfs_period_us=100000", "cpu cpu.cfs_quota_us=20000", "devices devices.deny=c 1:3 rwm",
            ],
            Writes(plan));
        Assert.Contains(plan.Targets, t => t.Hierarchy.Version == 2 && t.Writes.Count == 0);
    }

    [Fact]
    public void Plan_V2_ConvertsToV2FilesAndEnablesControllers()
    {
        var plan = CgroupPlan.Build(
            Spec("--memory", "32m", "--memory-swap", "64m", "--cpu-shares", "1024", "--cpus", "0.5", "--cpuset-cpus", "1", "--pids-limit", "0",
                "--device-read-bps", "/dev/loop7:1mb", "--device-write-iops", "/dev/loop7:100", "--device-deny", "/dev/null"),
            PureV2(),
            _ => { });
        CgroupTarget target = plan.Targets.Single();
        Assert.Equal(
            [
                "cgroup memory.max=33554432", "cgroup memory.swap.max=33554432", "cgroup cpu.weight=39", "cgroup cpu.max=50000 100000",
                "cgroup cpuset.cpus=1", "cgroup pids.max=max", "cgroup io.max=7:7 rbps=1048576 wiops=100",
            ],
            Writes(plan));
        Assert.Equal(["memory", "cpu", "cpuset", "pids", "io"], target.Enable);
        Assert.Equal("c 1:3 rwm", target.DeviceProgram.Single().ToV1());
    }

    [Fact]
    public void Plan_V2Swappiness_CannotApply_Exit125OrWarning()
    {
        var e = Assert.Throws<SetupException>(() => CgroupPlan.Build(Spec("--memory-swappiness", "10"), PureV2(), _ => { }));
        Assert.Contains("--memory-swappiness", e.Message);
        Assert.Equal(ExitCodes.SetupFailed, e.ExitCode);

        var warnings = new List<string>();
        var plan = CgroupPlan.Build(Spec("--memory-swappiness", "10", "--cgroup-optional"), PureV2(), warnings.Add);
        Assert.Empty(Writes(plan));
        Assert.Contains("cgroup v2 has no per-cgroup swappiness", Assert.Single(warnings));
    }

    [Fact]
    public void Plan_MissingController_CannotApply() =>
        Assert.Contains("no usable pids controller", Assert.Throws<SetupException>(() => CgroupPlan.Build(Spec("--pids-limit", "5"), PureV2("memory"), _ => { })).Message);

    private static string[] Writes(CgroupPlan plan) =>
        plan.Targets.SelectMany(t => t.Writes.Select(w => $"{t.Hierarchy.Dir.Replace("/sys/fs/", string.Empty).Replace("cgroup/", string.Empty)} {w.File.Name}={w.File.Value}")).ToArray();
}

using System.Collections.Generic;
using System.Linq;
using Pid1.Cli;
using Pid1.Native;
using Pid1.Sandbox;
using Xunit;

namespace Pid1.Tests;

/// <summary>Parsing of passwd/group files, --user resolution, user maps, capability names and LISTEN_* env.</summary>
public class SandboxIdentityTests
{
    private const string Passwd = "# comment\nroot:x:0:0:root:/root:/bin/sh\n+nis::::::\nbroken:x:abc:1::/:/bin/sh\nalice:x:4242:4343:A:/home/alice:/bin/sh\r\nnobody:x:65534:65534::/:/sbin/nologin\n";
    private const string Group = "root:x:0:\nalice:x:4343:\nteam:x:5555:bob, alice\nother:x:5557:bob\n";

    private static Options Parse(params string[] argv) =>
        CommandLine.Parse([.. argv, "true"], _ => null, callerIsRoot: true);

    private static string? Files(string relative) => relative switch
    {
        "etc/passwd" => Passwd,
        "etc/group" => Group,
        _ => null,
    };

    [Fact]
    public void ParsePasswd_SkipsCommentsNisAndMalformedLines()
    {
        IReadOnlyList<PasswdEntry> entries = PasswdFile.ParsePasswd(Passwd);
        Assert.Equal(["root", "alice", "nobody"], entries.Select(e => e.Name));
        Assert.Equal(new PasswdEntry("alice", 4242, 4343), entries[1]);
    }

    [Fact]
    public void ParseGroup_ReadsMembers()
    {
        GroupEntry team = PasswdFile.ParseGroup(Group).Single(g => g.Name == "team");
        Assert.Equal(["bob", "alice"], team.Members);
    }

    [Fact]
    public void Resolve_Name_GivesPrimaryAndMemberGroups()
    {
        ResolvedIdentity who = Identity.Resolve(Parse("--user", "alice"), "/r", Files)!;
        Assert.Equal((4242u, 4343u), (who.Uid!.Value, who.Gid!.Value));
        Assert.Equal([4343u, 5555u], who.Groups!);
    }

    [Fact]
    public void Resolve_NameAndGroupName_AndGroupsList()
    {
        ResolvedIdentity who = Identity.Resolve(Parse("--user", "alice:team", "--groups", "other,12"), "/r", Files)!;
        Assert.Equal(5555u, who.Gid);
        Assert.Equal([5557u, 12u], who.Groups!);
    }

    [Fact]
    public void Resolve_ManyGroupNames_ReadsEtcGroupOnce()
    {
        var reads = new List<string>();
        ResolvedIdentity who = Identity.Resolve(Parse("--user", "alice:team", "--groups", "other,alice,root,team"), "/r", relative =>
        {
            reads.Add(relative);
            return Files(relative);
        })!;
        Assert.Equal([5557u, 4343u, 0u, 5555u], who.Groups!);
        Assert.Equal(1, reads.Count(r => r == "etc/group"));
    }

    [Fact]
    public void Resolve_NumericGroupsOnly_DoNotReadEtcGroup()
    {
        var reads = new List<string>();
        Identity.Resolve(Parse("-G", "6", "--groups", "7,8"), "/r", relative =>
        {
            reads.Add(relative);
            return Files(relative);
        });
        Assert.DoesNotContain("etc/group", reads);
    }

    [Fact]
    public void Resolve_UnknownUser_NamesUserAndPasswdFile()
    {
        var e = Assert.Throws<SetupException>(() => Identity.Resolve(Parse("--user", "bob"), "/new/root", Files));
        Assert.Contains("'bob'", e.Message);
        Assert.Contains("/new/root/etc/passwd", e.Message);
    }

    [Fact]
    public void Resolve_SetuidSetgid_ClearGroupsOnlyWithGid()
    {
        Assert.Null(Identity.Resolve(Parse("-S", "5"), "/", Files)!.Groups);
        Assert.Empty(Identity.Resolve(Parse("-G", "6"), "/", Files)!.Groups!);
        Assert.Throws<UsageException>(() => Identity.Resolve(Parse("--user", "alice", "-S", "5"), "/", Files));
    }

    [Fact]
    public void Parse_UserIsIdentity_UsernsIsTheNamespace()
    {
        Options o = Parse("--user", "alice", "--userns");
        Assert.Equal("alice", o.User);
        Assert.NotEqual(0UL, o.Namespaces & Libc.CLONE_NEWUSER);
        Assert.Equal(CommandLine.LongNames.Count(), CommandLine.LongNames.Distinct().Count());
    }

    [Fact]
    public void Plan_MapRootUser_DeniesSetgroups()
    {
        UserMaps maps = UserNamespace.Plan(Parse("-r"), 1000, 1001, Files)!;
        Assert.Equal([new IdMap(0, 1000, 1)], maps.Uids);
        Assert.Equal([new IdMap(0, 1001, 1)], maps.Gids);
        Assert.True(maps.SetGroupsDenied);
    }

    [Fact]
    public void Plan_MapUserByName_FromHostPasswd()
    {
        UserMaps maps = UserNamespace.Plan(Parse("--map-user", "alice"), 1000, 1001, Files)!;
        Assert.Equal([new IdMap(4242, 1000, 1)], maps.Uids);
        Assert.Empty(maps.Gids);
        Assert.Null(maps.SetGroups);
    }

    [Theory]
    [InlineData("0:100000:65536", 0u, 100000u)]
    [InlineData("100000,0,65536", 0u, 100000u)]
    [InlineData("5:7:65536", 5u, 7u)]
    public void Range_BothSyntaxes(string spec, uint inner, uint outer)
    {
        Assert.Equal(new IdMap(inner, outer, 65536), UserNamespace.Range("map-users", spec, "etc/subuid", 0, Files));
    }

    [Theory]
    [InlineData("1:2")]
    [InlineData("1:2:0")]
    [InlineData("a:b:c")]
    [InlineData("1,2:3")]
    public void Range_Bad_IsUsageError(string spec)
    {
        Assert.Throws<UsageException>(() => UserNamespace.Range("map-users", spec, "etc/subuid", 0, Files));
    }

    [Fact]
    public void Range_Auto_ReadsTheCallersSubuidLineByNameOrUid()
    {
        string? Sub(string f) => f == "etc/subuid" ? "bob:1:2\nalice:200000:65536\n" : Files(f);
        Assert.Equal(new IdMap(0, 200000, 65536), UserNamespace.Range("map-users", "auto", "etc/subuid", 4242, Sub));
        string? ByUid(string f) => f == "etc/subuid" ? "4242:300000:10\n" : Files(f);
        Assert.Equal(new IdMap(0, 300000, 10), UserNamespace.Range("map-users", "auto", "etc/subuid", 4242, ByUid));
        Assert.Throws<UsageException>(() => UserNamespace.Range("map-users", "auto", "etc/subuid", 7, Sub));
    }

    [Fact]
    public void Combine_RootAndRange_PunchesHoleOnBothSides()
    {
        // Caller 1000 → 0; range 0..9 ↔ 995..1004: inner 0 and outer 1000 are taken, so the range keeps 9 ids.
        IReadOnlyList<IdMap> maps = UserNamespace.Combine(0, 1000, new IdMap(0, 995, 10));
        Assert.Equal(
            [new IdMap(0, 1000, 1), new IdMap(1, 995, 5), new IdMap(6, 1001, 4)],
            maps);
        Assert.Equal(10u, maps.Sum(m => m.Count));
    }

    [Fact]
    public void Combine_NoOverlap_KeepsTheRange()
    {
        Assert.Equal([new IdMap(0, 0, 1), new IdMap(1, 100000, 10)], UserNamespace.Combine(0, 0, new IdMap(1, 100000, 10)));
    }

    [Theory]
    [InlineData("NET_BIND_SERVICE", 10)]
    [InlineData("cap_net_bind_service", 10)]
    [InlineData(" Sys_Admin ", 21)]
    [InlineData("CHECKPOINT_RESTORE", 40)]
    public void CapabilityNames_AnyCaseWithOrWithoutPrefix(string name, int bit)
    {
        Assert.Equal(1UL << bit, Capabilities.Mask("cap-add", [name], ulong.MaxValue));
    }

    [Fact]
    public void CapabilityTable_MatchesTheHeaderNumbers()
    {
        Assert.Equal(Libc.CAP_NET_BIND_SERVICE, System.Array.IndexOf(Capabilities.Names, "NET_BIND_SERVICE"));
        Assert.Equal(Libc.CAP_LAST_CAP, Capabilities.Names.Length - 1);
    }

    [Fact]
    public void FinalSet_DropAllAddOne()
    {
        Assert.Equal(1UL << 10, Capabilities.FinalSet(Parse("--cap-drop", "all", "--cap-add", "net_bind_service"), 0xFFFF));
        Assert.Equal(0xFFFFUL & ~(1UL << 13), Capabilities.FinalSet(Parse("--cap-drop", "NET_RAW"), 0xFFFF));
        Assert.Null(Capabilities.FinalSet(Parse(), 0xFFFF));
    }

    [Fact]
    public void FinalSet_AddOutsideBounding_AndUnknownName_AreUsageErrors()
    {
        Assert.Contains("SYS_ADMIN", Assert.Throws<UsageException>(() => Capabilities.FinalSet(Parse("--cap-add", "sys_admin"), 0xFF)).Message);
        Assert.Contains("'BOGUS'", Assert.Throws<UsageException>(() => Capabilities.FinalSet(Parse("--cap-drop", "BOGUS"), 0xFF)).Message);
    }

    [Fact]
    public void ListenEnvironment_ReplacesStaleEntries_NamesHaveNoColon()
    {
        Options o = Parse("--listen", "7", "--listen", "[::1]:53/udp");
        string[] env = Listen.Environment(["PATH=/bin", "LISTEN_FDS=9", "LISTEN_PID=1"], o.Listen).ToArray();
        Assert.Equal(["PATH=/bin", "LISTEN_FDS=2", "LISTEN_FDNAMES=tcp-7:udp-53", "LISTEN_PID=0000000000"], env);
        Assert.Equal(["PATH=/bin", "LISTEN_FDS=9"], Listen.Environment(["PATH=/bin", "LISTEN_FDS=9"], []).ToArray());
    }
}

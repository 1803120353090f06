using Pid1.Lifecycle;
using Xunit;

namespace Pid1.Tests;

/// <summary>The pure parts of the lifecycle: names, the state record, /proc parsing, list formatting.</summary>
public class LifecycleTests
{
    [Theory]
    [InlineData("web", true)]
    [InlineData("a.b_c-1", true)]
    [InlineData("", false)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData(".x", false)]
    [InlineData("-x", false)]
    [InlineData("a/b", false)]
    [InlineData("a b", false)]
    [InlineData("é", false)]
    public void Names_Problem_AcceptsOnlySafeFileNames(string name, bool ok) =>
        Assert.Equal(ok, Names.Problem(name) is null);

    [Fact]
    public void Names_Problem_BoundsTheLength()
    {
        Assert.Null(Names.Problem(new string('a', Names.MaxLength)));
        Assert.NotNull(Names.Problem(new string('a', Names.MaxLength + 1)));
    }

    [Theory]
    [InlineData("/usr/bin/sleep", 42, "sleep-42")]
    [InlineData("my prog!", 7, "my_prog_-7")]
    [InlineData(".hidden", 7, "sandbox-7")]
    [InlineData("/", 7, "sandbox-7")]
    public void Names_Generate_IsAValidName(string program, int pid, string expected)
    {
        Assert.Equal(expected, Names.Generate(program, pid));
        Assert.Null(Names.Problem(Names.Generate(program, pid)));
    }

    [Fact]
    public void Names_Generate_LongProgramStaysWithinTheBound() =>
        Assert.Null(Names.Problem(Names.Generate(new string('p', 200), int.MaxValue)));

    [Fact]
    public void SandboxState_SerializeThenParse_RoundTrips()
    {
        var state = new SandboxState
        {
            Name = "web",
            Pid = 10,
            PidStart = 123,
            Child = 11,
            ChildStart = 124,
            Session = 10,
            Namespaces = [("pid", 4026532189UL), ("mnt", 4026532188UL)],
            Cgroup = "/x",
            Freezer = "/y",
            Started = 1700000000000,
            GraceMilliseconds = 3000,
            Images = [("/img/disk.img", "/data")],
            Command = "sh -c 'echo\nhi'",
        };
        SandboxState back = SandboxState.Parse(state.Serialize())!;
        Assert.Equal(state with { Command = "sh -c 'echo hi'", Namespaces = back.Namespaces, Images = back.Images }, back);
        Assert.Equal(state.Namespaces, back.Namespaces);
        Assert.Equal(state.Images, back.Images);
        Assert.Equal(4026532189UL, back.PidNamespace);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("name=x\npid=abc\npid-start=1\n")]
    [InlineData("name=x\npid=5\n")]
    public void SandboxState_Parse_RejectsIncompleteRecords(string text) => Assert.Null(SandboxState.Parse(text));

    [Fact]
    public void ProcInfo_ParseStat_HandlesSpacesAndParenthesesInComm()
    {
        string stat = "4711 (a) b (c) S 1 4711 4700 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 100";
        ProcStat s = ProcInfo.ParseStat(4711, stat)!.Value;
        Assert.Equal('S', s.State);
        Assert.Equal(1, s.Parent);
        Assert.Equal(4700, s.Session);
        Assert.Equal(987654UL, s.StartTime);
        Assert.True(s.IsAlive);
        Assert.False((s with { State = 'Z' }).IsAlive);
    }

    [Theory]
    [InlineData("pid:[4026531836]", "pid", 4026531836UL)]
    [InlineData("mnt:[4026531836]", "pid", 0UL)]
    [InlineData("pid:[x]", "pid", 0UL)]
    [InlineData(null, "pid", 0UL)]
    public void ProcInfo_ParseNamespaceLink(string? link, string kind, ulong inode) =>
        Assert.Equal(inode, ProcInfo.ParseNamespaceLink(link, kind));

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(59_999, "59s")]
    [InlineData(61_000, "1m01s")]
    [InlineData(7_380_000, "2h03m")]
    [InlineData(90_000_000, "1d01h")]
    public void ListCommand_Uptime_IsShort(long milliseconds, string text) =>
        Assert.Equal(text, ListCommand.Uptime(milliseconds));

    [Fact]
    public void ListCommand_Json_EscapesStrings()
    {
        var state = new SandboxState { Name = "n", Pid = 1, PidStart = 1, Started = 0, Command = "echo \"a\\b\"\t" };
        string json = ListCommand.Json([state], 5000);
        Assert.Contains("\"command\":\"echo \\\"a\\\\b\\\"\\u0009\"", json);
        Assert.Contains("\"uptime\":5", json);
        Assert.Equal(System.Text.Json.JsonValueKind.Array, System.Text.Json.JsonDocument.Parse(json).RootElement.ValueKind);
    }
}

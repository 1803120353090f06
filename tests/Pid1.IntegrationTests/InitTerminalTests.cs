using System.Diagnostics;
using System.Linq;
using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>
/// Issue 8, process group and terminal: script(1) gives pid1 a pseudo-terminal; what the test writes to
/// script's stdin is typed on that terminal (^C, ^Z), and what the program prints comes back line by line.
/// </summary>
public class InitTerminalTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Terminal_ProgramLeadsItsOwnGroupWhichHasTheForeground(bool pidFlag)
    {
        string pid1 = Pid1Binary.Path + (pidFlag ? " -p --mount-proc" : string.Empty);
        using Process script = StartScript($"{pid1} sh -c 'echo $(cut -d\" \" -f1,5,8 /proc/$$/stat)'");
        string[] fields = InitRun.ReadLine(script).Split(' ');
        Assert.Equal(3, fields.Length);
        Assert.Equal(fields[0], fields[1]); // pid == process group
        Assert.Equal(fields[1], fields[2]); // process group == the terminal's foreground group
        Assert.True(script.WaitForExit(60_000));
        Assert.Equal(0, script.ExitCode);
    }

    [Fact]
    public void NoTerminal_ProgramStillLeadsItsOwnGroup()
    {
        RunResult r = Pid1Binary.Run("sh", "-c", "cut -d' ' -f1,5 /proc/$$/stat");
        string[] fields = r.Stdout.Trim().Split(' ');
        Assert.Equal(fields[0], fields[1]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Terminal_CtrlC_ReachesTheProgram(bool pidFlag)
    {
        string pid1 = Pid1Binary.Path + (pidFlag ? " -p" : string.Empty);
        using Process script = StartScript($"{pid1} sh -c 'trap \"echo got-INT; exit 3\" INT; echo ready; read x'");
        Assert.Equal("ready", InitRun.ReadLine(script));
        script.StandardInput.Write("\u0003");
        script.StandardInput.Flush();
        Assert.EndsWith("got-INT", InitRun.ReadLine(script));
        Assert.True(script.WaitForExit(60_000));
        Assert.Equal(3, script.ExitCode);
    }

    [Fact]
    public void Terminal_CtrlZ_StopsTheJobInBashAndFgResumesIt()
    {
        // Before job-control transparency, bash waited forever for pid1 while its program sat stopped.
        string job = $"{Pid1Binary.Path} sh -c \"echo ready; read x; echo got-\\$x\"";
        using Process script = StartScript($"bash -m -c '{job}; echo stopped=$?; fg; echo exited=$?'");
        Assert.Equal("ready", InitRun.ReadLine(script));
        script.StandardInput.Write("\u001a");
        script.StandardInput.Flush();
        Assert.Contains("stopped=147", ReadUntil(script, l => l.StartsWith("stopped=")));
        ReadUntil(script, l => l.Contains(Pid1Binary.Path)); // bash's fg names the job it continues
        script.StandardInput.Write("hello\n");
        script.StandardInput.Flush();
        Assert.Contains("got-hello", ReadUntil(script, l => l.StartsWith("got-")));
        Assert.Equal("exited=0", ReadUntil(script, l => l.StartsWith("exited=")).Last());
        Assert.True(script.WaitForExit(60_000));
    }

    private static Process StartScript(string command) =>
        Pid1Binary.Start("script", ["-qec", command, "/dev/null"]);

    /// <summary>Reads lines up to and including the first that matches; returns them all.</summary>
    private static System.Collections.Generic.List<string> ReadUntil(Process process, System.Func<string, bool> match)
    {
        var lines = new System.Collections.Generic.List<string>();
        string line;
        do
        {
            line = InitRun.ReadLine(process);
            lines.Add(line);
        }
        while (!match(line));
        return lines;
    }
}

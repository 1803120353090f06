using Pid1.Init;
using Pid1.Native;
using Xunit;

namespace Pid1.Tests;

public class SignalsTests
{
    [Theory]
    [InlineData("15", 15)]
    [InlineData("TERM", 15)]
    [InlineData("SIGTERM", 15)]
    [InlineData("sigterm", 15)]
    [InlineData("RTMIN+1", 35)]
    [InlineData("RTMAX", 64)]
    [InlineData("RTMAX-2", 62)]
    public void TryParse_Spellings_GiveTheNumber(string text, int expected)
    {
        Assert.True(Signals.TryParse(text, allowZero: false, out int signal));
        Assert.Equal(expected, signal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65")]
    [InlineData("NOPE")]
    [InlineData("RTMIN-1")]
    [InlineData("")]
    public void TryParse_Invalid_Fails(string text) => Assert.False(Signals.TryParse(text, allowZero: false, out _));

    [Fact]
    public void IsForwardable_ExcludesKillStopChildAndTheRuntimesSignals()
    {
        Assert.False(Signals.IsForwardable(Libc.SIGKILL));
        Assert.False(Signals.IsForwardable(Libc.SIGSTOP));
        Assert.False(Signals.IsForwardable(Libc.SIGCHLD));
        Assert.False(Signals.IsForwardable(32));
        Assert.False(Signals.IsForwardable(33));
        Assert.False(Signals.IsForwardable(Signals.RuntimeReserved));
        Assert.True(Signals.IsForwardable(Libc.SIGTERM));
        Assert.True(Signals.IsForwardable(Libc.SIGTSTP));
        Assert.True(Signals.IsForwardable(35));
        Assert.True(Signals.IsForwardable(64));
    }

    [Fact]
    public void Name_RoundTripsThroughTryParse()
    {
        for (int signal = 1; signal <= Signals.Max; signal++)
        {
            if (signal is 32 or 33)
            {
                continue;
            }

            Assert.True(Signals.TryParse(Signals.Name(signal), allowZero: false, out int parsed), Signals.Name(signal));
            Assert.Equal(signal, parsed);
        }
    }

    [Theory]
    [InlineData(15, "SIGTERM")]
    [InlineData(1, "SIGHUP")]
    [InlineData(31, "SIGSYS")]
    [InlineData(34, "SIGRTMIN")]
    [InlineData(37, "SIGRTMIN+3")]
    [InlineData(64, "SIGRTMIN+30")]
    [InlineData(32, "32")]
    public void FormatName_WritesTheNameFromStaticTables(int signal, string expected)
    {
        System.Span<byte> name = stackalloc byte[16];
        int length = Signals.FormatName(signal, name);
        Assert.Equal(expected, System.Text.Encoding.ASCII.GetString(name.Slice(0, length)));
        Assert.Equal(expected, Signals.Name(signal));
    }

    [Fact]
    public void FormatName_AllocatesNothing()
    {
        System.Span<byte> name = stackalloc byte[16];
        Signals.FormatName(37, name); // first call: any one-time initialisation
        long before = System.GC.GetAllocatedBytesForCurrentThread();
        for (int signal = 1; signal <= Signals.Max; signal++)
        {
            Signals.FormatName(signal, name);
        }

        Assert.Equal(0, System.GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void FillWaited_HoldsTheForwardableSignalsAndSigchldOnly()
    {
        // src/Pid1/Native/early-signals.c blocks the same set before the runtime starts; the integration test
        // Threads_Pid1IsOneThread_WhichBlocksExactlyTheWaitedSignals holds it to this definition.
        sigset_t waited = default;
        Signals.FillWaited(ref waited);
        for (int signal = 1; signal <= Signals.Max; signal++)
        {
            Assert.Equal(Signals.IsForwardable(signal) || signal == Libc.SIGCHLD, Signals.Contains(waited, signal));
        }
    }
}

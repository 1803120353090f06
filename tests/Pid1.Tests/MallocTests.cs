using System;
using System.IO;
using Xunit;

namespace Pid1.Tests;

/// <summary>
/// pid1's allocator in the musl build (src/MuslCompat/arena-malloc.c), linked statically with musl as pid1 is,
/// under Native/malloc-test.c: every function at its edges, threads and forks hammering it.
/// </summary>
public class MallocTests
{
    [Fact]
    public void ArenaMalloc_EveryFunctionUnderThreadsAndForks_BehavesAsMallocMust()
    {
        string binary = Path.Combine(Path.GetTempPath(), $"pid1-malloc-test-{Environment.ProcessId}");
        try
        {
            // The allocator's flags as Directory.Build.targets compiles it.
            (int built, string compiler) = Repo.Run(
                "musl-gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-fno-builtin", "-static", "-pthread", "-o", binary,
                Path.Combine(Repo.Root, "tests", "Pid1.Tests", "Native", "malloc-test.c"),
                Path.Combine(Repo.Root, "src", "MuslCompat", "arena-malloc.c"));
            Assert.True(built == 0, compiler);

            (int exitCode, string output) = Repo.Run(binary);

            Assert.True(exitCode == 0, output);
            Assert.Equal("ok\n", output);
        }
        finally
        {
            File.Delete(binary);
        }
    }
}

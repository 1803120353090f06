using System;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Pid1.Generators.Tests;

/// <summary>The emitted text, file by file, against Golden/. <c>PID1_UPDATE_GOLDEN=1</c> rewrites the golden files.</summary>
public sealed class GoldenTests
{
    private static readonly string GoldenDirectory = Path.Combine(GeneratorHarness.ProjectDirectory, "Golden");

    [Fact]
    public void Emit_SmallFixture_MatchesGoldenFiles()
    {
        (GeneratorRunResult result, _) = GeneratorHarness.Run(GeneratorHarness.ReadFixture("Small.Syscalls.txt"));

        Assert.Empty(result.Diagnostics);
        Assert.Null(result.Exception);
        if (Environment.GetEnvironmentVariable("PID1_UPDATE_GOLDEN") == "1")
        {
            Rewrite(result);
        }

        string[] expected = Directory.GetFiles(GoldenDirectory, "*.g.cs").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
        string[] actual = result.GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, actual);
        foreach (GeneratedSourceResult source in result.GeneratedSources)
        {
            string golden = File.ReadAllText(Path.Combine(GoldenDirectory, source.HintName));
            Assert.True(
                golden == source.SourceText.ToString(),
                $"{source.HintName} differs from its golden file; run with PID1_UPDATE_GOLDEN=1 and review the diff.\n{source.SourceText}");
        }
    }

    [Fact]
    public void Emit_Arm64RuntimeIdentifier_UsesAarch64Numbers()
    {
        string text = "pivot_root\nO_DIRECTORY\n";

        string arm64 = Emitted(GeneratorHarness.Run(text, GeneratorHarness.Arm64).Result);
        string x64 = Emitted(GeneratorHarness.Run(text, GeneratorHarness.X64).Result);

        Assert.Contains("__syscall(41, ", arm64, StringComparison.Ordinal);
        Assert.Contains("public const int O_DIRECTORY = 16384;", arm64, StringComparison.Ordinal);
        Assert.Contains("__syscall(155, ", x64, StringComparison.Ordinal);
        Assert.Contains("public const int O_DIRECTORY = 65536;", x64, StringComparison.Ordinal);
    }

    private static string Emitted(GeneratorRunResult result) =>
        string.Concat(result.GeneratedSources.Select(s => s.SourceText.ToString()));

    private static void Rewrite(GeneratorRunResult result)
    {
        foreach (string stale in Directory.GetFiles(GoldenDirectory, "*.g.cs"))
        {
            File.Delete(stale);
        }

        foreach (GeneratedSourceResult source in result.GeneratedSources)
        {
            File.WriteAllText(Path.Combine(GoldenDirectory, source.HintName), source.SourceText.ToString());
        }
    }
}

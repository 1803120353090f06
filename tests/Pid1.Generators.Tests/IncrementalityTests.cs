using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Pid1.Generators.Tests;

/// <summary>An edit elsewhere in the project must not re-run the resolver or re-emit; an edit of Syscalls.txt must.</summary>
public sealed class IncrementalityTests
{
    private const string Text = "waitpid\npivot_root\nMS_*\n";

    [Fact]
    public void Run_UnrelatedSyntaxTreeChanged_RegeneratesNothing()
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation("class Unrelated { }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver(GeneratorHarness.Declarations(Text), GeneratorHarness.X64)
            .RunGenerators(compilation);

        CSharpCompilation edited = compilation
            .ReplaceSyntaxTree(
                compilation.SyntaxTrees.Single(),
                CSharpSyntaxTree.ParseText("class Unrelated { int field; }", GeneratorHarness.ParseOptions))
            .AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Added { }", GeneratorHarness.ParseOptions));
        GeneratorRunResult second = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (string step in new[] { TrackingNames.Declarations, TrackingNames.Arch, TrackingNames.Model })
        {
            Assert.NotEmpty(Outputs(second.TrackedSteps[step]));
            Assert.All(Outputs(second.TrackedSteps[step]), AssertNotRecomputed(step));
        }

        Assert.NotEmpty(second.TrackedOutputSteps.SelectMany(s => Outputs(s.Value)));
        Assert.All(second.TrackedOutputSteps.SelectMany(s => Outputs(s.Value)), AssertNotRecomputed("source output"));
    }

    [Fact]
    public void Run_DeclarationsEdited_RegeneratesTheBindings()
    {
        AdditionalText original = GeneratorHarness.Declarations(Text);
        CSharpCompilation compilation = GeneratorHarness.Compilation();
        GeneratorDriver driver = GeneratorHarness.CreateDriver(original, GeneratorHarness.X64).RunGenerators(compilation);

        GeneratorRunResult second = driver
            .ReplaceAdditionalText(original, GeneratorHarness.Declarations(Text + "getpid\n"))
            .RunGenerators(compilation)
            .GetRunResult().Results.Single();

        Assert.Contains(Outputs(second.TrackedSteps[TrackingNames.Model]), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(second.GeneratedSources, s => s.SourceText.ToString().Contains("getpid()", System.StringComparison.Ordinal));
    }

    private static IEnumerable<(object Value, IncrementalStepRunReason Reason)> Outputs(ImmutableArray<IncrementalGeneratorRunStep> steps) =>
        steps.SelectMany(s => s.Outputs);

    private static System.Action<(object Value, IncrementalStepRunReason Reason)> AssertNotRecomputed(string step) => output =>
        Assert.True(
            output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"{step} ran again ({output.Reason}) after an unrelated edit");
}

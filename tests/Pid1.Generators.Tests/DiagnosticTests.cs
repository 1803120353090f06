using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace Pid1.Generators.Tests;

/// <summary>Each problem in Syscalls.txt is reported once, as an error, at the line and column of the name.</summary>
public sealed class DiagnosticTests
{
    [Fact]
    public void Run_UnknownName_ReportsPid1001AtItsLineAndColumn()
    {
        Diagnostic d = SingleDiagnostic("getpid\n# a comment\n   no_such_call   # trailing\n");

        AssertAt(d, DiagnosticIds.Unknown, line: 2, column: 3, length: "no_such_call".Length);
        Assert.Contains("'no_such_call'", d.GetMessage(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void Run_DuplicateName_ReportsPid1002AtTheSecondOne()
    {
        Diagnostic d = SingleDiagnostic("getpid\nwaitpid\n\n\tgetpid\n");

        AssertAt(d, DiagnosticIds.Duplicate, line: 3, column: 1, length: "getpid".Length);
    }

    [Fact]
    public void Run_FamilyMatchingNothing_ReportsPid1003()
    {
        Diagnostic d = SingleDiagnostic("MS_*\nNO_SUCH_PREFIX_*\n");

        AssertAt(d, DiagnosticIds.EmptyFamily, line: 1, column: 0, length: "NO_SUCH_PREFIX_*".Length);
    }

    [Fact]
    public void Run_NotAnIdentifier_ReportsPid1004()
    {
        Diagnostic d = SingleDiagnostic("getpid\n  9lives\n");

        AssertAt(d, DiagnosticIds.NotAName, line: 1, column: 2, length: "9lives".Length);
    }

    [Fact]
    public void Run_AllCatalogNames_CompilesWithoutDiagnostics()
    {
        (GeneratorRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.AllNames());

        Assert.Empty(result.Diagnostics);
        Assert.Null(result.Exception);
        Diagnostic[] problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToArray();
        Assert.True(problems.Length == 0, string.Join("\n", problems.Select(Describe)));
    }

    /// <summary>The diagnostic with the line of emitted code it points at.</summary>
    private static string Describe(Diagnostic d)
    {
        SyntaxTree? tree = d.Location.SourceTree;
        string line = tree is null ? "" : tree.GetText().Lines[d.Location.GetLineSpan().StartLinePosition.Line].ToString().Trim();
        return $"{d}\n    {line}";
    }

    private static Diagnostic SingleDiagnostic(string text)
    {
        (GeneratorRunResult result, _) = GeneratorHarness.Run(text);
        return Assert.Single(result.Diagnostics);
    }

    private static void AssertAt(Diagnostic d, string id, int line, int column, int length)
    {
        FileLinePositionSpan span = d.Location.GetLineSpan();
        Assert.Equal(id, d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal(GeneratorHarness.DeclarationsPath, span.Path);
        Assert.Equal(new LinePosition(line, column), span.StartLinePosition);
        Assert.Equal(new LinePosition(line, column + length), span.EndLinePosition);
    }
}

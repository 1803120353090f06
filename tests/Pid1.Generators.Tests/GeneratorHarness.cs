using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Pid1.Generators.Tests;

/// <summary>Runs <see cref="Pid1Generator"/> the way the build does: Syscalls.txt as an AdditionalFiles item, a RuntimeIdentifier.</summary>
internal static class GeneratorHarness
{
    public const string DeclarationsPath = "/src/Pid1/Syscalls.txt";

    public const string X64 = "linux-x64";

    public const string Arm64 = "linux-arm64";

    /// <summary>The RuntimeIdentifier of this machine, whose headers gcc reads.</summary>
    public static string HostRid => RuntimeInformation.OSArchitecture == Architecture.Arm64 ? Arm64 : X64;

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>The running runtime's own assemblies: enough to compile and load the emitted bindings.</summary>
    public static readonly ImmutableArray<MetadataReference> References =
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal)
                || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();

    /// <summary>The source folder of this project (golden files are rewritten there), found upwards from the test binaries.</summary>
    public static readonly string ProjectDirectory = FindProjectDirectory();

    /// <summary>
    /// A declarations file naming every function, constant and struct of the catalog. A struct that shares
    /// its name with a function (sigaction, statx) is listed once: the function brings it along.
    /// </summary>
    public static string AllNames() => string.Join(
        "\n",
        new[] { "# every name the catalog knows" }
            .Concat(Catalog.AllFunctions.Select(f => f.Name))
            .Concat(Catalog.AllConstants.Select(c => c.Name))
            .Concat(Catalog.AllStructs.Select(s => s.Name))
            .Distinct(StringComparer.Ordinal)) + "\n";

    public static string ReadFixture(string name) => File.ReadAllText(Path.Combine(ProjectDirectory, "Fixtures", name));

    public static AdditionalText Declarations(string text) => new InMemoryAdditionalText(DeclarationsPath, text);

    public static GeneratorDriver CreateDriver(AdditionalText declarations, string rid) =>
        CSharpGeneratorDriver.Create(
            new[] { new Pid1Generator().AsSourceGenerator() },
            new[] { declarations },
            ParseOptions,
            new RuntimeIdentifierOptions(rid),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static CSharpCompilation Compilation(params string[] sources) => CSharpCompilation.Create(
        "Pid1.Bindings",
        sources.Select(s => CSharpSyntaxTree.ParseText(s, ParseOptions)),
        References,
        new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            allowUnsafe: true,
            nullableContextOptions: NullableContextOptions.Enable,
            deterministic: true));

    /// <summary>Runs the generator once on <paramref name="text"/> and returns its result and the compilation with its output.</summary>
    public static (GeneratorRunResult Result, Compilation Output) Run(string text, string rid = X64)
    {
        GeneratorDriver driver = CreateDriver(Declarations(text), rid)
            .RunGeneratorsAndUpdateCompilation(Compilation(), out Compilation output, out _);
        return (driver.GetRunResult().Results.Single(), output);
    }

    /// <summary>Emits a compilation to an in-memory assembly, failing with the compiler's errors.</summary>
    public static byte[] EmitAssembly(Compilation compilation)
    {
        using var stream = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emitted = compilation.Emit(stream);
        if (!emitted.Success)
        {
            throw new InvalidOperationException("the emitted bindings do not compile:\n" + string.Join("\n", emitted.Diagnostics));
        }

        return stream.ToArray();
    }

    private static string FindProjectDirectory()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Pid1.Generators.Tests.csproj")))
            {
                return d.FullName;
            }
        }

        throw new DirectoryNotFoundException("Pid1.Generators.Tests.csproj not found above " + AppContext.BaseDirectory);
    }

    private sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
    {
        private readonly SourceText source = SourceText.From(text);

        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => source;
    }

    /// <summary>Only the global options the generator reads: <c>build_property.RuntimeIdentifier</c>.</summary>
    private sealed class RuntimeIdentifierOptions(string rid) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(new Dictionary<string, string>
        {
            ["build_property.RuntimeIdentifier"] = rid,
        });

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Options.Empty;

        private sealed class Options(Dictionary<string, string> values) : AnalyzerConfigOptions
        {
            public static readonly Options Empty = new(new Dictionary<string, string>());

            public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) =>
                values.TryGetValue(key, out value);
        }
    }
}

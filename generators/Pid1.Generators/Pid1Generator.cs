using System.IO;
using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Pid1.Generators;

/// <summary>
/// Reads <c>Syscalls.txt</c> (an AdditionalFiles item) and emits the <c>Libc</c> bindings it names.
/// Each step's output is an equatable record, so an edit elsewhere in the project regenerates nothing.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class Pid1Generator : IIncrementalGenerator
{
    public const string DeclarationsFileName = "Syscalls.txt";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<DeclarationFile> files = context.AdditionalTextsProvider
            .Where(static t => Path.GetFileName(t.Path) == DeclarationsFileName)
            .Select(static (t, ct) => Declarations.Parse(t.Path, t.GetText(ct)?.ToString() ?? string.Empty))
            .WithTrackingName(TrackingNames.Declarations);

        IncrementalValueProvider<TargetArch> arch = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => ArchOf(options.GlobalOptions))
            .WithTrackingName(TrackingNames.Arch);

        IncrementalValuesProvider<BindingModel> models = files.Combine(arch)
            .Select(static (pair, _) => Resolver.Resolve(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.Model);

        context.RegisterSourceOutput(models, static (spc, model) =>
        {
            foreach (DiagnosticInfo diagnostic in model.Diagnostics)
            {
                spc.ReportDiagnostic(Diagnostics.Create(diagnostic));
            }

            foreach ((string hintName, string source) in Emitter.Emit(model))
            {
                spc.AddSource(hintName, source);
            }
        });
    }

    /// <summary>The RuntimeIdentifier being built for decides the numbers; without one, the build machine's.</summary>
    private static TargetArch ArchOf(AnalyzerConfigOptions options)
    {
        options.TryGetValue("build_property.RuntimeIdentifier", out string? rid);
        if (!string.IsNullOrEmpty(rid))
        {
            return rid!.EndsWith("arm64", System.StringComparison.Ordinal) ? TargetArch.Arm64 : TargetArch.X64;
        }

        return RuntimeInformation.OSArchitecture == Architecture.Arm64 ? TargetArch.Arm64 : TargetArch.X64;
    }
}

public static class TrackingNames
{
    public const string Declarations = nameof(Declarations);
    public const string Arch = nameof(Arch);
    public const string Model = nameof(Model);
}

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Pid1.Generators;

public static class DiagnosticIds
{
    public const string Unknown = "PID1001";
    public const string Duplicate = "PID1002";
    public const string EmptyFamily = "PID1003";
    public const string NotAName = "PID1004";
}

/// <summary>The generator's diagnostics, reported at the line and column of Syscalls.txt.</summary>
public static class Diagnostics
{
    private const string Category = "Pid1.Generators";

    private static readonly DiagnosticDescriptor Unknown = new(
        DiagnosticIds.Unknown,
        "Unknown C name",
        "'{0}' is not a function, constant or struct the generator knows; add it to the catalog in generators/Pid1.Generators",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor Duplicate = new(
        DiagnosticIds.Duplicate,
        "Name declared twice",
        "'{0}' is declared more than once",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor EmptyFamily = new(
        DiagnosticIds.EmptyFamily,
        "Constant family matches nothing",
        "the family '{0}' matches no constant in the catalog",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor NotAName = new(
        DiagnosticIds.NotAName,
        "Not a C name",
        "'{0}' is not a C identifier (or a family such as MS_*)",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static Diagnostic Create(DiagnosticInfo info)
    {
        DiagnosticDescriptor descriptor = info.Id switch
        {
            DiagnosticIds.Duplicate => Duplicate,
            DiagnosticIds.EmptyFamily => EmptyFamily,
            DiagnosticIds.NotAName => NotAName,
            _ => Unknown,
        };
        var start = new LinePosition(info.Line, info.Column);
        var end = new LinePosition(info.Line, info.Column + info.Length);
        Location location = Location.Create(info.Path, new TextSpan(0, 0), new LinePositionSpan(start, end));
        return Diagnostic.Create(descriptor, location, info.Argument);
    }
}

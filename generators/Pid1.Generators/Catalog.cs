using System;
using System.Collections.Generic;
using System.Linq;

namespace Pid1.Generators;

/// <summary>
/// Everything the generator knows how to bind, keyed by C name. Functions are written as C prototypes,
/// constants with the value from the real headers (x86_64; aarch64 where it differs), structs with the
/// layout gcc reports. tests/ check all three against the headers.
/// </summary>
public static partial class Catalog
{
    public static IReadOnlyList<CatalogFunction> AllFunctions => Functions;

    public static IReadOnlyList<CatalogConstant> AllConstants => Constants;

    public static IReadOnlyList<CatalogStruct> AllStructs => Structs;

    public static CatalogFunction? FindFunction(string name) =>
        Index.Functions.TryGetValue(name, out CatalogFunction? f) ? f : null;

    public static CatalogConstant? FindConstant(string name) =>
        Index.Constants.TryGetValue(name, out CatalogConstant? c) ? c : null;

    public static CatalogStruct? FindStruct(string name) =>
        Index.Structs.TryGetValue(name, out CatalogStruct? s) ? s : null;

    /// <summary>Constants whose name starts with <paramref name="prefix"/>, in catalog order.</summary>
    public static IEnumerable<CatalogConstant> ConstantFamily(string prefix) =>
        Constants.Where(c => c.Name.StartsWith(prefix, StringComparison.Ordinal));

    private static CatalogFunction F(string header, string prototype, ErrorConvention convention = ErrorConvention.Errno) =>
        new(header, CPrototype.Parse(prototype), convention, 0, 0);

    /// <summary>A syscall glibc does not wrap: called through syscall(2) with the number for each architecture.</summary>
    private static CatalogFunction Sys(string header, string prototype, int x64, int arm64) =>
        new(header, CPrototype.Parse(prototype), ErrorConvention.Errno, x64, arm64);

    private static CatalogConstant C(string name, string header, string type, string value, string? arm64 = null) =>
        new(name, header, type, value, arm64 ?? value);

    private static CatalogStruct S(string name, string header, string cName, int size, params string[] fields) =>
        new(name, header, cName, size, fields.Select(CatalogField.Parse).ToArray());

    /// <summary>Built on first lookup, after every partial file's tables exist (their order is unspecified).</summary>
    private static class Index
    {
        public static readonly Dictionary<string, CatalogFunction> Functions =
            Catalog.Functions.ToDictionary(f => f.Name, StringComparer.Ordinal);

        public static readonly Dictionary<string, CatalogConstant> Constants =
            Catalog.Constants.ToDictionary(c => c.Name, StringComparer.Ordinal);

        public static readonly Dictionary<string, CatalogStruct> Structs =
            Catalog.Structs.ToDictionary(s => s.Name, StringComparer.Ordinal);
    }
}

public sealed class CatalogFunction
{
    public CatalogFunction(string header, CPrototype prototype, ErrorConvention convention, int syscallX64, int syscallArm64)
    {
        Header = header;
        Prototype = prototype;
        Convention = convention;
        SyscallX64 = syscallX64;
        SyscallArm64 = syscallArm64;
    }

    public string Name => Prototype.Name;

    public string Header { get; }

    public CPrototype Prototype { get; }

    public ErrorConvention Convention { get; }

    public int SyscallX64 { get; }

    public int SyscallArm64 { get; }

    public bool IsSyscall => SyscallX64 != 0;

    public int SyscallNumber(TargetArch arch) => arch == TargetArch.Arm64 ? SyscallArm64 : SyscallX64;
}

public sealed class CatalogConstant
{
    public CatalogConstant(string name, string header, string type, string x64, string arm64)
    {
        Name = name;
        Header = header;
        CSharpType = type;
        X64 = x64;
        Arm64 = arm64;
    }

    public string Name { get; }

    public string Header { get; }

    public string CSharpType { get; }

    public string X64 { get; }

    public string Arm64 { get; }

    public string Value(TargetArch arch) => arch == TargetArch.Arm64 ? Arm64 : X64;
}

public sealed class CatalogStruct
{
    public CatalogStruct(string name, string header, string cName, int size, IReadOnlyList<CatalogField> fields)
    {
        Name = name;
        Header = header;
        CName = cName;
        Size = size;
        Fields = fields;
    }

    /// <summary>The C# type name (the C tag or typedef name).</summary>
    public string Name { get; }

    public string Header { get; }

    /// <summary>How C spells the type: <c>struct rlimit</c> or <c>siginfo_t</c>.</summary>
    public string CName { get; }

    public int Size { get; }

    public IReadOnlyList<CatalogField> Fields { get; }
}

/// <summary>
/// A field written as <c>"type name @offset"</c> or <c>"type name[length] @offset"</c>; a name in
/// parentheses is private padding that C does not name, so its offset is not checked.
/// </summary>
public sealed class CatalogField
{
    private CatalogField(string type, string name, int offset, int arrayLength, bool isNamedInC)
    {
        CSharpType = type;
        Name = name;
        Offset = offset;
        ArrayLength = arrayLength;
        IsNamedInC = isNamedInC;
    }

    public string CSharpType { get; }

    public string Name { get; }

    public int Offset { get; }

    public int ArrayLength { get; }

    public bool IsNamedInC { get; }

    public static CatalogField Parse(string text)
    {
        string[] parts = text.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
        string type = parts[0];
        string name = parts[1];
        int offset = int.Parse(parts[2].TrimStart('@'), System.Globalization.CultureInfo.InvariantCulture);
        bool named = !name.StartsWith("(", StringComparison.Ordinal);
        name = name.Replace("(", string.Empty).Replace(")", string.Empty);
        int length = 0;
        int bracket = name.IndexOf('[');
        if (bracket >= 0)
        {
            length = int.Parse(name.Substring(bracket + 1, name.Length - bracket - 2), System.Globalization.CultureInfo.InvariantCulture);
            name = name.Substring(0, bracket);
        }

        return new CatalogField(type, name, offset, length, named);
    }
}

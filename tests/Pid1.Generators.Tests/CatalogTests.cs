using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Pid1.Generators.Tests;

/// <summary>The catalog agrees with itself: what the emitter takes for granted holds for every entry.</summary>
public sealed class CatalogTests
{
    private static readonly Dictionary<string, int> ScalarSizes = new(StringComparer.Ordinal)
    {
        ["byte"] = 1,
        ["short"] = 2,
        ["ushort"] = 2,
        ["int"] = 4,
        ["uint"] = 4,
        ["long"] = 8,
        ["ulong"] = 8,
        ["nint"] = 8,
        ["nuint"] = 8,
    };

    [Fact]
    public void Functions_NonScalarTypesInPrototypes_AreCatalogStructs()
    {
        string[] missing = Catalog.AllFunctions
            .SelectMany(f => f.Prototype.StructDependencies().Select(type => (f.Name, Type: type)))
            .Where(d => Catalog.FindStruct(d.Type) is null)
            .Select(d => $"{d.Name}: {d.Type}")
            .ToArray();

        Assert.True(missing.Length == 0, "types without a catalog struct: " + string.Join(", ", missing));
    }

    [Fact]
    public void Functions_ErrnoConvention_ReturnASignedType()
    {
        string[] unsigned = Catalog.AllFunctions
            .Where(f => f.Convention == ErrorConvention.Errno)
            .Where(f => f.Prototype.ReturnType is not ("int" or "long" or "nint" or "short"))
            .Select(f => $"{f.Name} returns {f.Prototype.ReturnType}")
            .ToArray();

        Assert.True(unsigned.Length == 0, "−errno does not fit: " + string.Join(", ", unsigned));
    }

    [Fact]
    public void Functions_Syscalls_HaveANumberForEachArchitectureAndAtMostSixArguments()
    {
        string[] wrong = Catalog.AllFunctions
            .Where(f => f.SyscallX64 != 0 || f.SyscallArm64 != 0)
            .Where(f => f.SyscallX64 <= 0 || f.SyscallArm64 <= 0 || f.Prototype.Parameters.Count > 6 || f.Convention != ErrorConvention.Errno)
            .Select(f => $"{f.Name} (x86_64 {f.SyscallX64}, aarch64 {f.SyscallArm64})")
            .ToArray();

        Assert.True(wrong.Length == 0, string.Join(", ", wrong));
    }

    [Fact]
    public void Catalog_Names_AreUnique()
    {
        // Functions and constants are members of one class; structs share the namespace with each other.
        string[] members = Duplicates(Catalog.AllFunctions.Select(f => f.Name).Concat(Catalog.AllConstants.Select(c => c.Name)));
        string[] types = Duplicates(Catalog.AllStructs.Select(s => s.Name));

        Assert.Empty(members);
        Assert.Empty(types);
    }

    [Fact]
    public void Structs_Fields_AreKnownAlignedAndInsideTheStruct()
    {
        var wrong = new List<string>();
        foreach (CatalogStruct s in Catalog.AllStructs)
        {
            foreach (CatalogField f in s.Fields)
            {
                int? size = SizeOf(f.CSharpType);
                int end = f.Offset + ((size ?? 0) * Math.Max(1, f.ArrayLength));
                bool misaligned = ScalarSizes.TryGetValue(f.CSharpType, out int alignment) && f.Offset % alignment != 0;
                if (size is null || end > s.Size || misaligned)
                {
                    wrong.Add($"{s.Name}.{f.Name}: {f.CSharpType} at {f.Offset} in {s.Size} bytes");
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void Constants_Values_AreGivenForBothArchitectures()
    {
        Assert.All(Catalog.AllConstants, c =>
        {
            Assert.False(string.IsNullOrWhiteSpace(c.X64), c.Name);
            Assert.False(string.IsNullOrWhiteSpace(c.Arm64), c.Name);
            Assert.Contains(c.CSharpType, ScalarSizes.Keys);
        });
    }

    /// <summary>A scalar's size, or a catalog struct's; null for an unknown type.</summary>
    private static int? SizeOf(string type) =>
        ScalarSizes.TryGetValue(type, out int size) ? size : Catalog.FindStruct(type)?.Size;

    private static string[] Duplicates(IEnumerable<string> names) =>
        names.GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
}

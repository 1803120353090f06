using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using Tmds.Linux;
using Xunit;

namespace Pid1.Generators.Tests;

/// <summary>
/// Tmds.LibC, whose values are tested against the headers in its own repository, as a second opinion:
/// every name both define must agree. The minimum counts keep the test from passing on an empty overlap.
/// </summary>
public sealed class TmdsLibCOracleTests
{
    private const int MinimumConstantsCompared = 200;
    private const int MinimumStructsCompared = 8;

    [Fact]
    public void Catalog_ConstantsTmdsLibCAlsoDefines_HaveTheSameValues()
    {
        var mismatches = new List<string>();
        int compared = 0;
        foreach ((string name, object ours) in EmittedBindings.Constants)
        {
            if (TmdsValue(name) is not { } theirs)
            {
                continue;
            }

            compared++;
            if (!SameValue(ours, theirs))
            {
                mismatches.Add($"{name}: catalog {ours} ({ours.GetType().Name}), Tmds.LibC {theirs} ({theirs.GetType().Name})");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
        Assert.True(compared >= MinimumConstantsCompared, $"only {compared} constants were compared with Tmds.LibC");
    }

    [Fact]
    public void Catalog_StructsTmdsLibCAlsoDefines_HaveTheSameSize()
    {
        var mismatches = new List<string>();
        int compared = 0;
        foreach (EmittedStruct ours in EmittedBindings.Structs)
        {
            Type? theirs = typeof(LibC).Assembly.GetType("Tmds.Linux." + ours.Name);
            if (theirs is null || !theirs.IsValueType)
            {
                continue;
            }

            compared++;
            int size = SizeOf(theirs);
            if (size != ours.Size)
            {
                mismatches.Add($"{ours.Name}: catalog {ours.Size} bytes, Tmds.LibC {size}");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
        Assert.True(compared >= MinimumStructsCompared, $"only {compared} structs were compared with Tmds.LibC");
    }

    /// <summary>The value of Tmds.Linux.LibC's field or property of that name, unwrapped from types such as <c>mode_t</c>.</summary>
    private static object? TmdsValue(string name)
    {
        const BindingFlags Static = BindingFlags.Public | BindingFlags.Static;
        object? value = typeof(LibC).GetField(name, Static)?.GetValue(null)
            ?? typeof(LibC).GetProperty(name, Static)?.GetValue(null);
        while (value is not null && !value.GetType().IsPrimitive)
        {
            FieldInfo single = value.GetType().GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance).Single();
            value = single.GetValue(value);
        }

        return value;
    }

    /// <summary>
    /// Equal as numbers, or the same bits in the narrower of the two types when only the types differ:
    /// CLONE_IO is 0x80000000 as the ulong of clone3 here and as the int of clone(2) there.
    /// </summary>
    private static bool SameValue(object ours, object theirs)
    {
        Int128 a = ToInt128(ours);
        Int128 b = ToInt128(theirs);
        int bits = 8 * Math.Min(SizeOf(ours.GetType()), SizeOf(theirs.GetType()));
        Int128 mask = (Int128.One << bits) - 1;
        bool FitsIn(Int128 v) => v >= -(Int128.One << (bits - 1)) && v <= mask;
        return a == b || (FitsIn(a) && FitsIn(b) && (a & mask) == (b & mask));
    }

    private static Int128 ToInt128(object value) => value switch
    {
        nint n => n,
        nuint n => n,
        ulong u => u,
        IConvertible c => c.ToInt64(System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new ArgumentException($"not a number: {value}"),
    };

    private static int SizeOf(Type type) =>
        (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null)!;
}

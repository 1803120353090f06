using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using Xunit;

namespace Pid1.Generators.Tests;

/// <summary>
/// Tmds.LibC, whose values are tested against the headers in its own repository, as a second opinion for
/// each architecture: every name both define must agree. The minimum counts keep the test from passing on
/// an empty overlap.
/// </summary>
public sealed class TmdsLibCOracleTests
{
    private const int MinimumConstantsCompared = 200;
    private const int MinimumStructsCompared = 8;

    [Theory]
    [InlineData(GeneratorHarness.X64)]
    [InlineData(GeneratorHarness.Arm64)]
    public void Catalog_ConstantsTmdsLibCAlsoDefines_HaveTheSameValues(string rid)
    {
        var mismatches = new List<string>();
        int compared = 0;
        WithTmdsLibC(rid, libc =>
        {
            foreach ((string name, object ours) in EmittedBindings.For(rid).Constants)
            {
                if (ValueOf(libc, name) is not { } theirs)
                {
                    continue;
                }

                compared++;
                if (!SameValue(ours, theirs))
                {
                    mismatches.Add($"{name}: catalog {ours} ({ours.GetType().Name}), Tmds.LibC {theirs} ({theirs.GetType().Name})");
                }
            }
        });

        Assert.True(mismatches.Count == 0, $"{rid}:\n" + string.Join("\n", mismatches));
        Assert.True(compared >= MinimumConstantsCompared, $"{rid}: only {compared} constants were compared with Tmds.LibC");
    }

    [Theory]
    [InlineData(GeneratorHarness.X64)]
    [InlineData(GeneratorHarness.Arm64)]
    public void Catalog_StructsTmdsLibCAlsoDefines_HaveTheSameSize(string rid)
    {
        var mismatches = new List<string>();
        int compared = 0;
        WithTmdsLibC(rid, libc =>
        {
            foreach (EmittedStruct ours in EmittedBindings.For(rid).Structs)
            {
                if (libc.Assembly.GetType("Tmds.Linux." + ours.Name) is not { IsValueType: true } theirs)
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
        });

        Assert.True(mismatches.Count == 0, $"{rid}:\n" + string.Join("\n", mismatches));
        Assert.True(compared >= MinimumStructsCompared, $"{rid}: only {compared} structs were compared with Tmds.LibC");
    }

    /// <summary>Loads the architecture's build of Tmds.LibC on its own, hands over its <c>Tmds.Linux.LibC</c>, unloads it.</summary>
    private static void WithTmdsLibC(string rid, Action<Type> use)
    {
        var context = new AssemblyLoadContext("Tmds.LibC." + rid, isCollectible: true);
        try
        {
            string path = Path.Combine(AppContext.BaseDirectory, "TmdsLibC", rid, "Tmds.LibC.dll");
            use(context.LoadFromAssemblyPath(path).GetType("Tmds.Linux.LibC", throwOnError: true)!);
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>The value of LibC's field or property of that name, unwrapped from types such as <c>mode_t</c>.</summary>
    private static object? ValueOf(Type libc, string name)
    {
        const BindingFlags Static = BindingFlags.Public | BindingFlags.Static;
        object? value = libc.GetField(name, Static)?.GetValue(null) ?? libc.GetProperty(name, Static)?.GetValue(null);
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

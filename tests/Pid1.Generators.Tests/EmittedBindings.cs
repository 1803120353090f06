using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;

namespace Pid1.Generators.Tests;

/// <summary>A struct as the runtime lays it out: its size and the offset of each field.</summary>
internal sealed record EmittedStruct(string Name, int Size, IReadOnlyDictionary<string, int> Offsets);

/// <summary>Every <c>const</c> of <c>Libc</c> with its value (int, uint, long, ulong or short), and every struct.</summary>
internal sealed record EmittedBindingSet(IReadOnlyDictionary<string, object> Constants, IReadOnlyList<EmittedStruct> Structs);

/// <summary>
/// The bindings for every catalog name, compiled and loaded: the values and layouts the runtime really sees,
/// read by reflection, to be held against the headers and against Tmds.LibC.
/// </summary>
internal static class EmittedBindings
{
    private static readonly ConcurrentDictionary<string, Lazy<EmittedBindingSet>> Sets = new(StringComparer.Ordinal);

    /// <summary>The bindings emitted for a RuntimeIdentifier, compiled and read once per test run.</summary>
    public static EmittedBindingSet For(string rid) => Sets.GetOrAdd(rid, r => new Lazy<EmittedBindingSet>(() => Load(r))).Value;

    private static EmittedBindingSet Load(string rid)
    {
        (GeneratorRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.AllNames(), rid);
        if (!result.Diagnostics.IsEmpty)
        {
            throw new InvalidOperationException(string.Join("\n", result.Diagnostics));
        }

        var context = new AssemblyLoadContext("Pid1.Bindings", isCollectible: true);
        try
        {
            Assembly assembly = context.LoadFromStream(new MemoryStream(GeneratorHarness.EmitAssembly(output)));
            Type libc = assembly.GetType(Emitter.Namespace + ".Libc", throwOnError: true)!;
            Dictionary<string, object> constants = libc
                .GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
                .Where(f => f.IsLiteral)
                .ToDictionary(f => f.Name, f => f.GetRawConstantValue()!, StringComparer.Ordinal);
            List<EmittedStruct> structs = assembly.GetTypes()
                .Where(t => t.IsValueType && !t.IsNested && t.Namespace == Emitter.Namespace)
                .Select(t => new EmittedStruct(
                    t.Name,
                    Marshal.SizeOf(t),
                    t.GetFields(BindingFlags.Public | BindingFlags.Instance)
                        .ToDictionary(f => f.Name, f => (int)Marshal.OffsetOf(t, f.Name), StringComparer.Ordinal)))
                .ToList();
            return new EmittedBindingSet(constants, structs);
        }
        finally
        {
            context.Unload();
        }
    }
}

using System;
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

/// <summary>
/// The bindings for every catalog name, for this machine's architecture, compiled and loaded: the values and
/// layouts the runtime really sees, read by reflection, to be held against the headers and against Tmds.LibC.
/// </summary>
internal static class EmittedBindings
{
    private static readonly Lazy<(IReadOnlyDictionary<string, object> Constants, IReadOnlyList<EmittedStruct> Structs)> Loaded = new(Load);

    /// <summary>Every <c>const</c> of <c>Libc</c> with its value (int, uint, long, ulong or short).</summary>
    public static IReadOnlyDictionary<string, object> Constants => Loaded.Value.Constants;

    public static IReadOnlyList<EmittedStruct> Structs => Loaded.Value.Structs;

    private static (IReadOnlyDictionary<string, object>, IReadOnlyList<EmittedStruct>) Load()
    {
        (GeneratorRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.AllNames(), GeneratorHarness.HostRid);
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
            return (constants, structs);
        }
        finally
        {
            context.Unload();
        }
    }
}

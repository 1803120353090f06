using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace Pid1.Generators.Tests;

/// <summary>
/// The real headers are the authority: every emitted constant and struct layout becomes a C
/// <c>_Static_assert</c>, and gcc must accept them all. One translation unit per header, because
/// &lt;linux/…&gt; and glibc headers do not always mix.
/// </summary>
public sealed class HeaderOracleTests
{
    [Fact]
    public void Catalog_EveryConstantAndLayout_MatchesTheSystemHeaders()
    {
        // gcc reads this machine's headers, so the bindings are those emitted for this machine.
        EmittedBindingSet bindings = EmittedBindings.For(GeneratorHarness.HostRid);
        Assert.Equal(Catalog.AllConstants.Count, bindings.Constants.Count);
        Assert.Equal(Catalog.AllStructs.Count, bindings.Structs.Count);

        (int exitCode, string errors) = CheckWithGcc("gcc", TranslationUnits(bindings, musl: false));

        Assert.True(exitCode == 0, $"the catalog disagrees with the system headers (fix the catalog):\n{errors}");
    }

    /// <summary>
    /// pid1 is linked against musl (Directory.Build.targets) with the bindings emitted for linux-x64, whose
    /// values glibc's headers vouch for above: musl's headers must agree wherever they define the name. The
    /// kernel's own headers (&lt;linux/…&gt;) are the same for both and musl-gcc does not see them; a name musl
    /// lacks is no disagreement (pid1 takes every value from the catalog), only a different value is.
    /// </summary>
    [Fact]
    public void Catalog_EveryConstantAndLayout_MatchesMuslHeaders()
    {
        EmittedBindingSet bindings = EmittedBindings.For(GeneratorHarness.HostRid);
        SortedDictionary<string, StringBuilder> units = TranslationUnits(bindings, musl: true);
        Assert.Contains("spawn.h", units.Keys);
        Assert.Contains("signal.h", units.Keys);

        (int exitCode, string errors) = CheckWithGcc("musl-gcc", units);

        Assert.True(exitCode == 0, $"the catalog disagrees with musl's headers:\n{errors}");
    }

    /// <summary>Structs that musl 1.2.3 (Debian 12) does not declare; pid1 reaches them through raw syscalls.</summary>
    private static readonly string[] MissingInMusl = ["statx"];

    /// <summary>
    /// Where musl's headers say otherwise on purpose. SOMAXCONN: glibc 4096, musl 128; it is only a request
    /// to listen(2), which the kernel clamps to net.core.somaxconn, so glibc's value is right for both.
    /// </summary>
    private static readonly string[] DiffersInMusl = ["SOMAXCONN"];

    /// <summary>One C file per header: its constants' values, its structs' sizes and named fields' offsets.</summary>
    private static SortedDictionary<string, StringBuilder> TranslationUnits(EmittedBindingSet bindings, bool musl)
    {
        var units = new SortedDictionary<string, StringBuilder>(StringComparer.Ordinal);
        StringBuilder Unit(string header)
        {
            if (!units.TryGetValue(header, out StringBuilder? unit))
            {
                // Kernel UAPI headers leave userspace names to userspace: <linux/mount.h> defines
                // OPEN_TREE_CLOEXEC as O_CLOEXEC, which comes from <fcntl.h>, as in any program using it.
                string userspace = header.StartsWith("linux/", StringComparison.Ordinal) ? "#include <fcntl.h>\n" : string.Empty;
                unit = new StringBuilder("#define _GNU_SOURCE\n#include <stddef.h>\n" + userspace)
                    .Append(CultureInfo.InvariantCulture, $"#include <{header}>\n\n");
                units.Add(header, unit);
            }

            return unit;
        }

        bool Checked(string header) => !musl || !header.StartsWith("linux/", StringComparison.Ordinal);
        foreach ((string name, object value) in bindings.Constants)
        {
            string header = Catalog.FindConstant(name)!.Header;
            if (!Checked(header) || (musl && DiffersInMusl.Contains(name)))
            {
                continue;
            }

            StringBuilder unit = Unit(header);
            if (musl)
            {
                unit.Append(CultureInfo.InvariantCulture, $"#ifdef {name}\n");
            }

            StaticAssert(unit, $"{name} == {CLiteral(value)}");
            if (musl)
            {
                unit.Append("#endif\n");
            }
        }

        foreach (EmittedStruct emitted in bindings.Structs)
        {
            CatalogStruct s = Catalog.FindStruct(emitted.Name)!;
            if (!Checked(s.Header) || (musl && MissingInMusl.Contains(s.Name)))
            {
                continue;
            }

            StringBuilder unit = Unit(s.Header);
            StaticAssert(unit, $"sizeof({s.CName}) == {emitted.Size}");
            // A libc's private member names (glibc's sigset_t.__val is musl's __bits) are not the ABI: sizes are.
            foreach (CatalogField field in s.Fields.Where(f => f.IsNamedInC && !(musl && f.Name.StartsWith("__", StringComparison.Ordinal))))
            {
                StaticAssert(unit, $"offsetof({s.CName}, {field.Name}) == {emitted.Offsets[field.Name]}");
            }
        }

        return units;
    }

    private static void StaticAssert(StringBuilder unit, string condition) =>
        unit.Append(CultureInfo.InvariantCulture, $"_Static_assert({condition}, \"{condition}\");\n");

    /// <summary>Writes the units to a temporary folder and has gcc check them all in one run.</summary>
    private static (int ExitCode, string Errors) CheckWithGcc(string compiler, SortedDictionary<string, StringBuilder> units)
    {
        string directory = Directory.CreateTempSubdirectory("pid1-headers-").FullName;
        try
        {
            var arguments = new List<string> { "-fsyntax-only", "-std=gnu11" };
            foreach ((string header, StringBuilder unit) in units)
            {
                string file = Path.Combine(directory, header.Replace('/', '_').Replace(".h", ".c", StringComparison.Ordinal));
                File.WriteAllText(file, unit.ToString());
                arguments.Add(file);
            }

            return Gcc(compiler, arguments);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The value as a C literal of the same type, so the comparison is done in the type C# uses.</summary>
    private static string CLiteral(object value) => value switch
    {
        ulong u => u.ToString(CultureInfo.InvariantCulture) + "ULL",
        long l => l.ToString(CultureInfo.InvariantCulture) + "LL",
        uint u => u.ToString(CultureInfo.InvariantCulture) + "U",
        IFormattable other => other.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new ArgumentException($"not a number: {value}"),
    };

    private static (int ExitCode, string Errors) Gcc(string compiler, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(compiler) { RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using Process gcc = Process.Start(start)!;
            string errors = gcc.StandardError.ReadToEnd();
            gcc.WaitForExit();
            return (gcc.ExitCode, errors);
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"{compiler} is needed to check the catalog against the headers (apt-get install gcc musl-tools): " + e.Message, e);
        }
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using Xunit;

namespace Pid1.Tests;

/// <summary>Rules of the build that keep pid1 a static binary that owns its SIGCHLD.</summary>
public class BuildRulesTests
{
    private static readonly string RepoRoot = Repo.Root;

    [Fact]
    public void DllImports_EveryModule_IsADirectPInvokeItem()
    {
        HashSet<string> imported = ImportedModules(typeof(Pid1.Native.Libc).Assembly.Location);
        HashSet<string> direct = XDocument.Load(Path.Combine(RepoRoot, "src", "Pid1", "Pid1.csproj"))
            .Descendants("DirectPInvoke")
            .Select(e => (string?)e.Attribute("Include") ?? string.Empty)
            .ToHashSet();

        Assert.NotEmpty(imported);
        Assert.Empty(imported.Except(direct));
    }

    [Fact]
    public void DllImports_AllComeFromTheGenerator()
    {
        // Hand-written [DllImport]s would escape the catalog's checks against the headers.
        string[] handWritten = Directory.EnumerateFiles(Path.Combine(RepoRoot, "src", "Pid1"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Where(f => File.ReadAllText(f).Contains("DllImport", StringComparison.Ordinal))
            .ToArray();
        Assert.Empty(handWritten);
    }

    [Theory]
    [InlineData("System.Console.Error.WriteLine(\"x\");", "'Console' is banned")]
    [InlineData("System.Diagnostics.Process.Start(\"true\");", "'Process' is banned")]
    [InlineData("using var r = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, _ => { });", "'PosixSignalRegistration' is banned")]
    [InlineData("_ = System.Text.Encoding.ASCII;", "'Encoding.ASCII' is banned")]
    [InlineData("_ = System.IO.Path.GetFullPath(\"x\");", "'Path.GetFullPath(string)' is banned")]
    public void Build_UsingABannedApi_Fails(string statement, string banned)
    {
        string copy = CopyOfPid1WithExtraFile($"namespace Pid1; internal static class UsesBannedApi {{ internal static void Run() {{ {statement} }} }}");
        try
        {
            (int exitCode, string output) = Repo.Run("dotnet", "build", Path.Combine(copy, "src", "Pid1", "Pid1.csproj"), "-c", "Release", "-nologo", "-v:q");
            Assert.NotEqual(0, exitCode);
            Assert.Contains("RS0030", output);
            Assert.Contains(banned, output);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    private static HashSet<string> ImportedModules(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        MetadataReader reader = pe.GetMetadataReader();
        return reader.MethodDefinitions
            .Select(h => reader.GetMethodDefinition(h).GetImport())
            .Where(import => !import.Module.IsNil)
            .Select(import => reader.GetString(reader.GetModuleReference(import.Module).Name))
            .ToHashSet();
    }

    /// <summary>src/Pid1 copied beside links to the real generators and props, plus one extra source file.</summary>
    private static string CopyOfPid1WithExtraFile(string source)
    {
        string root = Directory.CreateTempSubdirectory("pid1-banned-api-").FullName;
        string project = Path.Combine(root, "src", "Pid1");
        CopyTree(Path.Combine(RepoRoot, "src", "Pid1"), project);
        File.WriteAllText(Path.Combine(project, "UsesBannedApi.cs"), source);
        File.CreateSymbolicLink(Path.Combine(root, "generators"), Path.Combine(RepoRoot, "generators"));
        File.Copy(Path.Combine(RepoRoot, "Directory.Build.props"), Path.Combine(root, "Directory.Build.props"));
        return root;
    }

    private static void CopyTree(string from, string to)
    {
        foreach (string dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories).Where(d => !IsBuildOutput(from, d)))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }

        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories).Where(f => !IsBuildOutput(from, f)))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }

    private static bool IsBuildOutput(string root, string path) =>
        Path.GetRelativePath(root, path).Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj";
}

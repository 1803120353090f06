using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading.Tasks;

namespace Pid1.IntegrationTests;

/// <summary>What one run of a command printed and returned.</summary>
public sealed record RunResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
}

/// <summary>Finds out/pid1 and runs it, or any command, with a time limit.</summary>
public static class Pid1Binary
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The static binary ./build.sh publishes; the tests fail, never skip, when it is missing.</summary>
    public static string Path
    {
        get
        {
            string path = System.IO.Path.Combine(RepoRoot, "out", "pid1");
            return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: run ./build.sh first");
        }
    }

    public static string OutDir => System.IO.Path.Combine(RepoRoot, "out");

    public static RunResult Run(params string[] args) => RunCommand(Path, args);

    public static RunResult RunCommand(string file, params string[] args) => RunCommand(file, args, TimeSpan.FromSeconds(60), stdin: null);

    public static RunResult RunCommand(string file, string[] args, TimeSpan timeout, string? stdin, Action<ProcessStartInfo>? configure = null)
    {
        using Process process = Start(file, args, configure);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout}");
        }

        process.WaitForExit();
        return new RunResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static Process Start(string file, string[] args, Action<ProcessStartInfo>? configure = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        configure?.Invoke(info);
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
    }

    private static string FindRepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = System.IO.Path.GetDirectoryName(dir))
        {
            if (File.Exists(System.IO.Path.Combine(dir, "Pid1.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException("Pid1.sln not found above " + AppContext.BaseDirectory);
    }
}

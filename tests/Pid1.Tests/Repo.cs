using System;
using System.Diagnostics;
using System.IO;

namespace Pid1.Tests;

/// <summary>The checkout the tests run in, and a way to run its tools.</summary>
internal static class Repo
{
    public static readonly string Root = FindRoot();

    public static (int ExitCode, string Output) Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    private static string FindRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "Pid1.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException("Pid1.sln not found above " + AppContext.BaseDirectory);
    }
}

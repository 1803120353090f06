using System;
using System.Collections.Generic;
using System.Linq;

namespace Pid1.Generators;

/// <summary>A C function prototype reduced to blittable C# types: <c>int waitpid(pid_t pid, int *wstatus, int options)</c>.</summary>
public sealed class CPrototype
{
    private static readonly Dictionary<string, string> ScalarTypes = new(StringComparer.Ordinal)
    {
        ["void"] = "void",
        ["char"] = "byte",
        ["unsigned char"] = "byte",
        ["short"] = "short",
        ["unsigned short"] = "ushort",
        ["int"] = "int",
        ["unsigned int"] = "uint",
        ["unsigned"] = "uint",
        ["long"] = "long",
        ["unsigned long"] = "ulong",
        ["long long"] = "long",
        ["unsigned long long"] = "ulong",
        ["size_t"] = "nuint",
        ["ssize_t"] = "nint",
        ["pid_t"] = "int",
        ["uid_t"] = "uint",
        ["gid_t"] = "uint",
        ["id_t"] = "uint",
        ["idtype_t"] = "int",
        ["mode_t"] = "uint",
        ["dev_t"] = "ulong",
        ["off_t"] = "long",
        ["socklen_t"] = "uint",
        ["clockid_t"] = "int",
        ["nfds_t"] = "ulong",
    };

    private CPrototype(string text, string name, string returnType, IReadOnlyList<ParameterModel> parameters)
    {
        Text = text;
        Name = name;
        ReturnType = returnType;
        Parameters = parameters;
    }

    public string Text { get; }

    public string Name { get; }

    public string ReturnType { get; }

    public IReadOnlyList<ParameterModel> Parameters { get; }

    public static CPrototype Parse(string text)
    {
        int open = text.IndexOf('(');
        int close = text.LastIndexOf(')');
        if (open < 0 || close < open)
        {
            throw new FormatException($"not a prototype: {text}");
        }

        (string returnType, string name) = SplitDeclarator(text.Substring(0, open));
        string list = text.Substring(open + 1, close - open - 1).Trim();
        IReadOnlyList<ParameterModel> parameters = list is "" or "void"
            ? Array.Empty<ParameterModel>()
            : list.Split(',').Select(ParseParameter).ToArray();
        return new CPrototype(text, name, returnType, parameters);
    }

    private static ParameterModel ParseParameter(string text)
    {
        (string type, string name) = SplitDeclarator(text);
        return new ParameterModel(type, name);
    }

    /// <summary>Splits "const char *path" into ("byte*", "path").</summary>
    private static (string Type, string Name) SplitDeclarator(string text)
    {
        string spaced = text.Replace("*", " * ");
        var tokens = spaced.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries)
            .Where(t => t != "const")
            .ToList();
        string name = tokens[tokens.Count - 1];
        tokens.RemoveAt(tokens.Count - 1);
        int stars = tokens.Count(t => t == "*");
        string baseType = string.Join(" ", tokens.Where(t => t != "*"));
        return (MapType(baseType) + new string('*', stars), name);
    }

    private static string MapType(string cType)
    {
        if (ScalarTypes.TryGetValue(cType, out string? mapped))
        {
            return mapped;
        }

        // "struct rlimit" and typedefs such as "siginfo_t" bind to the catalog struct of the same name;
        // a catalog test checks that every such name is a catalog struct.
        return cType.StartsWith("struct ", StringComparison.Ordinal) ? cType.Substring(7) : cType;
    }

    /// <summary>Non-scalar types this prototype mentions: declaring the function brings their structs along.</summary>
    public IEnumerable<string> StructDependencies() =>
        Parameters.Select(p => p.CSharpType).Append(ReturnType)
            .Select(t => t.TrimEnd('*'))
            .Where(t => !ScalarTypes.ContainsValue(t))
            .Distinct();
}

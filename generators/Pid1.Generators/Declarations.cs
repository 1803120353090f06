using System.Collections.Generic;

namespace Pid1.Generators;

/// <summary>Parses Syscalls.txt: one C name per line; <c>#</c> starts a comment; blank lines are ignored.</summary>
public static class Declarations
{
    public static DeclarationFile Parse(string path, string text)
    {
        var declarations = new List<Declaration>();
        string[] lines = text.Replace("\r\n", "\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            int hash = line.IndexOf('#');
            string content = hash >= 0 ? line.Substring(0, hash) : line;
            string name = content.Trim();
            if (name.Length > 0)
            {
                declarations.Add(new Declaration(name, i, content.IndexOf(name, System.StringComparison.Ordinal)));
            }
        }

        return new DeclarationFile(path, declarations.ToEquatableArray());
    }
}

using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace Pid1.Generators;

/// <summary>Turns the declared names into the model to emit, using the catalog; problems become diagnostics.</summary>
public static class Resolver
{
    private static readonly Regex Identifier = new("^[A-Za-z_][A-Za-z0-9_]*\\*?$");

    public static BindingModel Resolve(DeclarationFile file, TargetArch arch)
    {
        var functions = new List<FunctionModel>();
        var constants = new List<ConstantModel>();
        var structs = new SortedDictionary<string, CatalogStruct>(System.StringComparer.Ordinal);
        var diagnostics = new List<DiagnosticInfo>();
        var seen = new HashSet<string>(System.StringComparer.Ordinal);

        foreach (Declaration d in file.Declarations)
        {
            DiagnosticInfo Report(string id) => new(id, file.Path, d.Line, d.Column, d.Name.Length, d.Name);

            if (!Identifier.IsMatch(d.Name))
            {
                diagnostics.Add(Report(DiagnosticIds.NotAName));
            }
            else if (!seen.Add(d.Name))
            {
                diagnostics.Add(Report(DiagnosticIds.Duplicate));
            }
            else if (d.IsFamily)
            {
                var family = Catalog.ConstantFamily(d.Name.TrimEnd('*')).ToList();
                if (family.Count == 0)
                {
                    diagnostics.Add(Report(DiagnosticIds.EmptyFamily));
                }

                constants.AddRange(family.Select(c => ToModel(c, arch)));
            }
            else if (Catalog.FindFunction(d.Name) is { } function)
            {
                functions.Add(ToModel(function, arch));
                foreach (string dependency in function.Prototype.StructDependencies())
                {
                    AddStruct(dependency, structs);
                }
            }
            else if (Catalog.FindConstant(d.Name) is { } constant)
            {
                constants.Add(ToModel(constant, arch));
            }
            else if (Catalog.FindStruct(d.Name) is not null)
            {
                AddStruct(d.Name, structs);
            }
            else
            {
                diagnostics.Add(Report(DiagnosticIds.Unknown));
            }
        }

        return new BindingModel(
            functions.ToEquatableArray(),
            constants.GroupBy(c => c.Name).Select(g => g.First()).ToEquatableArray(),
            structs.Values.Select(ToModel).ToEquatableArray(),
            diagnostics.ToEquatableArray());
    }

    /// <summary>Adds a struct and, transitively, the structs its fields embed.</summary>
    private static void AddStruct(string name, SortedDictionary<string, CatalogStruct> structs)
    {
        if (structs.ContainsKey(name) || Catalog.FindStruct(name) is not { } found)
        {
            return;
        }

        structs.Add(name, found);
        foreach (CatalogField field in found.Fields)
        {
            AddStruct(field.CSharpType, structs);
        }
    }

    private static FunctionModel ToModel(CatalogFunction f, TargetArch arch) => new(
        f.Name,
        f.Header,
        f.Prototype.Text,
        f.Prototype.ReturnType,
        f.Prototype.Parameters.ToEquatableArray(),
        f.Convention,
        f.IsSyscall ? f.SyscallNumber(arch) : 0);

    private static ConstantModel ToModel(CatalogConstant c, TargetArch arch) =>
        new(c.Name, c.Header, c.CSharpType, c.Value(arch));

    private static StructModel ToModel(CatalogStruct s) => new(
        s.Name,
        s.Header,
        s.CName,
        s.Size,
        s.Fields.Select(f => new FieldModel(f.CSharpType, f.Name, f.Offset, f.ArrayLength)).ToEquatableArray());
}

namespace Pid1.Generators;

/// <summary>The architecture whose numbers (syscalls, arch-specific constants) are emitted.</summary>
public enum TargetArch
{
    X64,
    Arm64,
}

/// <summary>One non-empty, non-comment line of Syscalls.txt: a C name or a family such as <c>MS_*</c>.</summary>
public sealed record Declaration(string Name, int Line, int Column)
{
    public bool IsFamily => Name.EndsWith("*", System.StringComparison.Ordinal);
}

/// <summary>The parsed declarations file: its path (for diagnostics) and its lines.</summary>
public sealed record DeclarationFile(string Path, EquatableArray<Declaration> Declarations);

/// <summary>A diagnostic as plain data: the pipeline must not carry Roslyn objects between steps.</summary>
public sealed record DiagnosticInfo(string Id, string Path, int Line, int Column, int Length, string Argument);

/// <summary>How a function reports failure, normalised to "value ≥ 0 or −errno" by the emitted wrapper.</summary>
public enum ErrorConvention
{
    /// <summary>Returns -1 and sets errno.</summary>
    Errno,

    /// <summary>Returns 0 or a positive error number (pthread_*, posix_spawn*).</summary>
    Direct,

    /// <summary>Cannot fail (getpid, _exit, sync).</summary>
    None,
}

/// <summary>A C parameter mapped to a blittable C# type.</summary>
public sealed record ParameterModel(string CSharpType, string Name);

/// <summary>A function to bind: a libc symbol, or a raw syscall(2) when glibc has no wrapper.</summary>
public sealed record FunctionModel(
    string Name,
    string Header,
    string Prototype,
    string ReturnType,
    EquatableArray<ParameterModel> Parameters,
    ErrorConvention Convention,
    int SyscallNumber);

/// <summary>A constant with the value for the target architecture.</summary>
public sealed record ConstantModel(string Name, string Header, string CSharpType, string Value);

/// <summary>A struct field at a fixed offset; <see cref="ArrayLength"/> &gt; 0 makes it a fixed buffer.</summary>
public sealed record FieldModel(string CSharpType, string Name, int Offset, int ArrayLength);

/// <summary>A struct emitted with explicit layout, so its size and offsets are checkable against the headers.</summary>
public sealed record StructModel(string Name, string Header, string CName, int Size, EquatableArray<FieldModel> Fields);

/// <summary>Everything one declarations file resolves to; equal inputs give an equal model.</summary>
public sealed record BindingModel(
    EquatableArray<FunctionModel> Functions,
    EquatableArray<ConstantModel> Constants,
    EquatableArray<StructModel> Structs,
    EquatableArray<DiagnosticInfo> Diagnostics);

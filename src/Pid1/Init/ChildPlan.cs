using System.Collections.Generic;
using System.Runtime.InteropServices;
using Pid1.Native;

namespace Pid1.Init;

/// <summary>
/// The child's setup as data: steps the child executes in order, and beside each the words the parent uses
/// when the child reports that step failed ("mount proc on /proc"). Built and frozen before fork.
/// </summary>
internal sealed unsafe class ChildPlan
{
    private readonly List<ChildStep> steps = [];
    private readonly List<string> descriptions = [];

    public int Count => steps.Count;

    public IReadOnlyList<ChildStep> Steps => steps;

    public ChildPlan Add(ChildStep step, string description)
    {
        steps.Add(step);
        descriptions.Add(description);
        return this;
    }

    public string Describe(int index) => index >= 0 && index < descriptions.Count ? descriptions[index] : "child setup";

    /// <summary>Copies the steps to unmanaged memory the child can walk without touching the GC heap.</summary>
    public ChildStep* Freeze()
    {
        var frozen = (ChildStep*)NativeMemory.Alloc((nuint)steps.Count, (nuint)sizeof(ChildStep));
        for (int i = 0; i < steps.Count; i++)
        {
            frozen[i] = steps[i];
        }

        return frozen;
    }
}

/// <summary>argv, envp and the PATH candidates of the program, marshalled before fork (no candidates: the libc searches).</summary>
internal unsafe struct ExecSpec
{
    public byte** Candidates;
    public byte** Argv;
    public byte** Envp;
}

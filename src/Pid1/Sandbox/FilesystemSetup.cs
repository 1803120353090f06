using System.Collections.Generic;
using Pid1.Cli;
using Pid1.Init;
using Pid1.Native;

namespace Pid1.Sandbox;

/// <summary>
/// The bridge between the filesystem plan and the child: builds the <see cref="MountPlan"/> from the options
/// and marshals each operation into a <see cref="ChildStep"/> whose description names the step and object.
/// </summary>
internal static unsafe class FilesystemSetup
{
    public static void AddSteps(ChildPlan plan, Options options, IReadOnlyList<AttachedImage> images)
    {
        IReadOnlyList<FsOperation> operations = MountPlan.Build(options, HostFacts.Real(images));
        if (operations.Count == 0)
        {
            return;
        }

        var context = (FsContext*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)sizeof(FsContext));
        context->RootFd = -1;
        foreach (FsOperation operation in operations)
        {
            plan.Add(new ChildStep { Kind = StepKind.Filesystem, Data = Marshal(operation, context) }, operation.Description);
        }
    }

    private static FsStep* Marshal(FsOperation operation, FsContext* context)
    {
        string[] names = operation.Target.Split('/', System.StringSplitOptions.RemoveEmptyEntries);
        var step = (FsStep*)System.Runtime.InteropServices.NativeMemory.AllocZeroed((nuint)sizeof(FsStep));
        step->Kind = operation.Kind;
        step->Context = context;
        step->Depth = names.Length;
        step->Names = CStrings.Array(names);
        var prefixes = new string[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            prefixes[i] = string.Join('/', names, 0, i + 1);
        }

        step->Prefixes = CStrings.Array(prefixes);
        step->Path = CStrings.From(operation.Target);
        step->Source = operation.Source.Length > 0 ? CStrings.From(operation.Source) : null;
        step->Types = operation.Types.Count > 0 ? CStrings.Array(operation.Types) : null;
        step->Data = operation.Data.Length > 0 ? CStrings.From(operation.Data) : null;
        step->Flags = operation.Flags;
        step->CreateFile = operation.CreateFile;
        return step;
    }
}

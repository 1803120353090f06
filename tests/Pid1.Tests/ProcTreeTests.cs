using System;
using System.Collections.Generic;
using System.Linq;
using Pid1.Init;
using Xunit;

namespace Pid1.Tests;

/// <summary>The descendants a subreaper pid1 signals at shutdown, found in a synthetic (pid, parent) table.</summary>
public class ProcTreeTests
{
    private const int Root = 100;

    [Fact]
    public void FindDescendants_DeepChainListedChildFirst_FindsAllParentsFirst()
    {
        // 20 000 generations, each child listed before its parent: the old fixed-point scan needed a pass
        // per generation over a table it searched linearly.
        var table = Enumerable.Range(1, 20_000).Select(i => (Pid: Root + i, Parent: Root + i - 1)).Reverse().ToList();
        int[] found = Find(table);
        Assert.Equal(Enumerable.Range(Root + 1, 20_000), found);
    }

    [Fact]
    public void FindDescendants_WideTree_FindsChildrenAndGrandchildren()
    {
        var table = new List<(int Pid, int Parent)>();
        for (int i = 0; i < 5000; i++)
        {
            table.Add((10_000 + i, Root));
            table.Add((20_000 + i, 10_000 + i));
        }

        int[] found = Find(table);
        Assert.Equal(10_000, found.Length);
        AssertParentsFirst(table, found);
    }

    [Fact]
    public void FindDescendants_UnrelatedProcessesAndTheRootsAncestors_AreLeftAlone()
    {
        var table = new List<(int Pid, int Parent)>
        {
            (1, 0), (50, 1), (Root, 50), (7, 1), (8, 7), (101, Root), (102, 101), (9, 50), (103, 101),
        };
        Assert.Equal([101, 102, 103], Find(table).Order());
    }

    [Fact]
    public void FindDescendants_CyclesFromPidReuse_EndAndNeverIncludeTheRoot()
    {
        // The root's recorded parent died and its pid went to the root's child; elsewhere two entries point
        // at each other. Each entry is taken at most once, and the root never signals itself.
        var table = new List<(int Pid, int Parent)> { (Root, 200), (200, Root), (201, 200), (300, 301), (301, 300) };
        Assert.Equal([200, 201], Find(table));
    }

    [Fact]
    public void FindDescendants_EmptyOrNoChildren_FindsNone()
    {
        Assert.Empty(Find([]));
        Assert.Empty(Find([(1, 0), (Root, 1)]));
    }

    [Fact]
    public void FindDescendants_AllocatesNothing()
    {
        // It runs in the cloned supervisor, where an allocation may wait forever on a lock (DESIGN hazard 13).
        int[] pids = Enumerable.Range(Root + 1, 1000).Reverse().ToArray();
        int[] parents = pids.Select(p => p - 1).ToArray();
        int[] found = new int[pids.Length];
        ProcTree.FindDescendants((int[])pids.Clone(), (int[])parents.Clone(), found, Root);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int count = ProcTree.FindDescendants(pids, parents, found, Root);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1000, count);
    }

    private static int[] Find(List<(int Pid, int Parent)> table)
    {
        int[] pids = table.Select(e => e.Pid).ToArray();
        int[] parents = table.Select(e => e.Parent).ToArray();
        int[] found = new int[table.Count];
        int count = ProcTree.FindDescendants(pids, parents, found, Root);
        return found[..count];
    }

    private static void AssertParentsFirst(List<(int Pid, int Parent)> table, int[] found)
    {
        var parentOf = table.ToDictionary(e => e.Pid, e => e.Parent);
        var seen = new HashSet<int> { Root };
        foreach (int pid in found)
        {
            Assert.Contains(parentOf[pid], seen);
            Assert.True(seen.Add(pid), $"{pid} found twice");
        }
    }
}

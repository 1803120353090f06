using System;
using System.Collections.Generic;
using Pid1.Native;

namespace Pid1.Sandbox.Cgroups;

/// <summary>
/// The v2 devices controller is a BPF_PROG_TYPE_CGROUP_DEVICE program: the kernel runs it on every open or
/// mknod of a device node and denies access (EPERM) when it returns 0. pid1 writes the instructions as data,
/// like crun and runc. Semantics, the same as v1 devices.allow/deny written in order:
/// - access is allowed unless a rule says otherwise (pid1 adds no default deny list);
/// - the LAST rule that matches decides, so `--device-deny a --device-allow /dev/null` allows only /dev/null;
/// - a deny rule matches a request sharing any access letter with it (deny "w" also stops open O_RDWR);
///   an allow rule matches only a request all of whose letters it grants.
/// </summary>
internal static class DeviceProgram
{
    // Opcodes of the eBPF instruction set (linux/bpf_common.h, linux/bpf.h).
    private const byte LoadWord = 0x61;      // BPF_LDX | BPF_MEM | BPF_W: dst = *(u32 *)(src + off)
    private const byte And32Imm = 0x54;      // BPF_ALU | BPF_AND | BPF_K
    private const byte Rsh32Imm = 0x74;      // BPF_ALU | BPF_RSH | BPF_K
    private const byte Mov32Reg = 0xbc;      // BPF_ALU | BPF_MOV | BPF_X
    private const byte Mov32Imm = 0xb4;      // BPF_ALU | BPF_MOV | BPF_K
    private const byte JumpIfEqual = 0x15;   // BPF_JMP | BPF_JEQ | BPF_K
    private const byte JumpIfNotEqual = 0x55; // BPF_JMP | BPF_JNE | BPF_K
    private const byte Exit = 0x95;          // BPF_JMP | BPF_EXIT

    // Registers while the rules run: r2 type, r3 access, r4 major, r5 minor; r1 (the context) is scratch.
    private const byte Context = 1;
    private const byte Type = 2;
    private const byte Access = 3;
    private const byte Major = 4;
    private const byte Minor = 5;

    /// <summary>One eBPF instruction: opcode, registers (dst low nibble, src high), offset, immediate.</summary>
    /// <remarks>A struct, not a record struct: nothing compares instructions by value, and the generated Equals and GetHashCode
    /// stay in the binary (the boxed type's are virtual) with a comparer per member type.</remarks>
    public readonly struct Instruction(byte Code, byte Dst, byte Src, short Offset, int Immediate)
    {
        public byte Code { get; } = Code;

        public byte Dst { get; } = Dst;

        public byte Src { get; } = Src;

        public short Offset { get; } = Offset;

        public int Immediate { get; } = Immediate;

        public void WriteTo(Span<byte> eight)
        {
            eight[0] = Code;
            eight[1] = (byte)(Dst | (Src << 4));
            BitConverter.TryWriteBytes(eight.Slice(2, 2), Offset);
            BitConverter.TryWriteBytes(eight.Slice(4, 4), Immediate);
        }
    }

    public static IReadOnlyList<Instruction> Compile(IReadOnlyList<DeviceRule> rules)
    {
        var program = new List<Instruction>
        {
            // struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major; u32 minor; }
            new(LoadWord, Type, Context, 0, 0),
            new(And32Imm, Type, 0, 0, 0xffff),
            new(LoadWord, Access, Context, 0, 0),
            new(Rsh32Imm, Access, 0, 0, 16),
            new(LoadWord, Major, Context, 4, 0),
            new(LoadWord, Minor, Context, 8, 0),
        };
        for (int r = rules.Count - 1; r >= 0; r--)
        {
            DeviceRule rule = rules[r];
            List<Instruction> block = RuleBlock(rule);
            program.AddRange(block);
            if (block.Count == 2)
            {
                // The rule matches every request ("a *:* rwm"): what follows could never run, and the
                // verifier rejects unreachable instructions (EINVAL).
                return program;
            }
        }

        program.Add(new(Mov32Imm, 0, 0, 0, 1));
        program.Add(new(Exit, 0, 0, 0, 0));
        return program;
    }

    public static byte[] ToBytes(IReadOnlyList<Instruction> program)
    {
        byte[] bytes = new byte[program.Count * 8];
        for (int i = 0; i < program.Count; i++)
        {
            program[i].WriteTo(bytes.AsSpan(i * 8, 8));
        }

        return bytes;
    }

    /// <summary>Tests that jump past the block on a mismatch, then return the rule's verdict.</summary>
    private static List<Instruction> RuleBlock(DeviceRule rule)
    {
        // The jumps' offsets are filled in below.
        var tests = new List<Test>();
        if (rule.Type != 'a')
        {
            tests.Add(new([], JumpIfNotEqual, Type, rule.Type == 'c' ? Libc.BPF_DEVCG_DEV_CHAR : Libc.BPF_DEVCG_DEV_BLOCK));
        }

        int bits = AccessBits(rule.Access);
        if (bits != 7)
        {
            // deny: skip when the request shares no letter with the rule; allow: skip when it asks for more.
            int mask = rule.Allow ? ~bits & 7 : bits;
            tests.Add(new([new(Mov32Reg, Context, Access, 0, 0), new(And32Imm, Context, 0, 0, mask)], rule.Allow ? JumpIfNotEqual : JumpIfEqual, Context, 0));
        }

        if (rule.Major != DeviceRule.Any)
        {
            tests.Add(new([], JumpIfNotEqual, Major, (int)rule.Major));
        }

        if (rule.Minor != DeviceRule.Any)
        {
            tests.Add(new([], JumpIfNotEqual, Minor, (int)rule.Minor));
        }

        int length = 2;
        foreach (Test test in tests)
        {
            length += test.Prefix.Length + 1;
        }

        var block = new List<Instruction>();
        foreach (Test test in tests)
        {
            block.AddRange(test.Prefix);
            block.Add(new(test.Jump, test.Register, 0, (short)(length - block.Count - 1), test.Value));
        }

        block.Add(new(Mov32Imm, 0, 0, 0, rule.Allow ? 1 : 0));
        block.Add(new(Exit, 0, 0, 0, 0));
        return block;
    }

    private static int AccessBits(string access) =>
        (access.Contains('m') ? Libc.BPF_DEVCG_ACC_MKNOD : 0)
        | (access.Contains('r') ? Libc.BPF_DEVCG_ACC_READ : 0)
        | (access.Contains('w') ? Libc.BPF_DEVCG_ACC_WRITE : 0);

    /// <summary>
    /// One test of a rule block: instructions before the jump, the jump opcode, the register and the value.
    /// A class, not a tuple: a list of tuples puts the boxed tuple type, with its Equals, GetHashCode,
    /// CompareTo and ToString, into the binary for this one list.
    /// </summary>
    private sealed class Test(Instruction[] prefix, byte jump, byte register, int value)
    {
        public Instruction[] Prefix { get; } = prefix;

        public byte Jump { get; } = jump;

        public byte Register { get; } = register;

        public int Value { get; } = value;
    }
}

using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pid1.Native;

internal static unsafe class Utf8
{
    /// <summary>
    /// The address of a u8 literal that ends in "\0". u8 literals live in the binary's read-only data, so
    /// the pointer stays valid and needs no pinning.
    /// </summary>
    public static byte* AsPointer(this ReadOnlySpan<byte> literal) =>
        (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(literal));
}

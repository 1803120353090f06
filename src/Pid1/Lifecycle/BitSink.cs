using System;
using Pid1.Native;

namespace Pid1.Lifecycle;

/// <summary>Deflate's bit order (least significant bit first) into a buffer that goes to the file in 64 KB writes.</summary>
internal sealed class BitSink(FdFile target)
{
    private readonly byte[] buffer = new byte[1 << 16];
    private int used;
    private ulong bits;
    private int count;

    /// <summary>The low <paramref name="n"/> (at most 32) bits of <paramref name="value"/>.</summary>
    public void PutBits(uint value, int n)
    {
        bits |= (value & ((1UL << n) - 1)) << count;
        count += n;
        while (count >= 8)
        {
            PutByte((byte)bits);
            bits >>= 8;
            count -= 8;
        }
    }

    public void PutUInt32(uint value) => PutBits(value, 32);

    /// <summary>Pads the last partial byte with zero bits.</summary>
    public void AlignToByte()
    {
        if (count > 0)
        {
            PutBits(0, 8 - count);
        }
    }

    /// <summary>Bytes as they are; the output must be byte-aligned.</summary>
    public void PutBytes(ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            int n = Math.Min(bytes.Length, buffer.Length - used);
            bytes.Slice(0, n).CopyTo(buffer.AsSpan(used));
            used += n;
            bytes = bytes.Slice(n);
            if (used == buffer.Length)
            {
                Flush();
            }
        }
    }

    public void Flush()
    {
        target.Write(buffer.AsSpan(0, used));
        used = 0;
    }

    private void PutByte(byte b)
    {
        buffer[used++] = b;
        if (used == buffer.Length)
        {
            Flush();
        }
    }
}

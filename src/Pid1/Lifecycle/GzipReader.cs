using System;
using Pid1.Native;

namespace Pid1.Lifecycle;

/// <summary>
/// Reads a gzip file (RFC 1952, one member or several in a row, as gunzip does) and inflates it (RFC 1951).
/// Corrupt or truncated input is a <see cref="SetupException"/> naming the file; CRC-32 and length are checked
/// at the end of every member.
/// </summary>
internal sealed class GzipReader(FdFile source)
{
    private const int MemberHeader = 0, BlockHeader = 1, StoredBlock = 2, CodedBlock = 3, Done = 4;
    private const int FlagHeaderCrc = 2, FlagExtra = 4, FlagName = 8, FlagComment = 16, FlagsReserved = 0xE0;

    private readonly byte[] input = new byte[1 << 16];
    private int inputPosition;
    private int inputEnd;
    private ulong bits;
    private int bitCount;

    // Output: the last 32 KB (what a distance can reach back to) and what was inflated since, not yet read.
    private readonly byte[] window = new byte[4 * Deflate.WindowSize];
    private int produced;
    private int consumed;
    private int checkedUpTo;

    private readonly ushort[] literals = new ushort[1 << Deflate.MaxBits];
    private readonly ushort[] distances = new ushort[1 << Deflate.MaxBits];
    private int literalBits;
    private int distanceBits;

    private int state = MemberHeader;
    private bool lastBlock;
    private int storedLeft;
    private bool anyMember;
    private uint crc;
    private long memberLength;

    /// <summary>Up to <paramref name="destination"/>.Length inflated bytes; 0 at the end of the file.</summary>
    public int Read(Span<byte> destination)
    {
        while (consumed == produced)
        {
            if (state == Done)
            {
                return 0;
            }

            Inflate();
        }

        int n = Math.Min(destination.Length, produced - consumed);
        window.AsSpan(consumed, n).CopyTo(destination);
        consumed += n;
        return n;
    }

    /// <summary>Inflates until the window is nearly full or the file ends.</summary>
    private void Inflate()
    {
        if (produced > window.Length - Deflate.WindowSize)
        {
            int shift = produced - Deflate.WindowSize;
            Buffer.BlockCopy(window, shift, window, 0, Deflate.WindowSize);
            produced -= shift;
            consumed -= shift;
            checkedUpTo -= shift;
        }

        while (state != Done && produced < window.Length - Deflate.MaxMatch)
        {
            switch (state)
            {
                case MemberHeader:
                    StartMember();
                    break;
                case BlockHeader:
                    StartBlock();
                    break;
                case StoredBlock:
                    CopyStored();
                    break;
                default:
                    DecodeSymbols();
                    break;
            }
        }

        Checksum();
    }

    private void StartMember()
    {
        if (anyMember && AtEnd())
        {
            state = Done;
            return;
        }

        if (AlignedByte() != 0x1F || AlignedByte() != 0x8B || AlignedByte() != 8)
        {
            throw Corrupt("not a gzip file");
        }

        int flags = AlignedByte();
        if ((flags & FlagsReserved) != 0)
        {
            throw Corrupt("not a gzip file");
        }

        Skip(6); // time, extra flags, system
        if ((flags & FlagExtra) != 0)
        {
            Skip(AlignedByte() | (AlignedByte() << 8));
        }

        SkipString(flags & FlagName);
        SkipString(flags & FlagComment);
        Skip((flags & FlagHeaderCrc) != 0 ? 2 : 0);
        anyMember = true;
        crc = 0;
        memberLength = 0;
        state = BlockHeader;
    }

    private void StartBlock()
    {
        lastBlock = Bits(1) == 1;
        switch (Bits(2))
        {
            case 0:
                DropToByte();
                int length = AlignedByte() | (AlignedByte() << 8);
                int complement = AlignedByte() | (AlignedByte() << 8);
                storedLeft = length == (~complement & 0xFFFF) ? length : throw Corrupt("corrupt deflate data (stored length)");
                state = StoredBlock;
                break;
            case 1:
                FixedCodes();
                state = CodedBlock;
                break;
            case 2:
                DynamicCodes();
                state = CodedBlock;
                break;
            default:
                throw Corrupt("corrupt deflate data (block type 3)");
        }
    }

    private void CopyStored()
    {
        int n = Math.Min(storedLeft, window.Length - produced);
        for (int i = 0; i < n; i++)
        {
            window[produced++] = (byte)AlignedByte();
        }

        memberLength += n;
        storedLeft -= n;
        if (storedLeft == 0)
        {
            EndBlock();
        }
    }

    private void DecodeSymbols()
    {
        while (produced < window.Length - Deflate.MaxMatch)
        {
            int symbol = Decode(literals, literalBits);
            if (symbol < Deflate.EndOfBlock)
            {
                window[produced++] = (byte)symbol;
                memberLength++;
                continue;
            }

            if (symbol == Deflate.EndOfBlock)
            {
                EndBlock();
                return;
            }

            int code = symbol - 257;
            if (code >= Deflate.LengthCodes)
            {
                throw Corrupt("corrupt deflate data (length code)");
            }

            int length = Deflate.LengthBase[code] + Bits(Deflate.LengthExtra[code]);
            int distanceCode = Decode(distances, distanceBits);
            if (distanceCode >= Deflate.DistanceCodes)
            {
                throw Corrupt("corrupt deflate data (distance code)");
            }

            int distance = Deflate.DistanceBase[distanceCode] + Bits(Deflate.DistanceExtra[distanceCode]);
            if (distance > memberLength)
            {
                throw Corrupt("corrupt deflate data (distance beyond the start)");
            }

            for (int from = produced - distance, to = produced + length; produced < to;)
            {
                window[produced++] = window[from++];
            }

            memberLength += length;
        }
    }

    /// <summary>After the last block: the member's CRC-32 and length (mod 2^32) must match what was inflated.</summary>
    private void EndBlock()
    {
        if (!lastBlock)
        {
            state = BlockHeader;
            return;
        }

        DropToByte();
        Checksum();
        uint expectedCrc = AlignedUInt32();
        uint expectedLength = AlignedUInt32();
        if (expectedCrc != crc)
        {
            throw Corrupt("CRC mismatch");
        }

        if (expectedLength != (uint)memberLength)
        {
            throw Corrupt("length mismatch");
        }

        state = MemberHeader;
    }

    private void Checksum()
    {
        crc = Deflate.Crc32(crc, window.AsSpan(checkedUpTo, produced - checkedUpTo));
        checkedUpTo = produced;
    }

    private void FixedCodes()
    {
        Span<byte> lengths = stackalloc byte[288 + Deflate.DistanceCodes];
        for (int s = 0; s < 288; s++)
        {
            lengths[s] = (byte)(s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8);
        }

        lengths.Slice(288).Fill(5);
        literalBits = Table(lengths.Slice(0, 288), literals);
        distanceBits = Table(lengths.Slice(288), distances);
    }

    /// <summary>A dynamic block's header: the code-length code, then both codes' lengths, run-length coded.</summary>
    private void DynamicCodes()
    {
        int literalCount = Bits(5) + 257;
        int distanceCount = Bits(5) + 1;
        int codeLengthCount = Bits(4) + 4;
        if (literalCount > 286 || distanceCount > Deflate.DistanceCodes)
        {
            throw Corrupt("corrupt deflate data (code counts)");
        }

        Span<byte> codeLengthLengths = stackalloc byte[19];
        for (int i = 0; i < codeLengthCount; i++)
        {
            codeLengthLengths[Deflate.CodeLengthOrder[i]] = (byte)Bits(3);
        }

        int codeLengthBits = Table(codeLengthLengths, distances);
        Span<byte> lengths = stackalloc byte[literalCount + distanceCount];
        for (int i = 0; i < lengths.Length;)
        {
            int symbol = Decode(distances, codeLengthBits);
            (int value, int repeat) = symbol switch
            {
                < 16 => (symbol, 1),
                16 => (i > 0 ? lengths[i - 1] : throw Corrupt("corrupt deflate data (repeat with no length)"), 3 + Bits(2)),
                17 => (0, 3 + Bits(3)),
                _ => (0, 11 + Bits(7)),
            };
            if (i + repeat > lengths.Length)
            {
                throw Corrupt("corrupt deflate data (code lengths overrun)");
            }

            lengths.Slice(i, repeat).Fill((byte)value);
            i += repeat;
        }

        if (lengths[Deflate.EndOfBlock] == 0)
        {
            throw Corrupt("corrupt deflate data (no end-of-block code)");
        }

        literalBits = Table(lengths.Slice(0, literalCount), literals);
        distanceBits = Table(lengths.Slice(literalCount), distances);
    }

    /// <summary>
    /// A lookup table indexed by the next bits of input (as many as the longest code): each entry holds the symbol
    /// and its code's length, or 0 where no code starts. An over-subscribed code is corrupt data.
    /// </summary>
    private int Table(ReadOnlySpan<byte> lengths, ushort[] table)
    {
        Span<int> perLength = stackalloc int[Deflate.MaxBits + 1];
        int longest = 1;
        foreach (byte length in lengths)
        {
            perLength[length]++;
            longest = Math.Max(longest, length);
        }

        int left = 1;
        for (int bits = 1; bits <= Deflate.MaxBits; bits++)
        {
            left = (left << 1) - perLength[bits];
            if (left < 0)
            {
                throw Corrupt("corrupt deflate data (over-subscribed code)");
            }
        }

        ushort[] codes = new ushort[lengths.Length];
        Deflate.Codes(lengths, codes);
        int size = 1 << longest;
        table.AsSpan(0, size).Clear();
        for (int s = 0; s < lengths.Length; s++)
        {
            int length = lengths[s];
            for (int i = codes[s]; length != 0 && i < size; i += 1 << length)
            {
                table[i] = (ushort)((s << 4) | length);
            }
        }

        return longest;
    }

    private int Decode(ushort[] table, int tableBits)
    {
        Need(tableBits);
        int entry = table[(int)bits & ((1 << tableBits) - 1)];
        if (entry == 0)
        {
            throw Corrupt("corrupt deflate data (no such code)");
        }

        Bits(entry & 15);
        return entry >> 4;
    }

    private int Bits(int n)
    {
        Need(n);
        int value = (int)bits & ((1 << n) - 1);
        bits >>= n;
        bitCount -= n;
        return value;
    }

    private void Need(int n)
    {
        while (bitCount < n)
        {
            bits |= (ulong)InputByte() << bitCount;
            bitCount += 8;
        }
    }

    private void DropToByte() => Bits(bitCount & 7);

    /// <summary>The next whole byte: from the bits already read ahead, then from the file.</summary>
    private int AlignedByte() => bitCount >= 8 ? Bits(8) : InputByte();

    private uint AlignedUInt32() =>
        (uint)AlignedByte() | ((uint)AlignedByte() << 8) | ((uint)AlignedByte() << 16) | ((uint)AlignedByte() << 24);

    private void Skip(int n)
    {
        for (int i = 0; i < n; i++)
        {
            AlignedByte();
        }
    }

    private void SkipString(int present)
    {
        while (present != 0 && AlignedByte() != 0)
        {
        }
    }

    /// <summary>True when nothing follows the last member: no bits read ahead and no byte left in the file.</summary>
    private bool AtEnd() => bitCount == 0 && inputPosition == inputEnd && !Refill();

    private int InputByte()
    {
        if (inputPosition == inputEnd && !Refill())
        {
            throw Corrupt(anyMember ? "truncated" : "not a gzip file");
        }

        return input[inputPosition++];
    }

    private bool Refill()
    {
        inputEnd = source.Read(input, 0, input.Length);
        inputPosition = 0;
        return inputEnd > 0;
    }

    private SetupException Corrupt(string what) => new($"read {source.Name}: {what}");
}

using System;
using Pid1.Native;

namespace Pid1.Lifecycle;

/// <summary>
/// gzip (RFC 1952) of everything given to <see cref="Write"/>, into <paramref name="target"/>; <see cref="Finish"/>
/// ends it. Matching is lazy, as gzip -6 does: a match shorter than <see cref="LazyLength"/> is held back one byte
/// in case the next position starts a longer one. Each block goes out as the cheapest of stored, fixed and
/// dynamic Huffman, so incompressible data grows by 5 bytes per block (16 KB of it) and the 18 of gzip.
/// </summary>
internal sealed class GzipWriter(FdFile target)
{
    private const int Window = Deflate.WindowSize;
    private const int Lookahead = Deflate.MaxMatch + Deflate.MinMatch;
    private const int HashBits = 15;
    private const int MaxChain = 128;
    private const int LazyLength = 32;
    private const int BlockSymbols = 1 << 14;
    private const int LiteralCodes = 256 + 1 + Deflate.LengthCodes;

    // Input: the 32 KB window behind the current position and what is ahead of it. Positions are indexes into
    // buffer; when it is full, everything but the last window moves out, and the hash chains move with it.
    private readonly byte[] buffer = new byte[8 * Window];
    private readonly int[] head = NewChain(1 << HashBits);
    private readonly int[] previous = NewChain(Window);
    private int end;
    private int position;
    private int blockStart;

    // The block being built: a literal is (length 0, the byte), a match (length, distance).
    private readonly ushort[] symbolLength = new ushort[BlockSymbols];
    private readonly ushort[] symbolValue = new ushort[BlockSymbols];
    private readonly int[] literalFrequency = new int[LiteralCodes];
    private readonly int[] distanceFrequency = new int[Deflate.DistanceCodes];
    private int symbols;

    private readonly BitSink output = new(target);
    private uint crc;
    private uint size;
    private bool started;

    public void Write(ReadOnlySpan<byte> data)
    {
        StartOnce();
        crc = Deflate.Crc32(crc, data);
        size += (uint)data.Length;
        while (data.Length > 0)
        {
            if (end == buffer.Length)
            {
                Slide();
            }

            int n = Math.Min(data.Length, buffer.Length - end);
            data.Slice(0, n).CopyTo(buffer.AsSpan(end));
            end += n;
            data = data.Slice(n);
            Compress(end - Lookahead);
        }
    }

    /// <summary>The rest of the data as the final block, then CRC-32 and length: the file is complete.</summary>
    public void Finish()
    {
        StartOnce();
        Compress(end);
        EmitBlock(final: true);
        output.AlignToByte();
        output.PutUInt32(crc);
        output.PutUInt32(size);
        output.Flush();
    }

    private static int[] NewChain(int length)
    {
        int[] chain = new int[length];
        Array.Fill(chain, -1);
        return chain;
    }

    /// <summary>The 10-byte member header: deflate, no name, no time, Unix.</summary>
    private void StartOnce()
    {
        if (!started)
        {
            started = true;
            output.PutUInt32(0x00088B1F);
            output.PutUInt32(0);
            output.PutBits(0x0300, 16);
        }
    }

    /// <summary>
    /// Keeps the window behind the current position and what follows, at the front. The shift is whole windows,
    /// so a position keeps its slot in <see cref="previous"/>. The current block goes out first: a stored block
    /// needs its bytes.
    /// </summary>
    private void Slide()
    {
        EmitBlock(final: false);
        int shift = (position - Window) & ~(Window - 1);
        Buffer.BlockCopy(buffer, shift, buffer, 0, end - shift);
        end -= shift;
        position -= shift;
        blockStart = position;
        ShiftDown(head, shift);
        ShiftDown(previous, shift);
    }

    private static void ShiftDown(int[] chain, int shift)
    {
        for (int i = 0; i < chain.Length; i++)
        {
            chain[i] = chain[i] >= shift ? chain[i] - shift : -1;
        }
    }

    /// <summary>Turns the input up to <paramref name="limit"/> into literals and matches.</summary>
    private void Compress(int limit)
    {
        int heldLength = 0, heldDistance = 0;
        while (position < limit)
        {
            // One symbol per pass, so a full block ends exactly at the current position.
            if (symbols == BlockSymbols)
            {
                EmitBlock(final: false);
            }

            int length = heldLength, distance = heldDistance;
            if (length == 0)
            {
                (length, distance) = LongestMatch(position);
            }

            Insert(position);
            heldLength = 0;
            if (length >= Deflate.MinMatch && length < LazyLength && position + 1 < end)
            {
                (int nextLength, int nextDistance) = LongestMatch(position + 1);
                if (nextLength > length)
                {
                    AddLiteral(buffer[position++]);
                    (heldLength, heldDistance) = (nextLength, nextDistance);
                    continue;
                }
            }

            if (length >= Deflate.MinMatch)
            {
                AddMatch(length, distance);
                for (int i = 1; i < length; i++)
                {
                    Insert(position + i);
                }

                position += length;
            }
            else
            {
                AddLiteral(buffer[position++]);
            }
        }
    }

    private int Hash(int at) => ((buffer[at] << 10) ^ (buffer[at + 1] << 5) ^ buffer[at + 2]) & ((1 << HashBits) - 1);

    private void Insert(int at)
    {
        if (at + Deflate.MinMatch <= end)
        {
            int h = Hash(at);
            previous[at & (Window - 1)] = head[h];
            head[h] = at;
        }
    }

    /// <summary>The longest earlier match for the bytes at <paramref name="at"/> within the window, following at most <see cref="MaxChain"/> candidates.</summary>
    private (int Length, int Distance) LongestMatch(int at)
    {
        int longest = Math.Min(Deflate.MaxMatch, end - at);
        if (longest < Deflate.MinMatch)
        {
            return (0, 0);
        }

        int best = Deflate.MinMatch - 1, bestDistance = 0;
        int candidate = head[Hash(at)];
        for (int chain = MaxChain; candidate >= 0 && at - candidate <= Window && chain > 0; chain--)
        {
            if (buffer[candidate + best] == buffer[at + best] && buffer[candidate] == buffer[at])
            {
                int n = 1;
                while (n < longest && buffer[candidate + n] == buffer[at + n])
                {
                    n++;
                }

                if (n > best)
                {
                    best = n;
                    bestDistance = at - candidate;
                    if (n == longest)
                    {
                        break;
                    }
                }
            }

            int next = previous[candidate & (Window - 1)];
            candidate = next < candidate ? next : -1;
        }

        return best >= Deflate.MinMatch ? (best, bestDistance) : (0, 0);
    }

    private void AddLiteral(byte value)
    {
        symbolLength[symbols] = 0;
        symbolValue[symbols++] = value;
        literalFrequency[value]++;
    }

    private void AddMatch(int length, int distance)
    {
        symbolLength[symbols] = (ushort)length;
        symbolValue[symbols++] = (ushort)distance;
        literalFrequency[257 + Deflate.LengthCode(length)]++;
        distanceFrequency[Deflate.DistanceCode(distance)]++;
    }

    /// <summary>The symbols since the last block, as the cheapest of the three block types.</summary>
    private void EmitBlock(bool final)
    {
        literalFrequency[Deflate.EndOfBlock]++;
        var block = new HuffmanBlock(literalFrequency, distanceFrequency);
        long fixedBits = 3 + HuffmanBlock.Fixed.Cost(literalFrequency, distanceFrequency);
        long dynamicBits = 3 + block.HeaderBits + block.Cost(literalFrequency, distanceFrequency);
        int raw = position - blockStart;
        long storedBits = 3 + 7 + ((long)(raw + (4 * ((raw / 65535) + 1))) * 8);
        int last = final ? 1 : 0;
        if (storedBits <= fixedBits && storedBits <= dynamicBits)
        {
            EmitStored(raw, last);
        }
        else if (fixedBits <= dynamicBits)
        {
            output.PutBits((uint)(last | (1 << 1)), 3);
            EmitSymbols(HuffmanBlock.Fixed);
        }
        else
        {
            output.PutBits((uint)(last | (2 << 1)), 3);
            block.WriteHeader(output);
            EmitSymbols(block);
        }

        symbols = 0;
        blockStart = position;
        Array.Clear(literalFrequency);
        Array.Clear(distanceFrequency);
    }

    /// <summary>Stored blocks of at most 65 535 bytes each; only the last carries the final flag.</summary>
    private void EmitStored(int raw, int last)
    {
        int offset = blockStart;
        do
        {
            int n = Math.Min(raw, 65535);
            raw -= n;
            output.PutBits((uint)(raw == 0 ? last : 0), 3);
            output.AlignToByte();
            output.PutBits((uint)(n | (~n << 16)), 32);
            output.PutBytes(buffer.AsSpan(offset, n));
            offset += n;
        }
        while (raw > 0);
    }

    private void EmitSymbols(HuffmanBlock codes)
    {
        for (int i = 0; i < symbols; i++)
        {
            int length = symbolLength[i];
            if (length == 0)
            {
                codes.PutLiteral(output, symbolValue[i]);
                continue;
            }

            int lengthCode = Deflate.LengthCode(length);
            codes.PutLiteral(output, 257 + lengthCode);
            output.PutBits((uint)(length - Deflate.LengthBase[lengthCode]), Deflate.LengthExtra[lengthCode]);
            int distance = symbolValue[i];
            int distanceCode = Deflate.DistanceCode(distance);
            codes.PutDistance(output, distanceCode);
            output.PutBits((uint)(distance - Deflate.DistanceBase[distanceCode]), Deflate.DistanceExtra[distanceCode]);
        }

        codes.PutLiteral(output, Deflate.EndOfBlock);
    }
}

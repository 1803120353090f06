using System;

namespace Pid1.Lifecycle;

/// <summary>
/// What pid1's gzip writer and reader share (RFC 1951 and 1952): the length and distance code tables, canonical
/// Huffman codes, CRC-32. pid1 carries its own gzip because System.IO.Compression (its managed streams, the
/// zlib-ng it links and the enum formatting its handles pull in) cost about 140 KB of a 1.5 MB budget, for the
/// one command that needs it.
/// </summary>
internal static class Deflate
{
    public const int WindowSize = 1 << 15;
    public const int MinMatch = 3;
    public const int MaxMatch = 258;
    public const int EndOfBlock = 256;
    public const int LengthCodes = 29;
    public const int DistanceCodes = 30;
    public const int MaxBits = 15;

    /// <summary>The order in which a dynamic block lists the code-length code's lengths.</summary>
    public static ReadOnlySpan<byte> CodeLengthOrder => [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

    /// <summary>Length code i (symbol 257 + i): base length and extra bits.</summary>
    public static readonly ushort[] LengthBase = new ushort[LengthCodes];
    public static readonly byte[] LengthExtra = new byte[LengthCodes];

    /// <summary>Distance code i: base distance and extra bits.</summary>
    public static readonly ushort[] DistanceBase = new ushort[DistanceCodes];
    public static readonly byte[] DistanceExtra = new byte[DistanceCodes];

    private static readonly uint[] CrcTable = new uint[256];

    static Deflate()
    {
        // Lengths: eight codes without extra bits, then four codes for each extra bit count 1..5, then 258 alone.
        int length = MinMatch;
        for (int i = 0; i < LengthCodes - 1; i++)
        {
            LengthExtra[i] = (byte)(i < 8 ? 0 : (i - 4) / 4);
            LengthBase[i] = (ushort)length;
            length += 1 << LengthExtra[i];
        }

        LengthBase[LengthCodes - 1] = MaxMatch;

        // Distances: four codes without extra bits, then two codes for each extra bit count 1..13.
        int distance = 1;
        for (int i = 0; i < DistanceCodes; i++)
        {
            DistanceExtra[i] = (byte)(i < 4 ? 0 : (i - 2) / 2);
            DistanceBase[i] = (ushort)distance;
            distance += 1 << DistanceExtra[i];
        }

        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }

            CrcTable[n] = c;
        }
    }

    /// <summary>The length code (0..28) of a match length 3..258.</summary>
    public static int LengthCode(int length)
    {
        int v = length - MinMatch;
        if (v < 8)
        {
            return v;
        }

        if (v == MaxMatch - MinMatch)
        {
            return LengthCodes - 1;
        }

        int top = 31 - System.Numerics.BitOperations.LeadingZeroCount((uint)v);
        return (4 * (top - 1)) + ((v >> (top - 2)) & 3);
    }

    /// <summary>The distance code (0..29) of a distance 1..32768.</summary>
    public static int DistanceCode(int distance)
    {
        int v = distance - 1;
        if (v < 4)
        {
            return v;
        }

        int top = 31 - System.Numerics.BitOperations.LeadingZeroCount((uint)v);
        return (2 * top) + ((v >> (top - 1)) & 1);
    }

    /// <summary>CRC-32 (IEEE 802.3, as gzip's trailer holds it) of <paramref name="bytes"/> continued from <paramref name="crc"/>.</summary>
    public static uint Crc32(uint crc, ReadOnlySpan<byte> bytes)
    {
        uint c = ~crc;
        foreach (byte b in bytes)
        {
            c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        }

        return ~c;
    }

    /// <summary>
    /// Huffman code lengths of at most <paramref name="limit"/> bits for <paramref name="count"/> symbols with the given
    /// frequencies (0: unused). A tree deeper than the limit is rebuilt from halved frequencies, which flattens it
    /// and costs a little compression only on blocks with very skewed statistics.
    /// </summary>
    public static void CodeLengths(ReadOnlySpan<int> frequencies, int count, int limit, byte[] lengths)
    {
        int[] weights = frequencies.Slice(0, count).ToArray();
        while (!TryCodeLengths(weights, limit, lengths))
        {
            for (int i = 0; i < count; i++)
            {
                weights[i] = (weights[i] + 1) >> 1;
            }
        }
    }

    /// <summary>Two-queue Huffman construction over the used symbols sorted by weight; false if deeper than the limit.</summary>
    private static bool TryCodeLengths(int[] weights, int limit, byte[] lengths)
    {
        const int SymbolBits = 9;
        int n = weights.Length;
        int[] leaves = new int[n];
        int used = 0;
        for (int s = 0; s < n; s++)
        {
            lengths[s] = 0;
            if (weights[s] > 0)
            {
                leaves[used++] = (weights[s] << SymbolBits) | s;
            }
        }

        if (used == 1)
        {
            lengths[leaves[0] & ((1 << SymbolBits) - 1)] = 1;
            return true;
        }

        Array.Sort(leaves, 0, used);
        int nodes = (2 * used) - 1;
        int[] weight = new int[nodes];
        int[] parent = new int[nodes];
        for (int i = 0; i < used; i++)
        {
            weight[i] = leaves[i] >> SymbolBits;
        }

        // Leaves are taken in weight order, and internal nodes are made in weight order too: the two smallest
        // are always at the front of one queue or the other.
        int leaf = 0, inner = used;
        for (int next = used; next < nodes; next++)
        {
            int a = Smallest(weight, ref leaf, used, ref inner, next);
            int b = Smallest(weight, ref leaf, used, ref inner, next);
            weight[next] = weight[a] + weight[b];
            parent[a] = next;
            parent[b] = next;
        }

        // A parent is made after its children, so depths fill in from the root (the last node) down.
        int[] depth = weight;
        depth[nodes - 1] = 0;
        for (int i = nodes - 2; i >= 0; i--)
        {
            depth[i] = depth[parent[i]] + 1;
        }

        for (int i = 0; i < used; i++)
        {
            if (depth[i] > limit)
            {
                return false;
            }

            lengths[leaves[i] & ((1 << SymbolBits) - 1)] = (byte)depth[i];
        }

        return true;
    }

    private static int Smallest(int[] weight, ref int leaf, int leaves, ref int inner, int made) =>
        leaf < leaves && (inner >= made || weight[leaf] <= weight[inner]) ? leaf++ : inner++;

    /// <summary>
    /// Canonical codes (RFC 1951 3.2.2) for <paramref name="lengths"/>, bit-reversed because deflate sends a Huffman
    /// code from its most significant bit while every other field goes least significant bit first.
    /// </summary>
    public static void Codes(ReadOnlySpan<byte> lengths, ushort[] codes)
    {
        Span<int> perLength = stackalloc int[MaxBits + 1];
        Span<int> start = stackalloc int[MaxBits + 1];
        foreach (byte length in lengths)
        {
            perLength[length]++;
        }

        perLength[0] = 0;
        int code = 0;
        for (int bits = 1; bits <= MaxBits; bits++)
        {
            code = (code + perLength[bits - 1]) << 1;
            start[bits] = code;
        }

        for (int s = 0; s < lengths.Length; s++)
        {
            int length = lengths[s];
            if (length != 0)
            {
                codes[s] = Reverse(start[length]++, length);
            }
        }
    }

    public static ushort Reverse(int code, int bits)
    {
        int reversed = 0;
        for (int i = 0; i < bits; i++)
        {
            reversed = (reversed << 1) | (code & 1);
            code >>= 1;
        }

        return (ushort)reversed;
    }
}

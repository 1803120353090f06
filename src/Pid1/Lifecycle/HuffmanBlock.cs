using System;

namespace Pid1.Lifecycle;

/// <summary>
/// The two codes of one compressed block (literal/length and distance) made from its symbol frequencies, the
/// size of the dynamic block header that describes them, and the writing of symbols with them.
/// </summary>
internal sealed class HuffmanBlock
{
    private const int LiteralSlots = 288;
    private const int CodeLengthCodes = 19;

    /// <summary>The fixed code of RFC 1951 3.2.6: literal lengths 8, 9, 7, 8 by range, distances 5 bits.</summary>
    public static readonly HuffmanBlock Fixed = new();

    private readonly byte[] literalLengths = new byte[LiteralSlots];
    private readonly byte[] distanceLengths = new byte[Deflate.DistanceCodes];
    private readonly ushort[] literalCodes = new ushort[LiteralSlots];
    private readonly ushort[] distanceCodes = new ushort[Deflate.DistanceCodes];

    // The dynamic header: the code lengths of both codes, run-length coded with symbols 16, 17 and 18.
    private readonly byte[] runSymbols = new byte[LiteralSlots + Deflate.DistanceCodes];
    private readonly byte[] runExtra = new byte[LiteralSlots + Deflate.DistanceCodes];
    private readonly byte[] codeLengthLengths = new byte[CodeLengthCodes];
    private readonly ushort[] codeLengthCodes = new ushort[CodeLengthCodes];
    private int runs;
    private int literalCount;
    private int distanceCount;
    private int codeLengthCount;

    public HuffmanBlock(int[] literalFrequency, int[] distanceFrequency)
    {
        Lengths(literalFrequency, literalLengths, Deflate.MaxBits);
        Lengths(distanceFrequency, distanceLengths, Deflate.MaxBits);
        literalCount = Math.Max(257, UsedCount(literalLengths));
        distanceCount = Math.Max(1, UsedCount(distanceLengths));
        Deflate.Codes(literalLengths, literalCodes);
        Deflate.Codes(distanceLengths, distanceCodes);
        DescribeLengths();
    }

    private HuffmanBlock()
    {
        for (int s = 0; s < LiteralSlots; s++)
        {
            literalLengths[s] = (byte)(s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8);
        }

        distanceLengths.AsSpan().Fill(5);
        Deflate.Codes(literalLengths, literalCodes);
        Deflate.Codes(distanceLengths, distanceCodes);
    }

    /// <summary>Bits of the dynamic header: counts, the code-length code, and the run-length coded lengths.</summary>
    public long HeaderBits
    {
        get
        {
            long bits = 5 + 5 + 4 + (3 * codeLengthCount);
            for (int i = 0; i < runs; i++)
            {
                bits += codeLengthLengths[runSymbols[i]] + ExtraBits(runSymbols[i]);
            }

            return bits;
        }
    }

    /// <summary>Bits the symbols with these frequencies take in this code, extra bits included.</summary>
    public long Cost(int[] literalFrequency, int[] distanceFrequency)
    {
        long bits = 0;
        for (int s = 0; s < literalFrequency.Length; s++)
        {
            bits += (long)literalFrequency[s] * (literalLengths[s] + (s > 256 ? Deflate.LengthExtra[s - 257] : 0));
        }

        for (int d = 0; d < distanceFrequency.Length; d++)
        {
            bits += (long)distanceFrequency[d] * (distanceLengths[d] + Deflate.DistanceExtra[d]);
        }

        return bits;
    }

    public void WriteHeader(BitSink output)
    {
        output.PutBits((uint)(literalCount - 257), 5);
        output.PutBits((uint)(distanceCount - 1), 5);
        output.PutBits((uint)(codeLengthCount - 4), 4);
        for (int i = 0; i < codeLengthCount; i++)
        {
            output.PutBits(codeLengthLengths[Deflate.CodeLengthOrder[i]], 3);
        }

        for (int i = 0; i < runs; i++)
        {
            int symbol = runSymbols[i];
            output.PutBits(codeLengthCodes[symbol], codeLengthLengths[symbol]);
            output.PutBits(runExtra[i], ExtraBits(symbol));
        }
    }

    public void PutLiteral(BitSink output, int symbol) => output.PutBits(literalCodes[symbol], literalLengths[symbol]);

    public void PutDistance(BitSink output, int code) => output.PutBits(distanceCodes[code], distanceLengths[code]);

    private static int ExtraBits(int symbol) => symbol switch
    {
        16 => 2,
        17 => 3,
        18 => 7,
        _ => 0,
    };

    /// <summary>
    /// Code lengths for the frequencies. A code needs two symbols at least (a lone code would be one bit with no
    /// partner, which some inflaters refuse), so unused symbols 0 and 1 stand in when fewer are used; they cost
    /// nothing, as they are never sent.
    /// </summary>
    private static void Lengths(int[] frequency, byte[] lengths, int limit)
    {
        int[] weights = (int[])frequency.Clone();
        for (int s = 0, used = UsedCount(weights); used < 2; s++)
        {
            if (weights[s] == 0)
            {
                weights[s] = 1;
                used++;
            }
        }

        Deflate.CodeLengths(weights, weights.Length, limit, lengths);
    }

    private static int UsedCount(int[] weights)
    {
        int used = 0;
        foreach (int w in weights)
        {
            used += w > 0 ? 1 : 0;
        }

        return used;
    }

    /// <summary>One past the last symbol with a code.</summary>
    private static int UsedCount(byte[] lengths)
    {
        int n = lengths.Length;
        while (n > 0 && lengths[n - 1] == 0)
        {
            n--;
        }

        return n;
    }

    /// <summary>Run-length codes the two length lists as one sequence (runs may cross from one to the other), then codes that.</summary>
    private void DescribeLengths()
    {
        byte[] sequence = new byte[literalCount + distanceCount];
        literalLengths.AsSpan(0, literalCount).CopyTo(sequence);
        distanceLengths.AsSpan(0, distanceCount).CopyTo(sequence.AsSpan(literalCount));
        int[] frequency = new int[CodeLengthCodes];
        for (int i = 0; i < sequence.Length;)
        {
            int value = sequence[i];
            int run = 1;
            while (i + run < sequence.Length && sequence[i + run] == value)
            {
                run++;
            }

            if (value == 0 && run >= 3)
            {
                int n = Math.Min(run, 138);
                AddRun(frequency, n >= 11 ? 18 : 17, n - (n >= 11 ? 11 : 3));
                i += n;
            }
            else if (run >= 3 && i > 0 && sequence[i - 1] == value)
            {
                int n = Math.Min(run, 6);
                AddRun(frequency, 16, n - 3);
                i += n;
            }
            else
            {
                AddRun(frequency, value, 0);
                i++;
            }
        }

        Lengths(frequency, codeLengthLengths, 7);
        Deflate.Codes(codeLengthLengths, codeLengthCodes);
        codeLengthCount = CodeLengthCodes;
        while (codeLengthCount > 4 && codeLengthLengths[Deflate.CodeLengthOrder[codeLengthCount - 1]] == 0)
        {
            codeLengthCount--;
        }
    }

    private void AddRun(int[] frequency, int symbol, int extra)
    {
        frequency[symbol]++;
        runSymbols[runs] = (byte)symbol;
        runExtra[runs++] = (byte)extra;
    }
}

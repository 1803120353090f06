using System;
using System.Collections.Generic;
using System.Globalization;
using Pid1.Cli;
using Pid1.Native;

namespace Pid1.Sandbox.Cgroups;

/// <summary>
/// docker's units and the v1 → v2 conversions crun uses. Every parser names the option and the value it
/// rejects, so a bad limit is one line and exit 125, before anything is created.
/// </summary>
internal static class CgroupUnits
{
    /// <summary>The CFS period docker uses for --cpus, in microseconds.</summary>
    public const long DefaultCpuPeriod = 100_000;

    /// <summary>"32m", "1.5g", "512k", "1mb", "1024" (bytes): binary multiples, as docker's RAMInBytes.</summary>
    public static long ParseSize(string option, string value)
    {
        string text = value.Trim().ToLowerInvariant();
        int end = text.Length;
        if (end > 0 && text[end - 1] == 'b')
        {
            end--;
        }

        if (end > 0 && text[end - 1] == 'i')
        {
            end--;
        }

        int shift = end > 0 ? "kmgtp".IndexOf(text[end - 1]) : -1;
        string number = shift >= 0 ? text.Substring(0, end - 1) : text.Substring(0, end);
        if (number.Length == 0 || !char.IsAsciiDigit(number[0]) || !DecimalText.TryParse(number, out DecimalText amount) || BeyondDecimal(amount.Whole))
        {
            throw Bad(option, value, "is not a size (a number with an optional k, m, g, t or p suffix)");
        }

        int bits = 10 * (shift + 1);
        if (!long.TryParse(amount.Whole.Length == 0 ? "0" : amount.Whole, NumberStyles.None, CultureInfo.InvariantCulture, out long whole)
            || whole > long.MaxValue >> bits)
        {
            throw Bad(option, value, "is too large");
        }

        return (whole << bits) + FractionTimesPowerOfTwo(amount.Fraction, bits);
    }

    /// <summary>Whole digits beyond decimal.MaxValue, which the decimal parser this replaces rejected as no number.</summary>
    private static bool BeyondDecimal(string whole) =>
        whole.Length > 29 || (whole.Length == 29 && string.CompareOrdinal(whole, "79228162514264337593543950335") > 0);

    /// <summary>
    /// floor(0.FRACTION × 2^bits) by binary long division, from the first 18 digits (the rest weigh less than
    /// 1/1000 of a byte at 2^50).
    /// </summary>
    private static long FractionTimesPowerOfTwo(string fraction, int bits)
    {
        long numerator = 0;
        long denominator = 1;
        for (int i = 0; i < fraction.Length && i < 18; i++)
        {
            numerator = (numerator * 10) + (fraction[i] - '0');
            denominator *= 10;
        }

        long quotient = 0;
        for (int i = 0; i < bits; i++)
        {
            numerator <<= 1;
            quotient <<= 1;
            if (numerator >= denominator)
            {
                numerator -= denominator;
                quotient |= 1;
            }
        }

        return quotient;
    }

    /// <summary>An integer in [min, max].</summary>
    public static long ParseInteger(string option, string value, long min, long max) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) && n >= min && n <= max
            ? n
            : throw Bad(option, value, $"is not a number from {min} to {max}");

    /// <summary>
    /// --cpus: a decimal number of CPUs, at least 0.01 (1 ms a period) and at most the online CPUs, as the
    /// quota docker gives it: N × 100 ms per 100 ms period, rounded half to even to the microsecond.
    /// </summary>
    public static long ParseCpusQuota(string option, string value, int onlineCpus) =>
        DecimalText.TryParse(value, out DecimalText cpus) && cpus.TryFloor(5, out long quota, out DecimalText.Rest rest)
        && quota >= DefaultCpuPeriod / 100
        && (quota < onlineCpus * DefaultCpuPeriod || (quota == onlineCpus * DefaultCpuPeriod && rest == DecimalText.Rest.Zero))
            ? DecimalText.Round(quota, rest)
            : throw Bad(option, value, $"is not a number of CPUs from 0.01 to {onlineCpus}");

    /// <summary>cpu.shares (2–262144) to cpu.weight (1–10000), crun's formula.</summary>
    public static long SharesToWeight(long shares) => 1 + ((shares - 2) * 9999 / 262142);

    /// <summary>blkio.weight (10–1000) to io.weight (1–10000), crun's formula.</summary>
    public static long BlkioWeightToIoWeight(long weight) => 1 + ((weight - 10) * 9999 / 990);

    /// <summary>
    /// A cpuset list ("0-2,4"): every number must be in <paramref name="available"/> (the online CPUs or
    /// memory nodes). Returns the list normalised, as the kernel prints it back.
    /// </summary>
    public static string ParseCpuList(string option, string value, IReadOnlySet<int> available)
    {
        var members = new HashSet<int>();
        foreach (string part in value.Split(','))
        {
            string[] range = part.Split('-');
            if (range.Length > 2 || !TryParseIndex(range[0], out int first) || !TryParseIndex(range[^1], out int last) || last < first)
            {
                throw Bad(option, value, "is not a list such as 0-2,4");
            }

            for (int i = first; i <= last; i++)
            {
                members.Add(available.Contains(i) ? i : throw Bad(option, value, $"names {i}, which is not online (online: {FormatList(available)})"));
            }
        }

        return FormatList(members);
    }

    /// <summary>The kernel's list syntax: "0-3,5".</summary>
    public static string FormatList(IEnumerable<int> values)
    {
        var parts = new List<string>();
        var sorted = new List<int>(values);
        sorted.Sort();
        for (int i = 0; i < sorted.Count; i++)
        {
            int start = sorted[i];
            while (i + 1 < sorted.Count && sorted[i + 1] == sorted[i] + 1)
            {
                i++;
            }

            parts.Add(start == sorted[i] ? $"{start}" : $"{start}-{sorted[i]}");
        }

        return string.Join(',', parts);
    }

    /// <summary>Parses the kernel's list syntax ("0-3,5", or empty) into its members.</summary>
    public static IReadOnlySet<int> ReadList(string text)
    {
        var members = new HashSet<int>();
        foreach (string part in text.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] range = part.Split('-');
            if (TryParseIndex(range[0], out int first) && TryParseIndex(range[^1], out int last))
            {
                for (int i = first; i <= last; i++)
                {
                    members.Add(i);
                }
            }
        }

        return members;
    }

    public static UsageException Bad(string option, string value, string why) => new($"option '--{option}': '{value}' {why}");

    private static bool TryParseIndex(string text, out int index) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out index) && index < 4096;
}

namespace Pid1.Cli;

/// <summary>
/// A decimal number as the options write it ("1.5", "0.25", "3."): digits with at most one '.', at least one
/// digit, no sign, no exponent (what NumberStyles.AllowDecimalPoint accepts), read exactly instead of with
/// decimal or double: their parsers and rounding bring Number.BigInteger, DecCalc and, through a boxed
/// MidpointRounding, the runtime's reflective enum formatting into the binary.
/// </summary>
internal readonly struct DecimalText
{
    /// <summary>Where the digits after <see cref="Floor"/> put the value: on it, below half a unit past it, half, above half.</summary>
    public enum Rest
    {
        Zero,
        BelowHalf,
        Half,
        AboveHalf,
    }

    private DecimalText(string whole, string fraction)
    {
        Whole = whole;
        Fraction = fraction;
    }

    /// <summary>The integer digits without leading zeros ("" for 0).</summary>
    public string Whole { get; }

    /// <summary>The digits after the '.' without trailing zeros.</summary>
    public string Fraction { get; }

    public static bool TryParse(string text, out DecimalText value)
    {
        value = default;
        int dot = text.IndexOf('.');
        int end = dot < 0 ? text.Length : dot;
        if (text.Length == 0 || text == "." || !AllDigits(text, 0, end) || (dot >= 0 && !AllDigits(text, dot + 1, text.Length)))
        {
            return false;
        }

        value = new DecimalText(text.Substring(0, end).TrimStart('0'), dot < 0 ? string.Empty : text.Substring(dot + 1).TrimEnd('0'));
        return true;
    }

    /// <summary>The value in whole units of 10^-<paramref name="scale"/>, rounded down; false when it is 10^18 units or more.</summary>
    public bool TryFloor(int scale, out long units, out Rest rest)
    {
        units = 0;
        rest = Rest.Zero;
        if (Whole.Length + scale > 18)
        {
            return false;
        }

        for (int i = 0; i < Whole.Length + scale; i++)
        {
            int f = i - Whole.Length;
            int digit = i < Whole.Length ? Whole[i] - '0' : f < Fraction.Length ? Fraction[f] - '0' : 0;
            units = (units * 10) + digit;
        }

        rest = scale >= Fraction.Length ? Rest.Zero
            : Fraction[scale] < '5' ? Rest.BelowHalf
            : Fraction[scale] > '5' || Fraction.Length > scale + 1 ? Rest.AboveHalf
            : Rest.Half;
        return true;
    }

    /// <summary>Floor units and rest rounded half to even, as Math.Round.</summary>
    public static long Round(long units, Rest rest) =>
        rest == Rest.AboveHalf || (rest == Rest.Half && units % 2 == 1) ? units + 1 : units;

    private static bool AllDigits(string text, int start, int end)
    {
        for (int i = start; i < end; i++)
        {
            if (text[i] is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }
}

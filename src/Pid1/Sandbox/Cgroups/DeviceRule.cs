using System;
using System.Globalization;
using Pid1.Native;

namespace Pid1.Sandbox.Cgroups;

/// <summary>A device node as stat(2) reports it: 'c' or 'b' and its numbers.</summary>
/// <remarks>A struct, not a record struct: nothing compares device numbers by value, and the generated Equals and GetHashCode
/// stay in the binary (the boxed type's are virtual) with a comparer per member type.</remarks>
internal readonly struct DeviceNumber(char Type, long Major, long Minor)
{
    public char Type { get; } = Type;

    public long Major { get; } = Major;

    public long Minor { get; } = Minor;
}

/// <summary>
/// One --device-deny/--device-allow rule in the v1 devices controller's terms: type a, b or c; major and
/// minor (−1 for *); access letters from "rwm". It is written as is to devices.deny/devices.allow on v1
/// and compiled into the BPF device program on v2 (<see cref="DeviceProgram"/>).
/// </summary>
/// <remarks>A class, not a record (nor are the classes after it): nothing compares them by value, and a record's Equals and GetHashCode would stay in the binary (object's are virtual).</remarks>
internal sealed class DeviceRule(bool Allow, char Type, long Major, long Minor, string Access)
{
    public bool Allow { get; } = Allow;

    public char Type { get; } = Type;

    public long Major { get; } = Major;

    public long Minor { get; } = Minor;

    public string Access { get; } = Access;

    public const long Any = -1;

    /// <summary>The line devices.allow/devices.deny takes: "c 1:3 rwm", "a *:* rwm".</summary>
    public string ToV1() => $"{Type} {Number(Major)}:{Number(Minor)} {Access}";

    /// <summary>
    /// "/dev/null", "/dev/null:rw" (a node looked up now), or the v1 syntax "c 1:3 rwm", "b 7:* r", "a".
    /// </summary>
    public static DeviceRule Parse(string option, string value, Func<string, DeviceNumber?> lookup)
    {
        bool allow = option == "device-allow";
        if (value.StartsWith('/'))
        {
            int colon = value.LastIndexOf(':');
            string path = colon < 0 ? value : value.Substring(0, colon);
            string access = colon < 0 ? "rwm" : ParseAccess(option, value, value.Substring(colon + 1));
            DeviceNumber node = lookup(path) ?? throw CgroupUnits.Bad(option, value, "is not a device node");
            return new DeviceRule(allow, node.Type, node.Major, node.Minor, access);
        }

        string[] words = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 1 && words[0] == "a")
        {
            return new DeviceRule(allow, 'a', Any, Any, "rwm");
        }

        if (words.Length is < 2 or > 3 || words[0] is not ("a" or "b" or "c"))
        {
            throw CgroupUnits.Bad(option, value, "is not /dev/NODE[:rwm] or 'TYPE MAJOR:MINOR [rwm]'");
        }

        string[] numbers = words[1].Split(':');
        if (numbers.Length != 2 || !TryNumber(numbers[0], out long major) || !TryNumber(numbers[1], out long minor))
        {
            throw CgroupUnits.Bad(option, value, "does not have MAJOR:MINOR numbers (or *)");
        }

        return new DeviceRule(allow, words[0][0], major, minor, words.Length == 3 ? ParseAccess(option, value, words[2]) : "rwm");
    }

    private static string ParseAccess(string option, string value, string access)
    {
        // Each of r, w, m at most once and nothing else; normalized to rwm order.
        int seen = 0;
        foreach (char c in access)
        {
            int index = "rwm".IndexOf(c);
            if (index < 0 || (seen & (1 << index)) != 0)
            {
                throw CgroupUnits.Bad(option, value, "has access other than r, w and m");
            }

            seen |= 1 << index;
        }

        if (seen == 0)
        {
            throw CgroupUnits.Bad(option, value, "has access other than r, w and m");
        }

        var normalized = new System.Text.StringBuilder(3);
        for (int i = 0; i < 3; i++)
        {
            if ((seen & (1 << i)) != 0)
            {
                normalized.Append("rwm"[i]);
            }
        }

        return normalized.ToString();
    }

    private static bool TryNumber(string text, out long number)
    {
        if (text == "*")
        {
            number = Any;
            return true;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out number) && number <= uint.MaxValue;
    }

    private static string Number(long n) => n == Any ? "*" : n.ToString(CultureInfo.InvariantCulture);
}

/// <summary>--device-read-bps and friends: a block device and a rate (bytes or operations per second).</summary>
internal sealed class DeviceThrottle(string Option, long Major, long Minor, long Rate)
{
    public string Option { get; } = Option;

    public long Major { get; } = Major;

    public long Minor { get; } = Minor;

    public long Rate { get; } = Rate;

    /// <summary>The v1 file: blkio.throttle.read_bps_device and so on.</summary>
    public string V1File => Option switch
    {
        "device-read-bps" => "blkio.throttle.read_bps_device",
        "device-write-bps" => "blkio.throttle.write_bps_device",
        "device-read-iops" => "blkio.throttle.read_iops_device",
        _ => "blkio.throttle.write_iops_device",
    };

    /// <summary>The io.max key: rbps, wbps, riops, wiops.</summary>
    public string V2Key => Option switch
    {
        "device-read-bps" => "rbps",
        "device-write-bps" => "wbps",
        "device-read-iops" => "riops",
        _ => "wiops",
    };

    /// <summary>"/dev/loop0:1mb" (bps: a size) or "/dev/loop0:100" (iops: a count).</summary>
    public static DeviceThrottle Parse(string option, string value, Func<string, DeviceNumber?> lookup)
    {
        int colon = value.LastIndexOf(':');
        if (colon <= 0)
        {
            throw CgroupUnits.Bad(option, value, "is not DEVICE:RATE");
        }

        long perSecond;
        try
        {
            string rate = value.Substring(colon + 1);
            perSecond = option.EndsWith("bps", StringComparison.Ordinal)
                ? CgroupUnits.ParseSize(option, rate)
                : CgroupUnits.ParseInteger(option, rate, 0, long.MaxValue);
        }
        catch (UsageException)
        {
            throw CgroupUnits.Bad(option, value, "does not end in a rate (bytes a second: 1mb; operations: 100)");
        }

        DeviceNumber node = lookup(value.Substring(0, colon)) is { Type: 'b' } found
            ? found
            : throw CgroupUnits.Bad(option, value, "does not name a block device");
        return new DeviceThrottle(option, node.Major, node.Minor, perSecond);
    }
}

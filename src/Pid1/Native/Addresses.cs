namespace Pid1.Native;

/// <summary>IP address text through libc's inet_pton: System.Net would add half a megabyte to the binary.</summary>
internal static unsafe class Addresses
{
    public static bool IsValid(string address) => TryParse(address, out _, out _);

    /// <summary>Parses IPv4 or IPv6 text into 16 bytes (IPv4 uses the first 4); the family is AF_INET or AF_INET6.</summary>
    public static bool TryParse(string address, out int family, out Address16 bytes)
    {
        bytes = default;
        byte* text = CStrings.From(address);
        fixed (byte* b = bytes.Bytes)
        {
            family = address.Contains(':') ? Libc.AF_INET6 : Libc.AF_INET;
            bool ok = Libc.inet_pton(family, text, b) == 1;
            System.Runtime.InteropServices.NativeMemory.Free(text);
            return ok;
        }
    }

    public struct Address16
    {
        public fixed byte Bytes[16];
    }
}

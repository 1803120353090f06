using System;
using System.Collections.Generic;
using Pid1.Native;

namespace Pid1.Sandbox;

/// <summary>
/// Which filesystem an image holds, from its superblock magic, so the child mounts it with one type. When no
/// magic matches, the child tries every block filesystem the kernel has (/proc/filesystems lines without
/// "nodev"), and the error it reports is the kernel's.
/// </summary>
internal static class ImageProbe
{
    /// <summary>Enough of the image to see every magic below (btrfs's is the farthest, at 64 KiB).</summary>
    public const int HeadLength = 0x10048;

    private static readonly Signature[] Magics =
    [
        new("ext4", 1080, [0x53, 0xEF]),
        new("squashfs", 0, "hsqs"u8.ToArray()),
        new("xfs", 0, "XFSB"u8.ToArray()),
        new("erofs", 1024, [0xE2, 0xE1, 0xF5, 0xE0]),
        new("btrfs", 0x10040, "_BHRfS_M"u8.ToArray()),
        new("iso9660", 0x8001, "CD001"u8.ToArray()),
    ];

    /// <summary>The type whose magic is in <paramref name="head"/>, or null. ext2 and ext3 mount as ext4.</summary>
    public static string? Detect(ReadOnlySpan<byte> head)
    {
        foreach (Signature signature in Magics)
        {
            byte[] magic = signature.Magic;
            if (head.Length >= signature.Offset + magic.Length && head.Slice(signature.Offset, magic.Length).SequenceEqual(magic))
            {
                return signature.Type;
            }
        }

        return IsFat(head) ? "vfat" : null;
    }

    /// <summary>Block filesystems in /proc/filesystems order; fuseblk needs a daemon, so it is left out.</summary>
    public static IReadOnlyList<string> BlockFilesystems(string procFilesystems)
    {
        var types = new List<string>();
        foreach (string line in procFilesystems.Split('\n'))
        {
            string type = line.Trim();
            if (line.Length > 0 && !line.StartsWith("nodev", StringComparison.Ordinal) && type.Length > 0 && type != "fuseblk")
            {
                types.Add(type);
            }
        }

        return types.ToArray();
    }

    public static IReadOnlyList<string> KernelBlockFilesystems() => BlockFilesystems(Files.ReadText("/proc/filesystems"));

    /// <summary>A boot sector signature and "FAT" where FAT12/16 or FAT32 put their type string.</summary>
    private static bool IsFat(ReadOnlySpan<byte> head) =>
        head.Length >= 512 && head[510] == 0x55 && head[511] == 0xAA
        && (head.Slice(54, 3).SequenceEqual("FAT"u8) || head.Slice(82, 3).SequenceEqual("FAT"u8));

    /// <summary>A filesystem type and the magic bytes at an offset in its image. A class, not a tuple: an array of tuples puts the boxed tuple type, with its Equals,
    /// GetHashCode, CompareTo and ToString, into the binary for this one table.</summary>
    private sealed class Signature(string type, int offset, byte[] magic)
    {
        public string Type { get; } = type;

        public int Offset { get; } = offset;

        public byte[] Magic { get; } = magic;
    }
}

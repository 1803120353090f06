using System;
using System.Collections.Generic;
using System.IO;
using Pid1.Native;
using Pid1.Sandbox;

namespace Pid1.Lifecycle;

/// <summary>
/// `pid1 checkpoint NAME OUT.gz [--image DEST] [--zero-free]`: the seed's "compress the loop image" without
/// stopping the sandbox. Freeze its cgroup (no write can tear the copy), optionally fill the image's free
/// space with zeros through the sandbox's own mount (old data compresses badly), sync, gzip the image to
/// OUT.gz (via a temporary file renamed at the end), thaw, then read the archive back and compare its
/// length and checksum with what was read from the image. Restore: gunzip, then --mount-image.
/// </summary>
internal static unsafe class CheckpointCommand
{
    private const string Synopsis = "checkpoint NAME OUT.gz [--image DEST] [--zero-free]";
    private const int Chunk = 1 << 20;

    public static int Run(ReadOnlySpan<string> args)
    {
        (string name, string output, string? destination, bool zeroFree) = Parse(args);
        if (Commands.Find("checkpoint", name) is not SandboxState state)
        {
            return Commands.NotRunning;
        }

        (string image, string dest) = ChooseImage(state, destination);
        string? mountPoint = zeroFree ? MountedImage(state, image, dest) : null;
        (long length, ulong sum) = CopyFrozen(state, image, output, mountPoint);
        (long unpacked, ulong unpackedSum) = Measure(output);
        if (unpacked != length || unpackedSum != sum)
        {
            Files.Delete(output);
            throw new SetupException($"checkpoint {output}: the archive does not read back as the image ({unpacked} of {length} bytes)");
        }

        Output.Stdout($"{name}: {image} ({length} bytes) -> {output} ({Files.Size(output)} bytes), verified\n");
        return 0;
    }

    private static (string Name, string Output, string? Destination, bool ZeroFree) Parse(ReadOnlySpan<string> args)
    {
        if (args.Length < 2 || args[0].StartsWith('-') || args[1].StartsWith('-'))
        {
            throw Commands.Usage(Synopsis);
        }

        string? destination = null;
        bool zeroFree = false;
        for (int i = 2; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--zero-free":
                    zeroFree = true;
                    break;
                case "--image" when i + 1 < args.Length:
                    destination = args[++i];
                    break;
                default:
                    throw Commands.Usage(Synopsis);
            }
        }

        return (args[0], Files.FullPath(args[1]), destination, zeroFree);
    }

    private static (string Image, string Destination) ChooseImage(SandboxState state, string? destination)
    {
        var images = new List<(string Image, string Destination)>();
        foreach (var i in state.Images)
        {
            if (destination is null || i.Destination == destination)
            {
                images.Add(i);
            }
        }

        return images.Count switch
        {
            1 => images[0],
            0 when destination is null => throw new SetupException($"checkpoint: {state.Name} has no --mount-image to checkpoint"),
            0 => throw new SetupException($"checkpoint: {state.Name} has no image mounted on {destination}"),
            _ => throw new UsageException($"checkpoint: {state.Name} has {images.Count} images: choose one with --image DEST"),
        };
    }

    /// <summary>
    /// The image's mount as the sandbox sees it (/proc/CHILD/root/DEST), only if /proc/CHILD/mountinfo shows
    /// DEST mounted from a loop device backed by exactly this image: zero-filling anything else would fill
    /// a disk that is not the image.
    /// </summary>
    private static string MountedImage(SandboxState state, string image, string destination)
    {
        string mountinfo = $"/proc/{state.Child}/mountinfo";
        foreach (string line in Files.Lines(Files.ReadText(mountinfo)))
        {
            string[] fields = line.Split(' ');
            int separator = Array.IndexOf(fields, "-");
            if (separator > 4 && fields[4] == destination && separator + 2 < fields.Length
                && fields[separator + 2].StartsWith("/dev/loop", StringComparison.Ordinal)
                && BackingFile(fields[separator + 2]) == image)
            {
                return $"/proc/{state.Child}/root{destination}";
            }
        }

        throw new SetupException($"checkpoint --zero-free: {image} is not mounted on {destination} in {state.Name}");
    }

    private static string? BackingFile(string device) =>
        Files.ReadTextIfPresent($"/sys/block/{Path.GetFileName(device)}/loop/backing_file")?.Trim();

    /// <summary>Freeze → [zero free space] → sync → gzip → thaw (always).</summary>
    private static (long Length, ulong Sum) CopyFrozen(SandboxState state, string image, string output, string? mountPoint)
    {
        Freezer.Freeze(state);
        try
        {
            if (mountPoint is not null)
            {
                ZeroFree(mountPoint);
            }

            Libc.sync();
            return Compress(image, output);
        }
        finally
        {
            Freezer.Thaw(state);
        }
    }

    /// <summary>Writes zeros until the filesystem is full, syncs them, removes the file.</summary>
    private static void ZeroFree(string mountPoint)
    {
        string filler = Path.Combine(mountPoint, ".pid1-zero-free");
        int fd = Check.Ok(Files.Open(filler, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL, 0x1B6), $"open {filler}");
        try
        {
            byte[] zeros = new byte[Chunk];
            nint n;
            fixed (byte* p = zeros)
            {
                while ((n = Libc.write(fd, p, Chunk)) > 0 || n == -Libc.EINTR)
                {
                }
            }

            // ENOSPC: the free space is now zeros.
            if (n != -Libc.ENOSPC)
            {
                Check.Ok((long)n, $"write {filler}");
            }

            Check.Ok(Libc.fsync(fd), $"fsync {filler}");
        }
        finally
        {
            Libc.close(fd);
            Files.Delete(filler);
        }
    }

    /// <summary>
    /// gzip to OUT.gz.tmp, fsync, rename to OUT.gz. A failure (ENOSPC while writing, say) is reported as thrown,
    /// with its step, file and errno, and takes the temporary file with it: nothing half-written is left.
    /// </summary>
    private static (long Length, ulong Sum) Compress(string image, string output)
    {
        string temporary = output + ".tmp";
        using FdFile source = FdFile.Open(image, Libc.O_RDONLY);
        using FdFile target = FdFile.Open(temporary, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_TRUNC);
        try
        {
            var gzip = new GzipWriter(target);
            byte[] buffer = new byte[Chunk];
            var summary = new Summary();
            int n;
            while ((n = source.Read(buffer, 0, buffer.Length)) > 0)
            {
                gzip.Write(buffer.AsSpan(0, n));
                summary.Add(buffer.AsSpan(0, n));
            }

            gzip.Finish();
            target.FlushToDisk();
            Check.Ok(Files.Move(temporary, output), $"rename {temporary} to {output}");
            return (summary.Length, summary.Sum);
        }
        catch
        {
            // Created (or truncated) by the open above, so it is this checkpoint's to remove.
            Files.Delete(temporary);
            throw;
        }
    }

    private static (long Length, ulong Sum) Measure(string archive)
    {
        using FdFile file = FdFile.Open(archive, Libc.O_RDONLY);
        var gzip = new GzipReader(file);
        byte[] buffer = new byte[Chunk];
        var summary = new Summary();
        int n;
        while ((n = gzip.Read(buffer)) > 0)
        {
            summary.Add(buffer.AsSpan(0, n));
        }

        return (summary.Length, summary.Sum);
    }

    /// <summary>The length and an FNV-1a checksum of what passed through.</summary>
    private struct Summary()
    {
        public long Length;
        public ulong Sum = 14695981039346656037UL;

        public void Add(ReadOnlySpan<byte> bytes)
        {
            foreach (byte b in bytes)
            {
                Sum = (Sum ^ b) * 1099511628211UL;
            }

            Length += bytes.Length;
        }
    }
}

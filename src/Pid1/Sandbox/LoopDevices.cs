using System;
using System.Collections.Generic;
using Pid1.Cli;
using Pid1.Native;

namespace Pid1.Sandbox;

/// <summary>
/// The loop devices of --mount-image, attached by pid1 (the parent) before clone; the child only mounts
/// /dev/loopN. Each is attached with LO_FLAGS_AUTOCLEAR and its descriptor stays open in pid1 until pid1
/// exits: the kernel frees the device when that last descriptor closes and the mount is gone (with the
/// sandbox's mount namespace), so nothing is left attached, whatever way pid1 ends.
/// </summary>
internal sealed unsafe class LoopDevices
{
    /// <summary>The descriptors of the attached devices (the device names are in <see cref="Images"/>).</summary>
    private readonly List<int> attached = [];

    public IReadOnlyList<AttachedImage> Images { get; private set; } = [];

    /// <summary>Attaches every image of the options; on a failure detaches those already attached.</summary>
    public static LoopDevices Attach(Options options)
    {
        var devices = new LoopDevices();
        var images = new List<AttachedImage>();
        try
        {
            foreach (MountRequest mount in options.Mounts)
            {
                if (mount.Kind == MountKind.Image)
                {
                    images.Add(devices.AttachOne(mount));
                }
            }
        }
        catch
        {
            devices.Detach();
            throw;
        }

        devices.Images = images;
        return devices;
    }

    /// <summary>
    /// The failure path: LOOP_CLR_FD now (autoclear alone would wait for the last close), then close. A child
    /// that mounted the device has exited by the time this runs, so the clear is immediate.
    /// </summary>
    public void Detach()
    {
        foreach (int fd in attached)
        {
            Libc.ioctl(fd, Libc.LOOP_CLR_FD, null);
            Libc.close(fd);
        }

        attached.Clear();
    }

    private AttachedImage AttachOne(MountRequest mount)
    {
        bool readOnly = mount.Options == "ro";
        int image = OpenFile(mount.Source, (readOnly ? Libc.O_RDONLY : Libc.O_RDWR) | Libc.O_CLOEXEC, $"open image {mount.Source}");
        try
        {
            string? detected = Probe(image, mount.Source);
            (int fd, string device) = AttachFree(image, mount.Source, readOnly);
            attached.Add(fd);
            IReadOnlyList<string> types = detected is not null ? [detected] : ImageProbe.KernelBlockFilesystems();
            Log.Info($"image {mount.Source} on {device}: {(detected is not null ? "detected " + detected : "no known superblock, will try " + string.Join(", ", types))}");
            return new AttachedImage(mount, device, types, detected is not null);
        }
        finally
        {
            // The loop device holds its own reference to the file.
            Libc.close(image);
        }
    }

    /// <summary>Reads the head of the image (the descriptor is fresh, at offset 0) and looks for a superblock.</summary>
    private static string? Probe(int image, string path)
    {
        byte[] head = new byte[ImageProbe.HeadLength];
        int total = 0;
        fixed (byte* buffer = head)
        {
            while (total < head.Length)
            {
                nint n = Libc.read(image, buffer + total, (nuint)(head.Length - total));
                if (n == -Libc.EINTR)
                {
                    continue;
                }

                if (n <= 0)
                {
                    Check.Ok((int)n, $"read the superblock of image {path}");
                    break;
                }

                total += (int)n;
            }
        }

        return ImageProbe.Detect(head.AsSpan(0, total));
    }

    /// <summary>
    /// LOOP_CTL_GET_FREE then configure; EBUSY means another process took that device between the two
    /// calls, so ask again.
    /// </summary>
    private static (int Fd, string Device) AttachFree(int image, string path, bool readOnly)
    {
        int control = OpenFile("/dev/loop-control", Libc.O_RDWR | Libc.O_CLOEXEC, "open /dev/loop-control");
        try
        {
            for (int attempt = 0; ; attempt++)
            {
                int number = Check.Ok(Libc.ioctl(control, Libc.LOOP_CTL_GET_FREE, null), "find a free loop device (LOOP_CTL_GET_FREE)");
                string device = $"/dev/loop{number}";
                int fd = OpenFile(device, (readOnly ? Libc.O_RDONLY : Libc.O_RDWR) | Libc.O_CLOEXEC, $"open {device}");
                int result = Configure(fd, image, path, readOnly);
                if (result == 0)
                {
                    return (fd, device);
                }

                Libc.close(fd);
                if (result != -Libc.EBUSY || attempt >= 16)
                {
                    throw new SetupException($"attach image {path} to {device}", -result);
                }
            }
        }
        finally
        {
            Libc.close(control);
        }
    }

    /// <summary>LOOP_CONFIGURE (one call, kernel 5.8+); older kernels: LOOP_SET_FD + LOOP_SET_STATUS64.</summary>
    private static int Configure(int loop, int image, string path, bool readOnly)
    {
        var config = new loop_config { fd = (uint)image };
        config.info.lo_flags = Libc.LO_FLAGS_AUTOCLEAR | (readOnly ? Libc.LO_FLAGS_READ_ONLY : 0);
        CopyName(path, config.info.lo_file_name);
        int result = Libc.ioctl(loop, Libc.LOOP_CONFIGURE, &config);
        if (result != -Libc.ENOTTY && result != -Libc.EINVAL)
        {
            return result;
        }

        result = Libc.ioctl(loop, Libc.LOOP_SET_FD, (void*)image);
        if (result < 0)
        {
            return result;
        }

        // Read-only comes from the O_RDONLY image descriptor here; LOOP_SET_STATUS64 cannot set it.
        config.info.lo_flags = Libc.LO_FLAGS_AUTOCLEAR;
        result = Libc.ioctl(loop, Libc.LOOP_SET_STATUS64, &config.info);
        if (result < 0)
        {
            Libc.ioctl(loop, Libc.LOOP_CLR_FD, null);
        }

        return result;
    }

    private static void CopyName(string path, byte* name)
    {
        int n = 0;
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes(path))
        {
            if (n == 63)
            {
                break;
            }

            name[n++] = b;
        }
    }

    private static int OpenFile(string path, int flags, string what) => Check.Ok(Files.Open(path, flags, 0), what);
}

using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace Pid1.Native;

/// <summary>
/// The few file operations pid1 needs beyond reading small files (<see cref="FdText"/>), over plain syscalls:
/// System.IO's File, Directory and FileStream brought about 200 KB into the binary (SafeFileHandle, stream
/// strategies, StreamReader with its UTF-16/UTF-32 detection, enumerators, formatted enum messages). Results
/// follow the kernel convention (value ≥ 0 or −errno) unless a method says otherwise.
/// </summary>
internal static unsafe class Files
{
    private const int DirectoryType = 4;
    private const int RegularType = 8;

    /// <summary>As File.Exists: something that is not a directory, following symlinks.</summary>
    public static bool IsFile(string path) => Mode(path, out _) is int mode && (mode & Libc.S_IFMT) != Libc.S_IFDIR;

    /// <summary>As Directory.Exists: a directory, following symlinks.</summary>
    public static bool IsDirectory(string path) => Mode(path, out _) is int mode && (mode & Libc.S_IFMT) == Libc.S_IFDIR;

    /// <summary>The size in bytes of what is at the path, following symlinks; −errno when it cannot be seen.</summary>
    public static long Size(string path) => Mode(path, out long size) is null ? -Libc.ENOENT : size;

    /// <summary>The whole text of a small file such as /proc/filesystems; a SetupException naming it otherwise.</summary>
    public static string ReadText(string path) => ReadAndClose(Check.Ok(Open(path, Libc.O_RDONLY, 0), $"open {path}"), path);

    /// <summary>The whole text of a file, or null when it cannot be opened or read (it vanished, say).</summary>
    public static string? ReadTextIfPresent(string path)
    {
        int fd = Open(path, Libc.O_RDONLY, 0);
        if (fd < 0)
        {
            return null;
        }

        try
        {
            return ReadAndClose(fd, path);
        }
        catch (SetupException)
        {
            return null;
        }
    }

    /// <summary>Reads <paramref name="fd"/> to its end and closes it, also when the read fails.</summary>
    public static string ReadAndClose(int fd, string path)
    {
        try
        {
            return FdText.ReadToEnd(fd, path);
        }
        finally
        {
            Libc.close(fd);
        }
    }

    /// <summary>The lines of a file (as File.ReadAllLines: no empty last line), or null when it cannot be read.</summary>
    public static string[]? ReadLinesIfPresent(string path) => ReadTextIfPresent(path) is string text ? Lines(text) : null;

    /// <summary>Text split at '\n', "\r\n" or '\r', without the empty line after a final line break.</summary>
    public static string[] Lines(string text)
    {
        var lines = new List<string>();
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] is '\n' or '\r')
            {
                lines.Add(text.Substring(start, i - start));
                if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                start = i + 1;
            }
        }

        if (start < text.Length)
        {
            lines.Add(text.Substring(start));
        }

        return lines.ToArray();
    }

    /// <summary>Creates or truncates the file (mode 0666 less the umask) and writes all of the text; 0 or −errno.</summary>
    public static int WriteText(string path, string text)
    {
        int fd = Open(path, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_TRUNC, 0x1B6);
        if (fd < 0)
        {
            return fd;
        }

        int result = WriteAll(fd, Encoding.UTF8.GetBytes(text));
        Libc.close(fd);
        return result;
    }

    /// <summary>
    /// Writes every byte: write(2) again after EINTR and after a short write (a pipe, a terminal, a signal
    /// arriving mid-way). 0, or −errno of the failing write; −EIO when write makes no progress.
    /// </summary>
    public static int WriteAll(int fd, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            for (int done = 0; done < bytes.Length;)
            {
                nint n = Libc.write(fd, p + done, (nuint)(bytes.Length - done));
                if (n > 0)
                {
                    done += (int)n;
                }
                else if (n != -Libc.EINTR)
                {
                    return n == 0 ? -Libc.EIO : (int)n;
                }
            }
        }

        return 0;
    }

    /// <summary>
    /// One write(2) of the whole text, as kernel files (cgroup limits, uid maps) require: they take a value only
    /// whole. The bytes written or −errno.
    /// </summary>
    public static nint WriteOnce(int fd, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* b = bytes)
        {
            return Libc.write(fd, b, (nuint)bytes.Length);
        }
    }

    /// <summary>Opens with O_CLOEXEC added; the descriptor or −errno.</summary>
    public static int Open(string path, int flags, uint mode)
    {
        byte* cPath = CStrings.From(path);
        int fd = Libc.open(cPath, flags | Libc.O_CLOEXEC, mode);
        System.Runtime.InteropServices.NativeMemory.Free(cPath);
        return fd;
    }

    /// <summary>rename(2): replaces <paramref name="to"/> in one step.</summary>
    public static int Move(string from, string to)
    {
        byte* cFrom = CStrings.From(from);
        byte* cTo = CStrings.From(to);
        int result = Libc.rename(cFrom, cTo);
        System.Runtime.InteropServices.NativeMemory.Free(cFrom);
        System.Runtime.InteropServices.NativeMemory.Free(cTo);
        return result;
    }

    /// <summary>As File.Delete: a file that is already gone is no error.</summary>
    public static int Delete(string path)
    {
        byte* cPath = CStrings.From(path);
        int result = Libc.unlink(cPath);
        System.Runtime.InteropServices.NativeMemory.Free(cPath);
        return result == -Libc.ENOENT ? 0 : result;
    }

    /// <summary>As Directory.CreateDirectory: the directory and any missing parents (mode 0777 less the umask).</summary>
    public static int CreateDirectories(string path)
    {
        if (IsDirectory(path))
        {
            return 0;
        }

        int slash = path.TrimEnd('/').LastIndexOf('/');
        if (slash > 0)
        {
            int parent = CreateDirectories(path.Substring(0, slash));
            if (parent < 0)
            {
                return parent;
            }
        }

        byte* cPath = CStrings.From(path);
        int result = Libc.mkdir(cPath, 0x1FF);
        System.Runtime.InteropServices.NativeMemory.Free(cPath);
        return result == -Libc.EEXIST && IsDirectory(path) ? 0 : result;
    }

    /// <summary>Where a symlink points, or null when the path is not a readable symlink.</summary>
    public static string? LinkTarget(string path)
    {
        byte* cPath = CStrings.From(path);
        byte* target = stackalloc byte[4096];
        nint n = Libc.readlink(cPath, target, 4096);
        System.Runtime.InteropServices.NativeMemory.Free(cPath);
        return n < 0 ? null : Encoding.UTF8.GetString(target, (int)n);
    }

    /// <summary>
    /// As Path.GetFullPath: relative paths from the working directory, then <see cref="Normalize"/>. Path.GetFullPath
    /// would bring the runtime's getcwd wrapper, a shared byte array pool and its IOException mapping (14 KB).
    /// </summary>
    public static string FullPath(string path)
    {
        if (path.StartsWith('/'))
        {
            return Normalize(path);
        }

        byte* directory = stackalloc byte[4096];
        int n = Check.Ok(Libc.sys_getcwd(directory, 4096), "getcwd");
        return Normalize(Encoding.UTF8.GetString(directory, n - 1) + "/" + path);
    }

    /// <summary>
    /// "/../../etc" → "/etc", "a//b/./c" → "/a/b/c": ".." stops at the root, as RESOLVE_IN_ROOT does, so
    /// the path the user reads in a message is the one the kernel resolves (symlinks aside, which it keeps inside).
    /// </summary>
    public static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
            }
            else if (part != ".")
            {
                parts.Add(part);
            }
        }

        return "/" + string.Join('/', parts);
    }

    /// <summary>
    /// The names in a directory (not "." and ".."), only directories or only the rest, as
    /// Directory.EnumerateDirectories and EnumerateFiles choose (a symlink counts as what it points to).
    /// Empty when the directory cannot be read.
    /// </summary>
    public static List<string> List(string directory, bool directories)
    {
        var names = new List<string>();
        int fd = Open(directory, Libc.O_RDONLY | Libc.O_DIRECTORY, 0);
        if (fd < 0)
        {
            return names;
        }

        byte* entries = stackalloc byte[8192];
        nint n;
        while ((n = Libc.getdents64(fd, entries, 8192)) > 0)
        {
            for (nint offset = 0; offset < n;)
            {
                // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
                byte* entry = entries + offset;
                string name = Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry + 19));
                if (name is not "." and not ".." && IsDirectoryEntry(directory, name, entry[18]) == directories)
                {
                    names.Add(name);
                }

                offset += *(ushort*)(entry + 16);
            }
        }

        Libc.close(fd);
        return names;
    }

    private static bool IsDirectoryEntry(string directory, string name, byte type) => type switch
    {
        DirectoryType => true,
        RegularType => false,
        _ => IsDirectory(directory + "/" + name),
    };

    /// <summary>statx(2) of what is at the path, following symlinks, asking for <paramref name="mask"/>; 0 or −errno.</summary>
    public static int Stat(string path, uint mask, statx* info)
    {
        byte* cPath = CStrings.From(path);
        int result = Libc.statx(Libc.AT_FDCWD, cPath, 0, mask, info);
        System.Runtime.InteropServices.NativeMemory.Free(cPath);
        return result;
    }

    /// <summary>st_mode (and the size) of what is at the path, following symlinks; null when statx fails.</summary>
    private static int? Mode(string path, out long size)
    {
        statx info;
        int result = Stat(path, Libc.STATX_BASIC_STATS, &info);
        size = (long)info.stx_size;
        return result < 0 ? null : info.stx_mode;
    }
}

using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Pid1.Lifecycle;
using Pid1.Native;
using Xunit;

namespace Pid1.Tests;

/// <summary>
/// pid1's own gzip, judged by other implementations: what it writes must unpack with gzip(1) and .NET's
/// GZipStream, and it must read what they write. Corrupt input must fail as a SetupException, never otherwise.
/// </summary>
public sealed class GzipTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("pid1-gzip-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    public static TheoryData<string> Inputs() => ["empty", "one byte", "zeros", "random", "text", "far matches", "mixed"];

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Write_UnpacksWithGzipAndDotNet_ToTheExactInput(string name)
    {
        byte[] data = Input(name);
        string file = Compress(data, piece: 1 << 20);
        Assert.Equal(data, Gunzip(file));
        Assert.Equal(data, DotNetGunzip(File.ReadAllBytes(file)));
        Assert.Equal(data, Read(file));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(65_536)]
    [InlineData(300_001)]
    public void Write_InPiecesOfAnySize_UnpacksAndCompressesAsWell(int piece)
    {
        byte[] data = Input("mixed");
        string file = Compress(data, piece);
        Assert.Equal(data, Gunzip(file));
        Assert.Equal(data, Read(file));
        long whole = new FileInfo(Compress(data, data.Length)).Length;
        Assert.InRange(new FileInfo(file).Length, whole * 0.99, whole * 1.01);
    }

    [Fact]
    public void Write_RandomInputs_RoundTripThroughGzip()
    {
        var random = new Random(1951);
        for (int i = 0; i < 40; i++)
        {
            // Short alphabets and runs make matches of every length and distance; long ones make literals.
            byte[] data = new byte[random.Next(0, 200_000)];
            int alphabet = random.Next(1, 257);
            for (int j = 0; j < data.Length; j++)
            {
                data[j] = random.Next(8) == 0 && j > 300 ? data[j - random.Next(1, 300)] : (byte)random.Next(alphabet);
            }

            string file = Compress(data, random.Next(1, 100_000));
            Assert.Equal(data, Gunzip(file));
            Assert.Equal(data, Read(file));
        }
    }

    [Fact]
    public void Write_Zeros_CompressLikeGzip()
    {
        string file = Compress(new byte[8 << 20], 1 << 20);
        Assert.InRange(new FileInfo(file).Length, 1, 20_000);
    }

    [Fact]
    public void Write_Text_WithinTenPercentOfGzip6()
    {
        byte[] corpus = Input("text");
        long ours = new FileInfo(Compress(corpus, 1 << 20)).Length;
        long theirs = Tool(corpus, "gzip", "-6", "-c").Length;
        Assert.True(ours <= theirs * 1.10, $"{ours} bytes against gzip -6's {theirs}");
    }

    [Fact]
    public void Write_RandomData_GrowsByStoredBlockOverheadOnly()
    {
        byte[] data = Input("random");
        long size = new FileInfo(Compress(data, 1 << 20)).Length;
        Assert.InRange(size, data.Length, data.Length + 18 + (5 * (data.Length / 16_000)));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("-6")]
    [InlineData("-9")]
    public void Read_WhatGzipWrote(string level)
    {
        byte[] data = Input("mixed");
        Assert.Equal(data, Read(Save(Tool(data, "gzip", level, "-c"))));
    }

    [Fact]
    public void Read_HeaderWithNameAndConcatenatedMembers()
    {
        byte[] first = Input("text").AsSpan(0, 5000).ToArray();
        byte[] second = Input("mixed");
        string named = Path.Combine(dir, "named");
        File.WriteAllBytes(named, first);
        Assert.Equal(0, Repo.Run("gzip", "-k", "-N", named).ExitCode); // writes named.gz, with the name (FNAME)
        byte[] both = [.. File.ReadAllBytes(named + ".gz"), .. Tool(second, "gzip", "-c")];
        Assert.Equal([.. first, .. second], Read(Save(both)));
    }

    [Theory]
    [InlineData(CompressionLevel.NoCompression)]
    [InlineData(CompressionLevel.Fastest)]
    [InlineData(CompressionLevel.Optimal)]
    public void Read_WhatDotNetWrote(CompressionLevel level)
    {
        byte[] data = Input("mixed");
        var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, level, leaveOpen: true))
        {
            gzip.Write(data);
        }

        Assert.Equal(data, Read(Save(packed.ToArray())));
    }

    [Fact]
    public void Read_Truncated_SaysSo()
    {
        byte[] packed = File.ReadAllBytes(Compress(Input("mixed"), 1 << 20));
        foreach (int length in new[] { 12, 100, packed.Length / 2, packed.Length - 9, packed.Length - 1 })
        {
            string file = Save(packed.AsSpan(0, length).ToArray());
            var e = Assert.Throws<SetupException>(() => Read(file));
            Assert.Equal($"read {file}: truncated", e.Message);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x1F, 0x8C, 8, 0 }, "not a gzip file")]
    [InlineData(new byte[] { }, "not a gzip file")]
    [InlineData(new byte[] { 0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0x07 }, "corrupt deflate data (block type 3)")]
    [InlineData(new byte[] { 0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0x01, 5, 0, 5, 0 }, "corrupt deflate data (stored length)")]
    public void Read_Corrupt_NamesTheFault(byte[] bytes, string fault)
    {
        // Padded, so that the fault is found before the data runs out.
        string file = Save(bytes.Length < 11 ? bytes : [.. bytes, .. new byte[16]]);
        var e = Assert.Throws<SetupException>(() => Read(file));
        Assert.Equal($"read {file}: {fault}", e.Message);
    }

    [Theory]
    [InlineData(8, "CRC mismatch")]
    [InlineData(4, "length mismatch")]
    public void Read_WrongTrailer_NamesTheFault(int fromEnd, string fault)
    {
        byte[] packed = File.ReadAllBytes(Compress(Input("mixed"), 1 << 20));
        packed[^fromEnd] ^= 1;
        string file = Save(packed);
        var e = Assert.Throws<SetupException>(() => Read(file));
        Assert.Equal($"read {file}: {fault}", e.Message);
    }

    [Fact]
    public void Read_DistanceBeforeTheStart_IsCorrupt()
    {
        // Fixed block: length 3 (symbol 257, code 0000001), distance 1 (code 00000) with nothing inflated yet.
        var bits = new BitList();
        bits.Add(1, 1);
        bits.Add(1, 2);
        bits.AddCode(0b0000001, 7);
        bits.AddCode(0, 5);
        string file = Save([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, .. bits.ToBytes(), .. new byte[8]]);
        var e = Assert.Throws<SetupException>(() => Read(file));
        Assert.Equal($"read {file}: corrupt deflate data (distance beyond the start)", e.Message);
    }

    [Fact]
    public void Read_RandomDamage_EitherTheOriginalOrASetupException()
    {
        byte[] data = Input("mixed").AsSpan(0, 60_000).ToArray();
        byte[] packed = File.ReadAllBytes(Compress(data, 1 << 20));
        var random = new Random(1952);
        for (int i = 0; i < 300; i++)
        {
            byte[] damaged = (byte[])packed.Clone();
            for (int flips = random.Next(1, 4); flips > 0; flips--)
            {
                damaged[random.Next(damaged.Length)] ^= (byte)(1 << random.Next(8));
            }

            string file = Save(damaged);
            try
            {
                Assert.Equal(data, Read(file));
            }
            catch (SetupException e)
            {
                Assert.StartsWith($"read {file}: ", e.Message);
            }
        }
    }

    private static byte[] Input(string name)
    {
        var random = new Random(name.Length);
        switch (name)
        {
            case "empty":
                return [];
            case "one byte":
                return [42];
            case "zeros":
                return new byte[10 << 20];
            case "random":
                byte[] noise = new byte[1 << 20];
                random.NextBytes(noise);
                return noise;
            case "text":
                return Directory.GetFiles(Path.Combine(Repo.Root, "src"), "*.cs", SearchOption.AllDirectories)
                    .Order(StringComparer.Ordinal).SelectMany(File.ReadAllBytes).ToArray();
            case "far matches":
                // A random 32 KB block, then the same block again: every match is exactly 32 768 back, and the
                // lengths run up to 258 and end on short remainders.
                byte[] block = new byte[32_768];
                random.NextBytes(block);
                return [.. block, .. block, .. block.AsSpan(0, 1000).ToArray(), 1, 2, 3];
            default:
                byte[] text = Input("text");
                byte[] some = new byte[200_000];
                random.NextBytes(some);
                return [.. text.AsSpan(0, Math.Min(text.Length, 400_000)).ToArray(), .. some, .. new byte[300_000], .. text.AsSpan(0, 50_000).ToArray()];
        }
    }

    private string Compress(byte[] data, int piece)
    {
        string file = Path.Combine(dir, $"{Guid.NewGuid():N}.gz");
        using FdFile target = FdFile.Open(file, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_TRUNC);
        var gzip = new GzipWriter(target);
        for (int at = 0; at < data.Length; at += piece)
        {
            gzip.Write(data.AsSpan(at, Math.Min(piece, data.Length - at)));
        }

        gzip.Finish();
        return file;
    }

    private static byte[] Read(string file)
    {
        using FdFile source = FdFile.Open(file, Libc.O_RDONLY);
        var gzip = new GzipReader(source);
        var output = new MemoryStream();
        byte[] buffer = new byte[100_003];
        int n;
        while ((n = gzip.Read(buffer)) > 0)
        {
            output.Write(buffer, 0, n);
        }

        return output.ToArray();
    }

    private string Save(byte[] bytes)
    {
        string file = Path.Combine(dir, $"{Guid.NewGuid():N}.gz");
        File.WriteAllBytes(file, bytes);
        return file;
    }

    private byte[] Gunzip(string file) => Tool(File.ReadAllBytes(file), "gzip", "-dc");

    private static byte[] DotNetGunzip(byte[] packed)
    {
        using var gzip = new GZipStream(new MemoryStream(packed), CompressionMode.Decompress);
        var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>Runs a tool with <paramref name="stdin"/> through a file, and returns its stdout bytes.</summary>
    private byte[] Tool(byte[] stdin, string tool, params string[] args)
    {
        string input = Save(stdin);
        string output = input + ".out";
        (int exitCode, string messages) = Repo.Run("sh", "-c", $"{tool} {string.Join(' ', args)} < {input} > {output}");
        Assert.True(exitCode == 0, $"{tool} {string.Join(' ', args)}: exit {exitCode}: {messages}");
        return File.ReadAllBytes(output);
    }

    /// <summary>Deflate's bit order, for hand-made streams.</summary>
    private sealed class BitList
    {
        private readonly System.Collections.Generic.List<bool> bits = [];

        public void Add(int value, int count)
        {
            for (int i = 0; i < count; i++)
            {
                bits.Add(((value >> i) & 1) != 0);
            }
        }

        /// <summary>A Huffman code goes most significant bit first.</summary>
        public void AddCode(int code, int count)
        {
            for (int i = count - 1; i >= 0; i--)
            {
                bits.Add(((code >> i) & 1) != 0);
            }
        }

        public byte[] ToBytes()
        {
            byte[] bytes = new byte[(bits.Count + 7) / 8];
            for (int i = 0; i < bits.Count; i++)
            {
                bytes[i / 8] |= (byte)((bits[i] ? 1 : 0) << (i % 8));
            }

            return bytes;
        }
    }
}

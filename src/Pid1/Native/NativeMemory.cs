using System.Collections.Generic;
using System.Text;

namespace Pid1.Native;

/// <summary>
/// C strings and NULL-terminated pointer arrays in unmanaged memory, made before fork so that the child
/// runs on ready data and allocates nothing (DESIGN hazard 5). They live until exec or exit.
/// </summary>
internal static unsafe class CStrings
{
    public static byte* From(string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        byte* text = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)length + 1);
        Encoding.UTF8.GetBytes(value, new System.Span<byte>(text, length));
        text[length] = 0;
        return text;
    }

    public static byte** Array(IReadOnlyList<string> values)
    {
        byte** array = (byte**)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)(values.Count + 1), (nuint)sizeof(byte*));
        for (int i = 0; i < values.Count; i++)
        {
            array[i] = From(values[i]);
        }

        array[values.Count] = null;
        return array;
    }
}

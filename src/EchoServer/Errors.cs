using System;

namespace EchoServer;

/// <summary>Bad command line: reported with the usage text, exit 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>No socket to serve on (bind failed, a passed fd is not a socket): exit 1.</summary>
internal sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);

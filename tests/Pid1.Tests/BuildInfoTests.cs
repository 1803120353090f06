using System.Reflection;
using Xunit;

namespace Pid1.Tests;

public class BuildInfoTests
{
    /// <summary>--version prints a build-written constant; it must be the version the assembly was built as.</summary>
    [Fact]
    public void Version_MatchesAssemblyInformationalVersion()
    {
        string? informational = typeof(BuildInfo).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        Assert.NotNull(informational);
        Assert.Equal(BuildInfo.Version, informational);
    }
}

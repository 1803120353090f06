namespace Pid1.Generators;

public static partial class Catalog
{
    // Layouts as gcc reports them on x86_64 (identical on aarch64 for these types). Only the fields pid1
    // reads or writes are named; the size covers the rest. A name in parentheses is C-private padding.
    private static readonly CatalogStruct[] Structs =
    {
        S("sigset_t", "signal.h", "sigset_t", 128, "ulong __val[16] @0"),
        S("siginfo_t", "signal.h", "siginfo_t", 128,
            "int si_signo @0", "int si_errno @4", "int si_code @8", "int si_pid @16", "uint si_uid @20", "int si_status @24"),
        S("sigaction", "signal.h", "struct sigaction", 152,
            "nint sa_handler @0", "sigset_t sa_mask @8", "int sa_flags @136", "nint sa_restorer @144"),
        S("timespec", "time.h", "struct timespec", 16, "long tv_sec @0", "long tv_nsec @8"),
        S("rlimit", "sys/resource.h", "struct rlimit", 16, "ulong rlim_cur @0", "ulong rlim_max @8"),
        S("pollfd", "poll.h", "struct pollfd", 8, "int fd @0", "short events @4", "short revents @6"),
        S("statx", "sys/stat.h", "struct statx", 256,
            "uint stx_mask @0", "uint stx_uid @20", "uint stx_gid @24", "ushort stx_mode @28", "ulong stx_ino @32",
            "ulong stx_size @40", "uint stx_rdev_major @128", "uint stx_rdev_minor @132",
            "uint stx_dev_major @136", "uint stx_dev_minor @140", "ulong stx_mnt_id @144"),
        S("clone_args", "linux/sched.h", "struct clone_args", 88,
            "ulong flags @0", "ulong pidfd @8", "ulong child_tid @16", "ulong parent_tid @24", "ulong exit_signal @32",
            "ulong stack @40", "ulong stack_size @48", "ulong tls @56", "ulong set_tid @64", "ulong set_tid_size @72",
            "ulong cgroup @80"),
        S("mount_attr", "linux/mount.h", "struct mount_attr", 32,
            "ulong attr_set @0", "ulong attr_clr @8", "ulong propagation @16", "ulong userns_fd @24"),
        S("bpf_attr", "linux/bpf.h", "union bpf_attr", 144,
            "uint prog_type @0", "uint insn_cnt @4", "ulong insns @8", "ulong license @16", "uint log_level @24",
            "uint log_size @28", "ulong log_buf @32",
            "uint target_fd @0", "uint attach_bpf_fd @4", "uint attach_type @8", "uint attach_flags @12"),
        S("open_how", "linux/openat2.h", "struct open_how", 24, "ulong flags @0", "ulong mode @8", "ulong resolve @16"),
        S("__user_cap_header_struct", "linux/capability.h", "struct __user_cap_header_struct", 8,
            "uint version @0", "int pid @4"),
        S("__user_cap_data_struct", "linux/capability.h", "struct __user_cap_data_struct", 12,
            "uint effective @0", "uint permitted @4", "uint inheritable @8"),
        S("loop_info64", "linux/loop.h", "struct loop_info64", 232,
            "ulong lo_device @0", "ulong lo_inode @8", "ulong lo_rdevice @16", "ulong lo_offset @24",
            "ulong lo_sizelimit @32", "uint lo_number @40", "uint lo_flags @52", "byte lo_file_name[64] @56"),
        S("loop_config", "linux/loop.h", "struct loop_config", 304,
            "uint fd @0", "uint block_size @4", "loop_info64 info @8"),
        S("sockaddr_in", "netinet/in.h", "struct sockaddr_in", 16,
            "ushort sin_family @0", "ushort sin_port @2", "uint sin_addr @4"),
        S("sockaddr_in6", "netinet/in.h", "struct sockaddr_in6", 28,
            "ushort sin6_family @0", "ushort sin6_port @2", "uint sin6_flowinfo @4", "byte sin6_addr[16] @8",
            "uint sin6_scope_id @24"),
        S("ifreq", "net/if.h", "struct ifreq", 40, "byte ifr_name[16] @0", "short ifr_flags @16"),
        S("posix_spawnattr_t", "spawn.h", "posix_spawnattr_t", 336, "byte (__opaque)[336] @0"),
        S("posix_spawn_file_actions_t", "spawn.h", "posix_spawn_file_actions_t", 80, "byte (__opaque)[80] @0"),
    };
}

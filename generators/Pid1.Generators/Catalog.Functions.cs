namespace Pid1.Generators;

public static partial class Catalog
{
    private static readonly CatalogFunction[] Functions =
    {
        // unistd.h: files and descriptors
        F("unistd.h", "int close(int fd)"),
        F("unistd.h", "ssize_t read(int fd, void *buf, size_t count)"),
        F("unistd.h", "ssize_t pread(int fd, void *buf, size_t count, off_t offset)"),
        F("unistd.h", "ssize_t write(int fd, const void *buf, size_t count)"),
        F("unistd.h", "int pipe2(int *pipefd, int flags)"),
        F("unistd.h", "int dup2(int oldfd, int newfd)"),
        F("unistd.h", "int dup3(int oldfd, int newfd, int flags)"),
        F("unistd.h", "off_t lseek(int fd, off_t offset, int whence)"),
        F("unistd.h", "int fsync(int fd)"),
        F("unistd.h", "void sync(void)", ErrorConvention.None),
        F("sys/file.h", "int flock(int fd, int operation)"),
        F("unistd.h", "int ftruncate(int fd, off_t length)"),
        F("unistd.h", "int isatty(int fd)", ErrorConvention.None),
        F("unistd.h", "int chdir(const char *path)"),
        F("unistd.h", "int fchdir(int fd)"),
        F("unistd.h", "int chroot(const char *path)"),
        F("unistd.h", "int access(const char *pathname, int mode)"),
        F("unistd.h", "int faccessat(int dirfd, const char *pathname, int mode, int flags)"),
        F("unistd.h", "ssize_t readlink(const char *pathname, char *buf, size_t bufsiz)"),
        F("unistd.h", "int unlink(const char *pathname)"),
        F("stdio.h", "int rename(const char *oldpath, const char *newpath)"),
        F("unistd.h", "int rmdir(const char *pathname)"),
        F("unistd.h", "int symlink(const char *target, const char *linkpath)"),
        F("unistd.h", "int symlinkat(const char *target, int newdirfd, const char *linkpath)"),
        F("unistd.h", "int chown(const char *pathname, uid_t owner, gid_t group)"),
        F("unistd.h", "int fchown(int fd, uid_t owner, gid_t group)"),
        F("unistd.h", "int sethostname(const char *name, size_t len)"),
        F("unistd.h", "int setdomainname(const char *name, size_t len)"),

        // unistd.h: processes, sessions, credentials
        F("unistd.h", "int execve(const char *pathname, char *const *argv, char *const *envp)"),
        F("unistd.h", "void _exit(int status)", ErrorConvention.None),
        F("unistd.h", "pid_t getpid(void)", ErrorConvention.None),
        F("unistd.h", "pid_t getppid(void)", ErrorConvention.None),
        F("unistd.h", "pid_t gettid(void)", ErrorConvention.None),
        F("unistd.h", "uid_t getuid(void)", ErrorConvention.None),
        F("unistd.h", "uid_t geteuid(void)", ErrorConvention.None),
        F("unistd.h", "gid_t getgid(void)", ErrorConvention.None),
        F("unistd.h", "gid_t getegid(void)", ErrorConvention.None),
        F("unistd.h", "int setresuid(uid_t ruid, uid_t euid, uid_t suid)"),
        F("unistd.h", "int setresgid(gid_t rgid, gid_t egid, gid_t sgid)"),
        F("unistd.h", "int getresuid(uid_t *ruid, uid_t *euid, uid_t *suid)"),
        F("unistd.h", "int getresgid(gid_t *rgid, gid_t *egid, gid_t *sgid)"),
        F("grp.h", "int setgroups(size_t size, const gid_t *list)"),
        F("unistd.h", "int getgroups(int size, gid_t *list)"),
        F("unistd.h", "pid_t setsid(void)"),
        F("unistd.h", "pid_t getsid(pid_t pid)"),
        F("unistd.h", "int setpgid(pid_t pid, pid_t pgid)"),
        F("unistd.h", "pid_t getpgid(pid_t pid)"),
        F("unistd.h", "pid_t tcgetpgrp(int fd)"),
        F("unistd.h", "int tcsetpgrp(int fd, pid_t pgrp)"),

        // fcntl.h, sys/stat.h
        F("fcntl.h", "int open(const char *pathname, int flags, mode_t mode)"),
        F("fcntl.h", "int openat(int dirfd, const char *pathname, int flags, mode_t mode)"),
        F("fcntl.h", "int fcntl(int fd, int cmd, long arg)"),
        F("sys/stat.h", "int mkdir(const char *pathname, mode_t mode)"),
        F("sys/stat.h", "int mkdirat(int dirfd, const char *pathname, mode_t mode)"),
        F("sys/stat.h", "int mknod(const char *pathname, mode_t mode, dev_t dev)"),
        F("sys/stat.h", "int mknodat(int dirfd, const char *pathname, mode_t mode, dev_t dev)"),
        F("sys/stat.h", "int chmod(const char *pathname, mode_t mode)"),
        F("sys/stat.h", "int fchmod(int fd, mode_t mode)"),
        F("sys/stat.h", "mode_t umask(mode_t mask)", ErrorConvention.None),

        // sys/wait.h, signal.h
        F("sys/wait.h", "pid_t waitpid(pid_t pid, int *wstatus, int options)"),
        F("sys/wait.h", "int waitid(idtype_t idtype, id_t id, siginfo_t *infop, int options)"),
        F("signal.h", "int kill(pid_t pid, int sig)"),
        F("signal.h", "int pthread_sigmask(int how, const sigset_t *set, sigset_t *oldset)", ErrorConvention.Direct),
        F("signal.h", "int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)"),
        F("sys/signalfd.h", "int signalfd(int fd, const sigset_t *mask, int flags)"),
        F("signal.h", "int sigaction(int signum, const struct sigaction *act, struct sigaction *oldact)"),
        F("signal.h", "int sigpending(sigset_t *set)"),
        // SIGRTMIN as the linked libc sees it (glibc 34, musl 35): the .NET runtime's thread-activation signal.
        F("signal.h", "int __libc_current_sigrtmin(void)", ErrorConvention.None),
        // pid1's own C (src/Pid1/Native/early-signals.c, linked into pid1): the signal mask pid1 was started with,
        // recorded by an ELF constructor before it blocked the waited signals. DirectPInvoke "libc" makes every
        // import a symbol the static link resolves, so this one binds to that object like libc's functions.
        F("early-signals.h", "void pid1_inherited_sigmask(sigset_t *mask)", ErrorConvention.None),
        F("early-signals.h", "int pid1_inherited_sigpipe_ignored(void)", ErrorConvention.None),

        // process control, namespaces, mounts
        F("sys/prctl.h", "int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)"),
        F("sched.h", "int unshare(int flags)"),

        // fn is int (*fn)(void *): the prototype parser knows no function pointers, and the trailing variadic
        // ptid/tls/ctid are used only with flags pid1 never passes.
        F("sched.h", "int clone(void *fn, void *stack, int flags, void *arg)"),
        F("sched.h", "int setns(int fd, int nstype)"),
        F("sys/mount.h", "int mount(const char *source, const char *target, const char *filesystemtype, unsigned long mountflags, const void *data)"),
        F("sys/mount.h", "int umount2(const char *target, int flags)"),
        F("sys/reboot.h", "int reboot(int op)"),
        F("sys/resource.h", "int getrlimit(int resource, struct rlimit *rlim)"),
        F("sys/resource.h", "int setrlimit(int resource, const struct rlimit *rlim)"),
        F("sys/ioctl.h", "int ioctl(int fd, unsigned long request, void *argp)"),
        F("sys/mman.h", "int madvise(void *addr, size_t length, int advice)"),
        F("sys/auxv.h", "unsigned long getauxval(unsigned long type)", ErrorConvention.None),
        F("time.h", "int clock_gettime(clockid_t clockid, struct timespec *tp)"),
        F("poll.h", "int poll(struct pollfd *fds, nfds_t nfds, int timeout)"),

        // sys/socket.h (addresses as void*: the caller passes sockaddr_in or sockaddr_in6)
        F("sys/socket.h", "int socket(int domain, int type, int protocol)"),
        F("sys/socket.h", "int bind(int sockfd, const void *addr, socklen_t addrlen)"),
        F("sys/socket.h", "int listen(int sockfd, int backlog)"),
        F("sys/socket.h", "int setsockopt(int sockfd, int level, int optname, const void *optval, socklen_t optlen)"),
        F("sys/socket.h", "int getsockopt(int sockfd, int level, int optname, void *optval, socklen_t *optlen)"),
        F("sys/socket.h", "int getsockname(int sockfd, void *addr, socklen_t *addrlen)"),
        F("arpa/inet.h", "int inet_pton(int af, const char *src, void *dst)"),

        // spawn.h: the vfork-style fast path when no setup runs in the child
        F("spawn.h", "int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *file_actions, const posix_spawnattr_t *attrp, char *const *argv, char *const *envp)", ErrorConvention.Direct),
        F("spawn.h", "int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *file_actions, const posix_spawnattr_t *attrp, char *const *argv, char *const *envp)", ErrorConvention.Direct),
        F("spawn.h", "int posix_spawnattr_init(posix_spawnattr_t *attr)", ErrorConvention.Direct),
        F("spawn.h", "int posix_spawnattr_destroy(posix_spawnattr_t *attr)", ErrorConvention.Direct),
        F("spawn.h", "int posix_spawnattr_setflags(posix_spawnattr_t *attr, short flags)", ErrorConvention.Direct),
        F("spawn.h", "int posix_spawnattr_setsigmask(posix_spawnattr_t *attr, const sigset_t *sigmask)", ErrorConvention.Direct),
        F("spawn.h", "int posix_spawnattr_setsigdefault(posix_spawnattr_t *attr, const sigset_t *sigdefault)", ErrorConvention.Direct),
        F("spawn.h", "int posix_spawnattr_setpgroup(posix_spawnattr_t *attr, pid_t pgroup)", ErrorConvention.Direct),
        F("spawn.h", "int posix_spawn_file_actions_init(posix_spawn_file_actions_t *file_actions)", ErrorConvention.Direct),
        F("spawn.h", "int posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *file_actions)", ErrorConvention.Direct),
        F("spawn.h", "int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *file_actions, int fildes, int newfildes)", ErrorConvention.Direct),

        // Syscalls without a glibc wrapper (or newer than the oldest glibc we link): numbers x86_64, aarch64.
        Sys("linux/sched.h", "long clone3(struct clone_args *cl_args, size_t size)", 435, 435),
        Sys("unistd.h", "int pivot_root(const char *new_root, const char *put_old)", 155, 41),
        Sys("linux/pidfd.h", "int pidfd_open(pid_t pid, unsigned int flags)", 434, 434),
        Sys("linux/pidfd.h", "int pidfd_send_signal(int pidfd, int sig, siginfo_t *info, unsigned int flags)", 424, 424),
        Sys("linux/close_range.h", "int close_range(unsigned int first, unsigned int last, int flags)", 436, 436),
        Sys("linux/mount.h", "int open_tree(int dfd, const char *filename, unsigned int flags)", 428, 428),
        Sys("linux/mount.h", "int move_mount(int from_dfd, const char *from_pathname, int to_dfd, const char *to_pathname, unsigned int flags)", 429, 429),
        Sys("linux/mount.h", "int mount_setattr(int dfd, const char *path, unsigned int flags, struct mount_attr *uattr, size_t usize)", 442, 442),
        Sys("linux/openat2.h", "int openat2(int dirfd, const char *pathname, struct open_how *how, size_t size)", 437, 437),
        Sys("linux/capability.h", "int capget(struct __user_cap_header_struct *hdrp, struct __user_cap_data_struct *datap)", 125, 90),
        Sys("linux/capability.h", "int capset(struct __user_cap_header_struct *hdrp, const struct __user_cap_data_struct *datap)", 126, 91),
        Sys("linux/bpf.h", "int bpf(int cmd, void *attr, unsigned int size)", 321, 280),
        Sys("dirent.h", "ssize_t getdents64(int fd, void *dirp, size_t count)", 217, 61),
        // The kernel's getcwd returns the length with the NUL (or −errno), where the libc's returns the buffer.
        Sys("unistd.h", "int sys_getcwd(char *buf, size_t size)", 79, 17),
        // musl wraps statx only from 1.2.5 (Debian 12 ships 1.2.3): the syscall links against either libc.
        Sys("sys/stat.h", "int statx(int dirfd, const char *pathname, int flags, unsigned int mask, struct statx *statxbuf)", 332, 291),

        // The kernel's own entry points for credentials, bypassing glibc's all-threads broadcast (setxid).
        // Only for a single-threaded cloned child: there glibc would wait for the runtime's threads that
        // were copied into its bookkeeping but not into the child, and may hang (DESIGN hazard 13).
        Sys("unistd.h", "int sys_setresuid(uid_t ruid, uid_t euid, uid_t suid)", 117, 147),
        Sys("unistd.h", "int sys_setresgid(gid_t rgid, gid_t egid, gid_t sgid)", 119, 149),
        Sys("grp.h", "int sys_setgroups(size_t size, const gid_t *list)", 116, 159),
    };
}

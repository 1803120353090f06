#!/bin/bash
# The VM harness (issue 5, part C): boots a Debian cloud kernel under QEMU with out/pid1 as the initramfs's
# /init, a static busybox, out/echo-server when present and the guest scripts of tests/vm/guest/ as
# /init.d/*, and judges each boot by its serial log. Boot 1 runs /init.d/run (kernel init mounts, the cgroup
# checks on pure cgroup v2, the echo server) and powers off; boot 2 sends SIGTERM to PID 1 and expects a
# clean shutdown and a reboot (--reboot). Needs root and network on first use (apt); the kernel package is
# cached in tests/vm/cache/. The last line is "N passed, M failed"; the exit status is non-zero on failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache="$here/cache"
boot_timeout=${PID1_VM_TIMEOUT:-150}
passed=0
failed=0

summarised=0

say() { echo "vm: $*" >&2; }
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1 ${2:-}"; }
finish() {
    summarised=1
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ] && [ "$passed" -gt 0 ]
    exit $?
}

# A setup step that failed under set -e (apt, download, cpio) still ends with the summary line.
on_exit() {
    local status=$?
    if [ "$summarised" = 0 ]; then
        echo "FAIL setup the harness stopped with status $status"
        echo "$passed passed, $((failed + 1)) failed"
        exit 1
    fi
}
trap on_exit EXIT

# apt packages, installed only when missing: qemu-system-x86 (the emulator), busybox-static (the guest's
# userland), cpio (the initramfs).
ensure_packages() {
    local missing=()
    command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
    dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
    command -v cpio >/dev/null || missing+=(cpio)
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# The newest linux-image-*-cloud-amd64 that the linux-image-cloud-amd64 metapackage depends on: its vmlinuz
# and the loop module, extracted once into the cache.
ensure_kernel() {
    if ls "$cache"/vmlinuz-* >/dev/null 2>&1 && [ -f "$cache/loop.ko" ]; then
        return
    fi

    local package
    package=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/ { print $2; exit }')
    if [ -z "$package" ]; then
        apt-get update -qq
        package=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/ { print $2; exit }')
    fi

    say "downloading $package"
    mkdir -p "$cache/download"
    (cd "$cache/download" && apt-get download -q "$package" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
    rm -rf "$cache/extract"
    dpkg-deb -x "$cache"/download/"$package"_*.deb "$cache/extract"
    cp "$cache"/extract/boot/vmlinuz-* "$cache/"
    find "$cache/extract/lib/modules" -name loop.ko -exec cp {} "$cache/loop.ko" \;
    rm -rf "$cache/extract" "$cache/download"
}

# /init (pid1), /bin/busybox and its applets, /init.d/* (the guest scripts), /lib/modules/loop.ko,
# /bin/echo-server when built, /dev/console for the kernel to open as init's stdio.
build_initramfs() {
    local stage="$cache/initramfs"
    rm -rf "$stage"
    mkdir -p "$stage"/{bin,dev,proc,sys,run,tmp,init.d,lib/modules,etc}
    cp "$root/out/pid1" "$stage/init"
    cp /bin/busybox "$stage/bin/busybox"
    for applet in $(/bin/busybox --list); do
        [ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
    done
    cp "$here"/guest/* "$stage/init.d/"
    cp "$cache/loop.ko" "$stage/lib/modules/"
    if [ -x "$root/out/echo-server" ]; then
        cp "$root/out/echo-server" "$stage/bin/echo-server"
    else
        say "out/echo-server is absent: the guest skips the echo server check (build it to include it)"
    fi
    echo "root:x:0:0:root:/:/bin/sh" > "$stage/etc/passwd"
    echo "root:x:0:" > "$stage/etc/group"
    mknod -m 600 "$stage/dev/console" c 5 1
    (cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) > "$cache/initrd.gz"
}

# boot NAME APPEND: one boot, serial console to $cache/NAME.log.
boot() {
    local name=$1 append=$2 log="$cache/$1.log" started
    started=$(date +%s.%N)
    timeout "$boot_timeout" qemu-system-x86_64 -nographic -no-reboot -m 256 -smp 2 -machine accel=kvm:tcg -nic none \
        -kernel "$cache"/vmlinuz-* -initrd "$cache/initrd.gz" -append "console=ttyS0 quiet panic=-1 $append" \
        </dev/null >"$log" 2>&1 || echo "qemu: exit status $? (124: timed out after ${boot_timeout}s)" >>"$log"
    say "boot $name took $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s; log: $log"
}

# judge NAME ENDING: count the guest's checks, then the kernel's own words about how it ended.
judge() {
    local name=$1 ending=$2 log="$cache/$1.log" failed_before=$failed
    tr -d '\r' <"$log" >"$log.txt"
    while read -r _ result check detail; do
        if [ "$result" = PASS ]; then pass "$name/$check"; else fail "$name/$check" "$detail"; fi
    done < <(grep -E '^VMTEST (PASS|FAIL) ' "$log.txt")
    if grep -q 'Kernel panic' "$log.txt"; then fail "$name/no-panic" "$(grep -m1 'Kernel panic' "$log.txt")"; else pass "$name/no-panic"; fi
    if grep -q "reboot: $ending" "$log.txt"; then pass "$name/clean-$ending"; else fail "$name/clean-$ending" "no 'reboot: $ending' in the log"; fi
    if [ "$failed" != "$failed_before" ]; then
        say "serial log of $name:"
        sed 's/^/  | /' "$log.txt" >&2
    fi
}

if [ "$(id -u)" != 0 ]; then
    fail setup "run as root (apt, mknod)"
    finish
fi

if [ ! -x "$root/out/pid1" ]; then
    fail setup "out/pid1 is missing: build it first"
    finish
fi

mkdir -p "$cache"
ensure_packages
ensure_kernel
build_initramfs

boot run "-- /init.d/run"
judge run "Power down"
grep -q '^VMTEST DONE run' "$cache/run.log.txt" && pass run/script-completed || fail run/script-completed "the guest script did not finish"

boot stop "-- --reboot --grace 1 /init.d/stop"
judge stop "Restarting system"
# The script ignores SIGTERM: only the KILL at the end of the one-second grace period ends it.
grep -q '^pid1: /init.d/stop exited with code 137; rebooting' "$cache/stop.log.txt" && pass stop/killed-after-grace || fail stop/killed-after-grace "no grace-period KILL in the log"
finish

#!/usr/bin/env bash
# pid1's one entry point for builds, tests and the demo. Needs no terminal and runs from any directory.
#   ./build.sh [build]  out/pid1 and out/echo-server (static Native AOT), out/rootfs (template + echo-server)
#   ./build.sh test     install what the tests need (apt), build, run every test, print "N passed, M failed"
#   ./build.sh demo     build, run the echo server under pid1 and talk to it on loopback
#   ./build.sh bench    run bench/run.sh
#   ./build.sh clean    remove out/ and every project's bin/ and obj/
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

readonly OUT=out RID=linux-x64 CONFIG=Release
# musl-gcc links pid1 and the echo server against musl (Directory.Build.targets): 0.9 MB smaller than glibc.
readonly BUILD_PACKAGES=(musl-tools)
readonly TEST_PACKAGES=(gcc libc6-dev file util-linux bsdutils procps busybox-static socat iproute2 e2fsprogs uidmap)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

log() { printf '==> %s\n' "$*"; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

usage() {
    sed -n '2,/^set /s/^# \{0,1\}//p' "$0"
}

# --- build -------------------------------------------------------------------------------------------

cmd_build() {
    command -v dotnet >/dev/null 2>&1 || die "dotnet not found on PATH: install the .NET 10 SDK first"
    need_apt "${BUILD_PACKAGES[@]}"
    mkdir -p "$OUT"
    publish src/Pid1/Pid1.csproj pid1
    publish src/EchoServer/EchoServer.csproj echo-server
    make_rootfs
    describe "$OUT/pid1" "$OUT/echo-server"
    require_static "$OUT/pid1" "$OUT/echo-server"
}

# publish PROJECT NAME: Native AOT publish into out/NAME-publish, the binary itself copied to out/NAME.
publish() {
    local project=$1 name=$2
    [ -f "$project" ] || die "$project not found: cannot build $name"
    log "publishing $name"
    dotnet publish "$project" -c "$CONFIG" -r "$RID" -o "$OUT/$name-publish"
    # Copy, then rename: a detached sandbox may still be running the old file ("Text file busy" on cp).
    cp "$OUT/$name-publish/$name" "$OUT/.$name.new"
    mv -f "$OUT/.$name.new" "$OUT/$name"
}

make_rootfs() {
    log "assembling $OUT/rootfs"
    rm -rf "$OUT/rootfs"
    cp -a rootfs-template "$OUT/rootfs"
    find "$OUT/rootfs" -type f -name .keep -delete
    chmod 1777 "$OUT/rootfs/tmp" # git records no sticky bit
    install -m 0755 "$OUT/echo-server" "$OUT/rootfs/bin/echo-server"
}

describe() {
    local f
    for f in "$@"; do
        if command -v file >/dev/null 2>&1; then
            printf '%-16s %9d bytes  %s\n' "$f" "$(stat -c %s "$f")" "$(file -b "$f" | cut -d, -f1,2,4)"
        else
            printf '%-16s %9d bytes\n' "$f" "$(stat -c %s "$f")"
        fi
    done
}

# A dynamic binary dies in an empty root; readelf (binutils, which the AOT link needs anyway) tells
# without depending on file(1): a static executable has neither an interpreter nor a dynamic section.
require_static() {
    local f headers
    for f in "$@"; do
        # Captured, not piped: grep -q quitting early must not fail the check.
        headers=$(readelf -lW "$f" 2>&1) || die "$f is not an ELF executable: $headers"
        if grep -qE '^ *(INTERP|DYNAMIC) ' <<<"$headers"; then
            die "$f is not statically linked"
        fi
    done
}

# --- test --------------------------------------------------------------------------------------------

# need_apt PKG...: install the packages dpkg does not list as installed (apt-get update once, first).
apt_updated=
need_apt() {
    local pkg status missing=()
    for pkg in "$@"; do
        # Captured, not piped into grep -q: a SIGPIPE'd dpkg would make an installed package look missing.
        status=$(dpkg -s "$pkg" 2>/dev/null) || true
        [[ $status == *$'\nStatus: install ok installed'* ]] || missing+=("$pkg")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    command -v apt-get >/dev/null 2>&1 || die "missing packages (${missing[*]}) and no apt-get to install them"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    log "installing ${missing[*]}"
    if [ -z "$apt_updated" ]; then
        "${sudo[@]}" apt-get update -qq
        apt_updated=1
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

cmd_test() {
    need_apt "${TEST_PACKAGES[@]}"
    cmd_build
    local ok=1 results="$OUT/test-results" solution=Pid1.sln
    [ -f "$solution" ] || solution=Pid1.slnx # what `dotnet new sln` makes since SDK 10
    [ -f "$solution" ] || die "Pid1.sln not found: no test projects to run"
    rm -rf "$results"
    log "dotnet test $solution"
    dotnet test "$solution" -c "$CONFIG" --logger "console;verbosity=normal" --logger trx --results-directory "$results" || ok=
    local passed failed skipped
    read -r passed failed skipped < <(trx_counts "$results")

    if [ -x tests/vm/run.sh ]; then
        log "tests/vm/run.sh"
        tests/vm/run.sh | tee "$OUT/vm-test.log" || ok=
        local vm_passed vm_failed vm_skipped
        read -r vm_passed vm_failed vm_skipped < <(summary_counts "$OUT/vm-test.log")
        passed=$((passed + vm_passed)) failed=$((failed + vm_failed)) skipped=$((skipped + vm_skipped))
    fi

    [ -n "$ok" ] || [ "$failed" -gt 0 ] || echo "build.sh: a test run failed without a failed test (build error or crash)" >&2
    printf '%d passed, %d failed' "$passed" "$failed"
    [ "$skipped" -eq 0 ] || printf ', %d skipped' "$skipped"
    printf '\n'
    [ -n "$ok" ] && [ "$failed" -eq 0 ]
}

# trx_counts DIR: "passed failed skipped" summed over the <Counters> of every .trx file under DIR.
# Errors, timeouts and aborts count as failures; a skipped test is counted in total but not in executed.
trx_counts() {
    { find "$1" -name '*.trx' -exec cat {} + 2>/dev/null || true; } | awk '
        match($0, /<Counters [^>]*>/) {
            m = split(substr($0, RSTART, RLENGTH), attr, /[ ="]+/) # <Counters name value name value ... />
            for (i = 2; i < m; i += 2) n[attr[i]] += attr[i + 1]
        }
        END { printf "%d %d %d\n", n["passed"], n["failed"] + n["error"] + n["timeout"] + n["aborted"], n["total"] - n["executed"] }'
}

# summary_counts LOG: "passed failed skipped" from the last "N passed, M failed[, K skipped]" line of a
# test script's output; a script that printed none counts as one failure.
summary_counts() {
    grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$1" | tail -n 1 | awk '
        { found = 1; passed = $1; failed = $3; skipped = $5 }
        END { if (found) printf "%d %d %d\n", passed, failed, skipped; else print "0 1 0" }'
}

# --- demo --------------------------------------------------------------------------------------------

readonly DEMO_PORT=7 DEMO_NAME=pid1-demo
demo_pid=

cmd_demo() {
    cmd_build
    trap stop_demo EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    run_demo
}

# The seed's echo server, isolated the way the seeds do it by hand, in one command: new pid, mount, uts, ipc
# and network namespaces; pivot_root into out/rootfs with /proc and a 1 MB tmpfs; running as nobody; port 7
# bound by pid1 while still root, in the host's network namespace, and passed as fd 3 (socket activation).
run_demo() {
    local sandbox=(--name "$DEMO_NAME" -p -m -u -i -n --rootfs "$OUT/rootfs" --proc /proc --tmpfs /tmp:size=1m
        --hostname sandbox --listen "127.0.0.1:$DEMO_PORT" --user nobody)

    log "the host's view: $("$OUT/echo-server" --whoami)"
    ! port_open "$DEMO_PORT" || die "port $DEMO_PORT is already in use: cannot run the demo"
    log "starting: $OUT/pid1 ${sandbox[*]} -- /bin/echo-server"
    # A session of its own, so that the trap can find everything pid1 started even if pid1 dies first.
    setsid "$OUT/pid1" "${sandbox[@]}" -- /bin/echo-server &
    demo_pid=$!
    wait_for_port "$DEMO_PORT" 10 || die "nothing accepted on 127.0.0.1:$DEMO_PORT within 10 s"

    log "talking to it from the host over 127.0.0.1:$DEMO_PORT"
    talk "$DEMO_PORT" "hello, echo" "second line"

    log "the server's view, from inside (pid1 exec $DEMO_NAME -- /bin/echo-server --whoami):"
    "$OUT/pid1" exec "$DEMO_NAME" -- /bin/echo-server --whoami
    log "the same processes seen from the host (NSpid: host pid, then the pid inside):"
    show_tree "$demo_pid"
    "$OUT/pid1" list

    log "stopping it: SIGTERM to pid1"
    kill -TERM "$demo_pid"
    local status=0
    wait_for_exit "$demo_pid" 10 || die "pid1 still running 10 s after SIGTERM"
    wait "$demo_pid" || status=$?
    demo_pid=
    echo "pid1 exited with $status after SIGTERM (the echo server's own clean exit code)"
    [ "$status" -eq 0 ]
}

# show_tree PID: PID and its descendants with their command, user and NSpid line.
show_tree() {
    local pid=$1 child
    printf '  %-12s uid %-6s %s\n' "$(cat "/proc/$pid/comm")" "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" \
        "$(grep '^NSpid:' "/proc/$pid/status" | tr -s '\t ' ' ')"
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
        show_tree "$child"
    done
}

# talk PORT LINE...: send the lines over one connection, print and check what comes back.
talk() {
    local port=$1 line reply fd
    shift
    exec {fd}<>"/dev/tcp/127.0.0.1/$port"
    printf '%s\n' "$@" >&"$fd"
    for line in "$@"; do
        IFS= read -r -t 5 reply <&"$fd" || die "no echo within 5 s for: $line"
        printf 'sent %-14s got back %s\n' "'$line'" "'$reply'"
        [ "$reply" = "$line" ] || die "echo mismatch"
    done
    exec {fd}>&-
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_for_port PORT SECONDS: poll every 0.1 s; give up early if the demo process died.
wait_for_port() {
    local tries=$(($2 * 10))
    while [ "$tries" -gt 0 ]; do
        port_open "$1" && return 0
        kill -0 "$demo_pid" 2>/dev/null || return 1
        sleep 0.1
        tries=$((tries - 1))
    done
    return 1
}

# wait_for_exit PID SECONDS (bash reaps its background children as they exit, so kill -0 then fails).
wait_for_exit() {
    local tries=$(($2 * 10))
    while kill -0 "$1" 2>/dev/null; do
        [ "$tries" -gt 0 ] || return 1
        sleep 0.1
        tries=$((tries - 1))
    done
}

# On any exit while the demo runs: kill pid1 and whatever it left, i.e. every process of its session.
stop_demo() {
    [ -n "$demo_pid" ] || return 0
    local stat fields session
    for stat in /proc/[0-9]*/stat; do
        fields=$(cat "$stat" 2>/dev/null) || continue
        fields=${fields##*) } # after "pid (comm) ": state ppid pgrp session ...
        read -r _ _ _ session _ <<<"$fields"
        if [ "$session" = "$demo_pid" ]; then
            kill -KILL "${stat//[^0-9]/}" 2>/dev/null || true
        fi
    done
    wait "$demo_pid" 2>/dev/null || true
}

# --- bench, clean ------------------------------------------------------------------------------------

cmd_bench() {
    if [ -f bench/run.sh ]; then
        exec bash bench/run.sh "$@"
    fi
    echo "build.sh: bench/run.sh is not there yet: no benchmarks to run"
}

cmd_clean() {
    rm -rf "$OUT"
    # Only beside a project: rootfs-template/bin is a mount point, not build output.
    find . -path ./.git -prune -o -name '*.csproj' -print | while IFS= read -r project; do
        rm -rf "$(dirname "$project")/bin" "$(dirname "$project")/obj"
    done
}

main() {
    local command=${1:-build}
    [ $# -eq 0 ] || shift
    case "$command" in
        build) cmd_build ;;
        test) cmd_test ;;
        demo) cmd_demo ;;
        bench) cmd_bench "$@" ;;
        clean) cmd_clean ;;
        -h | --help | help) usage ;;
        *)
            usage >&2
            die "unknown command '$command'"
            ;;
    esac
}

main "$@"

#!/usr/bin/env bash
# bench/run.sh [--quick]: pid1 side by side with its peers (tini, tini-static, dumb-init, catatonit, unshare,
# bubblewrap, crun), in one run on one machine. Times are RATIOS to a bare /bin/true measured in the same
# hyperfine call: absolute times on a shared machine are noise, ratios much less so.
# Writes bench/results.md and bench/results.svg (kept in git: the published figures) and the raw hyperfine
# JSON under bench/results/ (not kept). Needs root (namespaces, cgroups, apt).
#
# Environment: PID1 (binary to measure, default out/pid1), BENCH_ORPHANS (default 100000), BENCH_RUNS
# (hyperfine runs per command and round for startup; namespaces get a third of it), BENCH_ROUNDS (default 2).
# --quick: few runs and 2000 orphans, to check the script itself in about a minute.
# --report: no measuring; rewrite results.md and the plot from the raw results of the last run.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=$ROOT/bench
RAW=$BENCH/results
PID1=$(realpath "${PID1:-$ROOT/out/pid1}")
QUICK=0 REPORT_ONLY=0
[[ ${1:-} == --quick ]] && QUICK=1
[[ ${1:-} == --report ]] && REPORT_ONLY=1

if ((QUICK)); then
    RUNS=${BENCH_RUNS:-30} WARMUP=3 ORPHANS=${BENCH_ORPHANS:-2000} TERM_RUNS=20 IDLE_TERM_RUNS=10 RATE_COUNT=1000
else
    RUNS=${BENCH_RUNS:-300} WARMUP=20 ORPHANS=${BENCH_ORPHANS:-100000} TERM_RUNS=200 IDLE_TERM_RUNS=50 RATE_COUNT=20000
fi
NS_RUNS=$(((RUNS + 2) / 3))
ROUNDS=${BENCH_ROUNDS:-2}

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

[[ $(id -u) == 0 ]] || die "run as root (namespaces, cgroups, apt)"
[[ -x $PID1 ]] || die "$PID1 is missing: build it first (./build.sh)"

# crun (1.8) refuses a hybrid cgroup host whose cgroup2 mount has controllers ("cgroups in hybrid mode not
# supported"). There the whole run happens in a private mount namespace with an empty tmpfs over
# /sys/fs/cgroup/unified: every command sees the same v1 hierarchy, and the host is left untouched.
HIDDEN_UNIFIED=${BENCH_HIDDEN_UNIFIED:-0}
if [[ $HIDDEN_UNIFIED == 0 ]] && grep -qs . /sys/fs/cgroup/unified/cgroup.controllers; then
    BENCH_HIDDEN_UNIFIED=1 exec unshare -m --propagation private \
        bash -c 'mount -t tmpfs bench-no-unified /sys/fs/cgroup/unified && exec "$0" "$@"' "$0" "$@"
fi

# --- peers and tools, from apt when missing -------------------------------------------------------------
PACKAGES=(tini dumb-init catatonit bubblewrap crun util-linux hyperfine gnuplot-nox busybox-static jq gcc libc6-dev)
install_missing() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    ((${#missing[@]} == 0)) && return
    note "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
}
install_missing

WORK=$(mktemp -d /tmp/pid1-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$RAW"

if ((!REPORT_ONLY)); then
    gcc -O2 -Wall -Wextra -Werror -o "$WORK/orphans" "$BENCH/orphans.c"
    gcc -O2 -Wall -Wextra -Werror -o "$WORK/signals" "$BENCH/signals.c"
fi

# tini warns on every start unless it is PID 1 or a subreaper; pid1 is a subreaper on its own, so tini gets -s.
INITS=(
    "pid1|$PID1"
    "tini|tini -s"
    "tini-static|tini-static -s"
    "dumb-init|dumb-init"
    "catatonit|catatonit"
)

# --- a command that cannot run is a table row, not an abort ---------------------------------------------
# check LABEL CMD...: runs the command once; on failure records "n/a (exit N: first line of stderr)".
declare -A NA=()
check() {
    local label=$1
    shift
    local rc=0
    "$@" </dev/null >/dev/null 2>"$WORK/stderr" || rc=$?
    if ((rc != 0)); then
        NA[$label]="n/a (exit $rc: $(head -n1 "$WORK/stderr" | tr '|' '/'))"
        note "$label: ${NA[$label]}"
        return 1
    fi
}

# --- hyperfine over ROUNDS rounds; each round runs the commands in the other order ------------------------
# time_section NAME RUNS LABEL|CMD...: hyperfine runs one command's runs back to back, so one round alone
# would put a slow minute of the machine on one command; the rounds alternate the order (forward, reversed)
# and the table pools them, with each round's ratio shown to expose drift. The first pair is the baseline.
time_section() {
    local name=$1 runs=$2
    shift 2
    local pairs=() label cmd
    for pair in "$@"; do
        label=${pair%%|*} cmd=${pair#*|}
        [[ -n ${NA[$label]:-} ]] && continue
        # shellcheck disable=SC2086 # cmd is a word list on purpose (hyperfine -N splits it the same way)
        check "$label" $cmd && pairs+=("$pair")
    done
    for ((round = 1; round <= ROUNDS; round++)); do
        local ordered=("${pairs[@]}") args=()
        if ((round % 2 == 0)); then
            ordered=()
            for ((i = ${#pairs[@]} - 1; i >= 0; i--)); do ordered+=("${pairs[i]}"); done
        fi
        for pair in "${ordered[@]}"; do args+=(-n "${pair%%|*}" "${pair#*|}"); done
        note "$name: round $round of $ROUNDS (${#pairs[@]} commands, $runs runs each)"
        hyperfine -N --style none --warmup "$WARMUP" --runs "$runs" --export-json "$RAW/$name-$round.json" "${args[@]}" >/dev/null
    done
    summarize "$name" "$@" >"$RAW/$name.tsv"
}

# summarize NAME LABEL|CMD...: one TSV row per command: label, ratio, per-round ratios, median/min/max ms.
summarize() {
    local name=$1
    shift
    local base=${1%%|*}
    for pair in "$@"; do
        local label=${pair%%|*}
        if [[ -n ${NA[$label]:-} ]]; then
            printf '%s\t%s\n' "$label" "${NA[$label]}"
            continue
        fi
        jq -r -s --arg want "$label" --arg base "$base" '
            def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
            def times($l): [.[] | .results[] | select(.command == $l) | .times[]];
            def round_ratio($l): (.results[] | select(.command == $l) | .median) / (.results[] | select(.command == $base) | .median);
            (times($want)) as $t | (times($base) | median) as $b
            | [$want, ($t | median / $b * 100 | round / 100 | tostring),
               ([.[] | round_ratio($want) * 100 | round / 100 | tostring] | join(" / ")),
               ($t | median * 1e5 | round / 100 | tostring), ($t | min * 1e5 | round / 100 | tostring),
               ($t | max * 1e5 | round / 100 | tostring)] | @tsv' "$RAW/$name"-*.json
    done
}

# --- a small busybox root for the full sandbox, and a crun bundle doing the same --------------------------
make_bundle() {
    local bundle=$WORK/bundle
    mkdir -p "$bundle/rootfs"/{bin,etc,proc,dev,sys,tmp}
    cp "$(command -v busybox)" "$bundle/rootfs/bin/busybox"
    for applet in true sh id test; do ln -s busybox "$bundle/rootfs/bin/$applet"; done
    printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$bundle/rootfs/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$bundle/rootfs/etc/group"
    touch "$bundle/rootfs/bench-rootfs"
    crun_config /bin/true >"$bundle/config.json"
    crun_config /bin/sh -c "$SANDBOX_CHECK" >"$bundle/check.json"
}

# jq reads options anywhere on its command line (a "-c" among --args turns on compact output), so the
# program's argv goes in as one JSON array.
crun_config() {
    local argv
    argv=$(printf '%s\n' "$@" | jq -R . | jq -sc .)
    jq -n --argjson argv "$argv" '{
        ociVersion: "1.0.0",
        process: { terminal: false, user: { uid: 65534, gid: 65534 }, args: $argv, env: ["PATH=/bin"], cwd: "/" },
        root: { path: "rootfs", readonly: false },
        mounts: [ { destination: "/proc", type: "proc", source: "proc" } ],
        linux: {
            resources: { memory: { limit: 67108864 } },
            namespaces: [ { type: "pid" }, { type: "mount" }, { type: "ipc" }, { type: "uts" }, { type: "network" } ]
        }
    }'
}

# Both sandboxes must really be one: the new root, the user. A flag pid1 ignores would otherwise time as fast.
SANDBOX_CHECK='test -e /bench-rootfs && test "$(id -u)" = 65534'
PID1_SANDBOX="$PID1 -p -i -u -n --rootfs $WORK/bundle/rootfs --user 65534 --memory 64m"
verify_sandboxes() {
    local rc=0
    $PID1_SANDBOX /bin/sh -c "$SANDBOX_CHECK" </dev/null >/dev/null 2>"$WORK/stderr" || rc=$?
    ((rc == 0)) || NA[pid1 sandbox]="n/a (exit $rc: $(head -n1 "$WORK/stderr"))"
    rc=0
    crun run -f "$WORK/bundle/check.json" -b "$WORK/bundle" "bench-check-$$" </dev/null >/dev/null 2>"$WORK/stderr" || rc=$?
    ((rc == 0)) || NA[crun sandbox]="n/a (exit $rc: $(head -n1 "$WORK/stderr"))"
}

namespace_section() {
    make_bundle
    verify_sandboxes
    time_section namespaces "$NS_RUNS" \
        "/bin/true|/bin/true" \
        "pid1 -fp --mount-proc|$PID1 -fp --mount-proc /bin/true" \
        "unshare -fp --mount-proc|unshare -fp --mount-proc /bin/true" \
        "pid1 --unshare-all|$PID1 --unshare-all /bin/true" \
        "unshare -Urmuipnf --mount-proc|unshare -Urmuipnf --mount-proc /bin/true" \
        "bwrap --unshare-all|bwrap --unshare-all --ro-bind / / /bin/true" \
        "pid1 sandbox|$PID1_SANDBOX /bin/true" \
        "crun sandbox|crun run -b $WORK/bundle bench-$$"
}

# --- footprint: size, and what each init costs while it supervises sleep ---------------------------------
wait_child() {
    local pid=$1 name=$2
    for _ in $(seq 1000); do
        for c in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
            [[ $(cat "/proc/$c/comm" 2>/dev/null) == "$name" ]] && return 0
        done
        sleep 0.01
    done
    return 1
}

footprint_section() {
    for pair in "${INITS[@]}"; do
        local label=${pair%%|*} cmd=${pair#*|}
        local binary
        binary=$(command -v "${cmd%% *}")
        local size linkage
        size=$(stat -c %s "$binary")
        linkage=$(file -b "$binary" | grep -o 'statically linked\|dynamically linked')
        $cmd /bin/sleep 1000 </dev/null >/dev/null 2>&1 &
        local pid=$!
        if ! wait_child "$pid" sleep; then
            printf '%s\t%s\n' "$label" "n/a (sleep never started)"
            kill -KILL "$pid" 2>/dev/null || true
            continue
        fi
        # Twice: as soon as sleep runs, and idle half a second later (pid1 drops its clean code pages from its
        # page tables after 100 ms without a signal; the peers read the same both times).
        local start_rss rss pss threads
        start_rss=$(awk '/^Rss:/ {print $2}' "/proc/$pid/smaps_rollup")
        sleep 0.5
        rss=$(awk '/^Rss:/ {print $2}' "/proc/$pid/smaps_rollup")
        pss=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
        threads=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")
        kill -TERM "$pid"
        wait "$pid" 2>/dev/null || true
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$size" "$linkage" "$start_rss" "$rss" "$pss" "$threads"
    done >"$RAW/footprint.tsv"
}

# --- reaping: every init as PID 1 of its own pid namespace, so all of them reap as init ----------------
reaping_section() {
    : >"$RAW/reaping.txt"
    for ((round = 1; round <= ROUNDS; round++)); do
        local order=("${INITS[@]}")
        if ((round % 2 == 0)); then order=(); for ((i = ${#INITS[@]} - 1; i >= 0; i--)); do order+=("${INITS[i]}"); done; fi
        for pair in "${order[@]}"; do
            local label=${pair%%|*} cmd=${pair#*|}
            note "reaping: $label, $ORPHANS orphans (round $round)"
            local line rc=0
            line=$(unshare -fp --mount-proc ${cmd% -s} "$WORK/orphans" "$ORPHANS" </dev/null 2>"$WORK/stderr") || rc=$?
            if ((rc != 0)) || [[ -z $line ]]; then line="n/a (exit $rc: $(head -n1 "$WORK/stderr"))"; fi
            printf '%s\t%s\n' "$label" "$line" >>"$RAW/reaping.txt"
        done
    done
}

# --- signals: SIGTERM -> exit, and forwarded round trips per second ----------------------------------------
# "none" runs the same harness without an init (env execs the program): the floor the machine allows.
signals_section() {
    : >"$RAW/signals.txt"
    for pair in "none|env" "${INITS[@]}"; do
        local label=${pair%%|*} cmd=${pair#*|} term idle rate rc=0
        note "signals: $label"
        # shellcheck disable=SC2086
        term=$("$WORK/signals" term "$TERM_RUNS" $cmd 2>"$WORK/stderr") || rc=$?
        ((rc == 0)) || term="n/a (exit $rc: $(head -n1 "$WORK/stderr"))"
        rc=0
        # shellcheck disable=SC2086
        idle=$("$WORK/signals" idle-term "$IDLE_TERM_RUNS" $cmd 2>"$WORK/stderr") || rc=$?
        ((rc == 0)) || idle="n/a (exit $rc: $(head -n1 "$WORK/stderr"))"
        rc=0
        # shellcheck disable=SC2086
        rate=$("$WORK/signals" rate "$RATE_COUNT" $cmd 2>"$WORK/stderr") || rc=$?
        ((rc == 0)) || rate="n/a (exit $rc: $(head -n1 "$WORK/stderr"))"
        printf '%s\t%s\t%s\t%s\n' "$label" "$term" "$rate" "$idle" >>"$RAW/signals.txt"
    done
}


startup_section() {
    local pairs=("/bin/true|/bin/true")
    for pair in "${INITS[@]}"; do pairs+=("${pair%%|*}|${pair#*|} /bin/true"); done
    time_section startup "$RUNS" "${pairs[@]}"
}

# --- results.md and the plot --------------------------------------------------------------------------------
# "key=value ..." -> value of key
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

timing_table() {
    echo "| command | × /bin/true | rounds | median ms | min ms | max ms |"
    echo "|---|---:|---:|---:|---:|---:|"
    awk -F'\t' '{ if (NF == 2) printf "| %s | %s | | | | |\n", $1, $2; else printf "| %s | **%s** | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$1"
}

footprint_table() {
    echo "| init | binary bytes | linkage | RSS at start KiB | idle RSS KiB | idle PSS KiB | threads |"
    echo "|---|---:|---|---:|---:|---:|---:|"
    awk -F'\t' '{ if (NF == 2) printf "| %s | %s | | | | | |\n", $1, $2; else printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$RAW/footprint.tsv"
}

reaping_table() {
    echo "| init | CPU µs per orphan (rounds) | zombies left | drain ms after the last orphan |"
    echo "|---|---:|---:|---:|"
    for pair in "${INITS[@]}"; do
        local label=${pair%%|*} cpu=() zombies=() drain=()
        while IFS=$'\t' read -r l line; do
            [[ $l == "$label" ]] || continue
            if [[ $line == n/a* ]]; then cpu+=("$line"); continue; fi
            cpu+=("$(awk -v c="$(field "$line" init_cpu_ns)" -v n="$(field "$line" orphans)" 'BEGIN { printf "%.2f", c / n / 1000 }')")
            zombies+=("$(field "$line" zombies_left)")
            drain+=("$(field "$line" drain_ms)")
        done <"$RAW/reaping.txt"
        local IFS='/'
        printf '| %s | %s | %s | %s |\n' "$label" "${cpu[*]}" "${zombies[*]:-}" "${drain[*]:-}"
    done
}

signals_table() {
    echo "| init | SIGTERM → exit median µs | min–max µs | child left running | after 0.2 s idle: median µs | forwarded USR1 round trip median µs | round trips per s |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    while IFS=$'\t' read -r label term rate idle; do
        local t1 t2 t3 i1 r1 r2
        if [[ $term == n/a* ]]; then t1=$term t2="" t3=""; else
            t1=$(field "$term" median_us) t2="$(field "$term" min_us)–$(field "$term" max_us)"
            t3="$(field "$term" child_survived) of $(field "$term" runs)"
        fi
        if [[ ${idle:-n/a} == n/a* ]]; then i1=${idle:-n/a}; else i1=$(field "$idle" median_us); fi
        if [[ $rate == n/a* ]]; then r1=$rate r2=""; else r1=$(field "$rate" median_us) r2=$(field "$rate" rate_per_s); fi
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$t1" "$t2" "$t3" "$i1" "$r1" "$r2"
    done <"$RAW/signals.txt"
}

versions() {
    echo "| tool | version |"
    echo "|---|---|"
    echo "| pid1 | $("$PID1" --version 2>/dev/null | head -n1) (git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')) |"
    for p in tini dumb-init catatonit bubblewrap crun util-linux hyperfine busybox-static; do
        echo "| $p | $(dpkg-query -W -f '${Version}' "$p" 2>/dev/null) |"
    done
}

write_results() {
    local cpu
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    {
        echo "# pid1 benchmarks"
        echo
        echo "Written by \`bench/run.sh$( ((QUICK)) && echo ' --quick')\` on $(date -u +%Y-%m-%d). Machine: $(nproc) CPUs ($cpu), kernel $(uname -r),"
        echo "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM$( ((HIDDEN_UNIFIED)) && echo ', hybrid cgroups (cgroup2 controllers hidden for crun, see run.sh)')."
        echo "Times are ratios to a bare \`/bin/true\` timed in the same hyperfine call (\`hyperfine -N --warmup $WARMUP\`, $RUNS runs per"
        echo "command and round for startup, $NS_RUNS for namespaces). hyperfine runs each command's runs back to back, so the set"
        echo "runs $ROUNDS times, forward then reversed; **×** pools the rounds (median of all runs ÷ median of /bin/true),"
        echo "\"rounds\" shows each round's ratio: rounds that disagree mean the machine drifted. A shared machine is noisy:"
        echo "read ratios, not milliseconds."
        echo
        echo "## Startup: \`X /bin/true\`"
        echo
        timing_table "$RAW/startup.tsv"
        echo
        echo "![startup and namespace launch, × /bin/true](results.svg)"
        echo
        echo "## Namespace launch"
        echo
        echo "pid1 sandbox: \`pid1 -p -i -u -n --rootfs ROOT --user 65534 --memory 64m /bin/true\`; crun: \`crun run\` of a"
        echo "bundle with the same busybox root, user 65534, memory limit 64 MiB, pid/mount/ipc/uts/net namespaces and /proc."
        echo "Both are first checked to really run in that root as that user."
        echo
        timing_table "$RAW/namespaces.tsv"
        echo
        echo "## Footprint while supervising \`sleep 1000\`"
        echo
        echo "RSS and PSS from /proc/PID/smaps_rollup of the init itself, as soon as sleep runs and again 0.5 s later (idle); dynamically linked peers also map libc."
        echo
        footprint_table
        echo
        echo "## Reaping: $ORPHANS orphans"
        echo
        echo "Each init runs as PID 1 of its own pid namespace (\`unshare -fp --mount-proc INIT orphans N\`), so all of them"
        echo "reap as init. bench/orphans.c makes the orphans in batches of 100 (fork, vfork ×100, exit) as fast as it"
        echo "can, then waits until no zombie is left (10 s at most). CPU is the init's own (all threads, schedstat),"
        echo "from the first orphan to the end; one value per round."
        echo
        reaping_table
        echo
        echo "## Signals"
        echo
        echo "bench/signals.c: SIGTERM → exit starts \`INIT /bin/sleep 1000\` $TERM_RUNS times, waits until sleep runs, and"
        echo "times kill(init, SIGTERM) until waitpid returns; \"child left running\" counts runs where the init exited but"
        echo "sleep did not (the init died of the signal instead of forwarding it). \"After 0.2 s idle\": the same, $IDLE_TERM_RUNS times,"
        echo "with the init left idle for 200 ms before the SIGTERM, as a real one finds it (pid1 has then dropped its"
        echo "read-only pages, and faults back what its exit path needs). Round trip: $RATE_COUNT times, SIGUSR1 to the init, forwarded to a"
        echo "child that answers with SIGUSR2 straight to the harness; one signal in flight, so none merges. \"none\" is the"
        echo "harness without an init: the floor."
        echo
        signals_table
        echo
        echo "## Versions"
        echo
        versions
    } >"$BENCH/results.md"
}

plot() {
    { tail -n +2 "$RAW/startup.tsv"; tail -n +2 "$RAW/namespaces.tsv"; } | awk -F'\t' 'NF > 2 { printf "\"%s\" %s %d\n", $1, $2, ($1 ~ /^pid1/ ? 14513971 : 4487082) }' >"$WORK/ratios.dat"
    gnuplot <<GNUPLOT
set terminal svg size 900,420 font "sans,11" background "white"
set output "$BENCH/results.svg"
set title "Start a program and wait for it: time ÷ bare /bin/true (lower is better)"
set style fill solid 0.8 border -1
set boxwidth 0.7
set yrange [0:*]
set grid ytics
set xtics rotate by -30 left noenhanced
set key off
# pid1's bars orange, the peers' blue
plot "$WORK/ratios.dat" using 0:2:3:xtic(1) with boxes lc rgb variable, "" using 0:2:(sprintf("%.2f", \$2)) with labels offset 0,0.7
GNUPLOT
}

if ((REPORT_ONLY)); then
    # shellcheck source=/dev/null
    source "$RAW/params.env"
    write_results
    plot
    exit 0
fi

rm -f "$RAW"/*.json "$RAW"/*.tsv "$RAW"/*.txt "$RAW"/params.env
declare -p QUICK RUNS NS_RUNS WARMUP ORPHANS TERM_RUNS IDLE_TERM_RUNS RATE_COUNT ROUNDS HIDDEN_UNIFIED | sed 's/^declare -- //' >"$RAW/params.env"
note "pid1: $PID1; $ROUNDS rounds"
startup_section
namespace_section
footprint_section
reaping_section
signals_section
write_results
plot
note "wrote bench/results.md and bench/results.svg"

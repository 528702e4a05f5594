# Shared machinery of the nginx benchmarks (sourced by bench/bench-scale.sh;
# bench/bench.sh has its own copy of the same method): CPU placement, nginx
# start/stop by pid file, wrk runs measured by the worker's CPU time, and
# medians. Bash; needs wrk, curl, awk, and taskset for the placement.
#
# Method (as bench.sh): one nginx worker pinned to the first usable CPU,
# wrk -t1 pinned to the second, so they never compete for a core; the
# worker's CPU time per request comes from /proc/PID/stat and does not
# depend on whether wrk or nginx is the bottleneck; the machine's other
# load during each run is reported as a noise indicator.

bench_die() { echo "bench: $*" >&2; exit 2; }

# Sets bench_affinity (a worker_cpu_affinity line or ""), bench_wrk_pin (a
# command prefix) and bench_placement (text).
bench_place_cpus() {
    local cpus=() list part c i mask
    bench_affinity="" bench_wrk_pin=()
    bench_placement="not pinned (fewer than 2 usable CPUs or no taskset)"
    command -v taskset >/dev/null || return 0
    list=$(awk '/^Cpus_allowed_list/ {print $2}' /proc/self/status)
    for part in ${list//,/ }; do
        if [[ $part == *-* ]]; then
            for ((c = ${part%-*}; c <= ${part#*-}; c++)); do cpus+=("$c"); done
        else
            cpus+=("$part")
        fi
    done
    [ "${#cpus[@]}" -ge 2 ] || return 0
    mask=1
    for ((i = 0; i < cpus[0]; i++)); do mask+=0; done
    bench_affinity="worker_cpu_affinity $mask;"
    bench_wrk_pin=(taskset -c "${cpus[1]}")
    bench_placement="nginx worker on CPU ${cpus[0]}, wrk on CPU ${cpus[1]}"
}

bench_stop_nginx() {   # pidfile
    local pid
    [ -f "$1" ] || return 0
    pid=$(cat "$1" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$1"
}

# Starts nginx on a prefix and config and waits until url answers.
bench_start_nginx() {   # nginx prefix conf url
    "$1" -p "$2" -c "$3" -t -q || bench_die "nginx -t failed for $3"
    "$1" -p "$2" -c "$3"
    for _ in $(seq 50); do
        curl -s -o /dev/null "$4" && return 0
        sleep 0.1
    done
    bench_die "nginx ($3) does not answer $4"
}

bench_worker_pid() {   # pidfile
    local pid
    pid=$(pgrep -P "$(cat "$1")" | head -1)
    [ -n "$pid" ] || bench_die "no nginx worker process for $1"
    echo "$pid"
}

bench_worker_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Busy ticks of the whole machine (user+nice+system+irq+softirq+steal).
bench_machine_busy() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

# Prints "requests/s worker-us/request other-load-%" for one wrk run; the
# other load is the machine's CPU use by anything but this worker and wrk,
# as a share of one CPU.
bench_wrk() {   # url seconds worker_pid connections [header]
    local url=$1 d=$2 pid=$3 conns=$4 hdr=${5:-} out w0 w1 m0 m1 n wrk_ticks hz
    local args=(-t1 -c"$conns" -d"${d}s" --latency)
    [ -n "$hdr" ] && args+=(-H "$hdr")
    hz=$(getconf CLK_TCK)
    w0=$(bench_worker_ticks "$pid") m0=$(bench_machine_busy)
    out=$(bash -c '"$@" 2>&1; awk "{print \"wrk_ticks\", \$16 + \$17}" /proc/$$/stat' _ \
              "${bench_wrk_pin[@]}" wrk "${args[@]}" "$url")
    [ -r "/proc/$pid/stat" ] || bench_die "the nginx worker $pid died during a run on $url"
    w1=$(bench_worker_ticks "$pid") m1=$(bench_machine_busy)
    if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
        echo "bench: $url: wrk reported errors:" >&2
        grep -E 'Non-2xx|Socket errors' <<<"$out" >&2
    fi
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    wrk_ticks=$(awk '/^wrk_ticks/ {print $2}' <<<"$out")
    awk -v n="$n" -v t=$((w1 - w0)) -v o=$((m1 - m0 - (w1 - w0) - ${wrk_ticks:-0})) \
        -v hz="$hz" -v d="$d" \
        '/^Requests\/sec:/ {printf "%s %.1f %.0f\n", $2, (n > 0) ? t / hz * 1e6 / n : 0,
                            (o > 0 ? o : 0) / hz / d * 100}' <<<"$out"
}

bench_median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
bench_spread() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.0f-%.0f", lo, hi}'; }

# "Rss Pss Private_Dirty" of a process in MB, from /proc/PID/smaps_rollup.
bench_memory() {   # pid
    awk '/^(Rss|Pss|Private_Dirty):/ {v[$1] = $2 / 1024}
         END {printf "%.1f %.1f %.1f\n", v["Rss:"], v["Pss:"], v["Private_Dirty:"]}' "/proc/$1/smaps_rollup"
}

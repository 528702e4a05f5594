# shellcheck shell=bash
# Shared machinery of the nginx benchmarks (sourced by bench/bench.sh and
# bench/bench-scale.sh): prerequisites, the nginx.conf parts they share, CPU
# placement, nginx start/stop by pid file, wrk runs measured by the worker's
# CPU time, medians and the report of the machine's other load. Bash; needs
# wrk, curl, awk, and taskset for the placement.
#
# Method: one nginx worker pinned to the first usable CPU, wrk -t1 pinned to
# the second, so they never compete for a core; the worker's CPU time per
# request comes from /proc/PID/stat and does not depend on whether wrk or
# nginx is the bottleneck; the machine's other load during each run is
# reported as a noise indicator.

bench_die() { echo "bench: $*" >&2; exit 2; }

bench_require_tools() {   # command...
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || bench_die "$tool not found"
    done
}

# nginx maps the module file: a rebuild that rewrites build/*.so in place
# while a bench runs would kill the worker (SIGBUS). Load a private copy,
# put in place by rename so that a running nginx keeps its inode.
bench_private_module() {   # module.so destination.so
    cp "$1" "$2.tmp.$$"
    mv -f "$2.tmp.$$" "$2"
}

bench_ports_free() {   # port...
    local p
    for p in "$@"; do
        ! curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$p/" \
            || bench_die "port $p is in use; set BENCH_PORT"
    done
}

# Sets bench_affinity (a worker_cpu_affinity line or ""), bench_wrk_pin and
# bench_worker_pin (command prefixes: wrk's CPU, the nginx worker's) and
# bench_placement (text).
bench_place_cpus() {
    local cpus=() list part c i mask
    bench_affinity="" bench_wrk_pin=() bench_worker_pin=()
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
    bench_worker_pin=(taskset -c "${cpus[0]}")
    bench_placement="nginx worker on CPU ${cpus[0]}, wrk on CPU ${cpus[1]}"
}

# The parts of nginx.conf every bench shares, for a prefix directory with a
# tmp/ in it: one worker placed by bench_place_cpus (call it first), and an
# http block with keepalive, no access log and no temp files outside the
# prefix; bench_conf_proxy is a location's proxying to "upstream origin",
# with buffers large enough for the bench page (no temp files).
bench_conf_main() {   # prefix
    cat <<EOF
worker_processes  1;
$bench_affinity
pid               $1/nginx.pid;
error_log         $1/error.log warn;

events {
    worker_connections  1024;
}
EOF
}

bench_conf_http() {   # prefix
    cat <<EOF
    include        /etc/nginx/mime.types;
    default_type   application/octet-stream;
    access_log     off;
    sendfile       on;
    keepalive_requests  1000000;
    keepalive_timeout   60s;

    client_body_temp_path  $1/tmp/body;
    proxy_temp_path        $1/tmp/proxy;
    fastcgi_temp_path      $1/tmp/fastcgi;
    uwsgi_temp_path        $1/tmp/uwsgi;
    scgi_temp_path         $1/tmp/scgi;
EOF
}

bench_conf_proxy() {
    cat <<EOF
            proxy_pass                 http://origin;
            proxy_http_version         1.1;
            proxy_set_header           Connection "";
            proxy_set_header           Accept-Encoding "";
            proxy_buffering            on;
            proxy_buffer_size          16k;
            proxy_buffers              64 16k;
            proxy_busy_buffers_size    64k;
            proxy_max_temp_file_size   0;
EOF
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

# "user system" CPU ticks of a process so far.
bench_worker_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }

# Busy ticks of the whole machine (user+nice+system+irq+softirq+steal).
bench_machine_busy() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

# Prints "requests/s worker-us/request other-load-% worker-user-us/request"
# for one wrk run (the worker's system time per request is the difference of
# the two); the other load is the machine's CPU use by anything but this
# worker and wrk, as a share of one CPU.
bench_wrk() {   # url seconds worker_pid connections [header]
    local url=$1 d=$2 pid=$3 conns=$4 hdr=${5:-} out u0 s0 u1 s1 m0 m1 n wrk_ticks hz
    local args=(-t1 -c"$conns" -d"${d}s" --latency)
    [ -n "$hdr" ] && args+=(-H "$hdr")
    hz=$(getconf CLK_TCK)
    read -r u0 s0 < <(bench_worker_ticks "$pid")
    m0=$(bench_machine_busy)
    out=$(bash -c '"$@" 2>&1; awk "{print \"wrk_ticks\", \$16 + \$17}" /proc/$$/stat' _ \
              "${bench_wrk_pin[@]}" wrk "${args[@]}" "$url")
    [ -r "/proc/$pid/stat" ] || bench_die "the nginx worker $pid died during a run on $url (see its error.log)"
    read -r u1 s1 < <(bench_worker_ticks "$pid")
    m1=$(bench_machine_busy)
    if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
        echo "bench: $url: wrk reported errors:" >&2
        grep -E 'Non-2xx|Socket errors' <<<"$out" >&2
    fi
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    wrk_ticks=$(awk '/^wrk_ticks/ {print $2}' <<<"$out")
    awk -v n="$n" -v t=$((u1 + s1 - u0 - s0)) -v u=$((u1 - u0)) \
        -v o=$((m1 - m0 - (u1 + s1 - u0 - s0) - ${wrk_ticks:-0})) -v hz="$hz" -v d="$d" \
        '/^Requests\/sec:/ {printf "%s %.1f %.0f %.1f\n", $2, (n > 0) ? t / hz * 1e6 / n : 0,
                            (o > 0 ? o : 0) / hz / d * 100, (n > 0) ? u / hz * 1e6 / n : 0}' <<<"$out"
}

# "met" or "NOT met": whether x reaches the target t (at least t; with
# "max", at most t).
bench_verdict() { awk -v x="$1" -v t="$2" -v m="${3:-min}" 'BEGIN {print ((m == "max") ? x <= t : x >= t) ? "met" : "NOT met"}'; }

bench_median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
bench_min() { tr ' ' '\n' | grep . | sort -g | head -1; }
bench_spread() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.0f-%.0f", lo, hi}'; }

# The other-load line of a report, from the third fields of bench_wrk's
# runs, and a warning when other jobs used more than a tenth of a CPU.
bench_report_other_load() {   # "load-% ..." [text appended to the line]
    local med max
    med=$(bench_median <<<"$1")
    max=$(tr ' ' '\n' <<<"$1" | grep . | sort -g | tail -1)
    echo "other load during the runs: median ${med}%, max ${max}% of one CPU${2:-}"
    if awk -v m="$max" 'BEGIN {exit !(m > 10)}'; then
        echo "WARNING: other jobs used the CPUs during the runs; the figures are noisy (rerun on a quiet machine)"
    fi
}

# "Rss Pss Private_Dirty" of a process in MB, from /proc/PID/smaps_rollup.
bench_memory() {   # pid
    awk '/^(Rss|Pss|Private_Dirty):/ {v[$1] = $2 / 1024}
         END {printf "%.1f %.1f %.1f\n", v["Rss:"], v["Pss:"], v["Private_Dirty:"]}' "/proc/$1/smaps_rollup"
}

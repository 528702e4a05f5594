#!/usr/bin/env bash
# make bench: throughput of the consent gate against a plain proxy and against
# the same stripping done with subs_filter regexes, on a ~350 KB booking page
# carrying ~40 tracker elements (bench/make-page.pl).
#
# One nginx (prefix build/bench/) with six server blocks on 127.0.0.1:
#   origin  BENCH_PORT     serves build/bench/page.html as a static file
#   A       BENCH_PORT+1   gate off: plain proxy to the origin
#   B       BENCH_PORT+2   gate on, site air-booking; no consent cookie, so
#                          every tracker element is stripped (the worst case);
#                          also run with "Cookie: consent=all" (nothing goes)
#   C       BENCH_PORT+3   subs_filter: one regex per tag pattern, built from
#                          the same rules (bench/subs-filter-conf.pl), with
#                          pcre_jit on (the strongest subs_filter)
#   D       BENCH_PORT+4   gate on, consent_action neutralize, no consent
#   E       BENCH_PORT+5   gate on, consent from OneTrust + TCF cookies that
#                          grant nothing (the cost of decoding them)
#   F       BENCH_PORT+8   gate on, consent_csp enforce, "Cookie: consent=all"
#                          (the longest policy: every recipient's hosts);
#                          compared with B' (the same without the header)
#   G       BENCH_PORT+9   the edge, gate off: TLS (a throwaway certificate
#                          made here with openssl), gzip on at level 1 for a
#                          client sending "Accept-Encoding: gzip", the origin
#                          over upstream keepalive, as operators run it
#   H       BENCH_PORT+10  the edge, gate on, no consent
# and a second nginx (prefix build/bench/nojit/) for the same subs_filter as
# nginx runs it by default, pcre_jit off (a main-context directive):
#   origin  BENCH_PORT+6   the same static page
#   C0      BENCH_PORT+7   subs_filter, pcre_jit off
# The fronts share proxy settings: HTTP/1.1 and upstream keepalive, identical
# proxy buffers (the page fits in memory, no temp files), no compression
# from the origin (the edge compresses its own output).
#
# worker_processes 1: the machine has 2 cores; the single worker (origin and
# front in the same process, identical for every variant) is pinned to one
# core and wrk (-t1) to the other, so the two never compete for a core and
# the figures are the per-core throughput of the filter chain. The second
# nginx pins its worker to the same core; it idles while the first one is
# measured, and the other way round. The origin's share is in every variant,
# which pulls all ratios towards 1.
#
# Measurement: warm-up, then BENCH_ROUNDS rounds of interleaved wrk runs
# (A B B' C A B B' C ...), BENCH_SECONDS each; the table shows the median
# requests/s per variant and the median CPU time the nginx worker spent per
# request (from /proc; meaningful even if wrk, not nginx, is the limit;
# "+us vs off" is then the filter's own cost per page). In each round the gate
# driver (build/bench/gate-driver: the same sources, pinned to the worker's
# CPU) also times one classification pass over the page
# (cs_gate_classify_pass(): the skipper's byte classification, the limit of
# any gate that reads every byte) and the gate alone. The targets (issue
# 15: the gate's own CPU per page <= 2.5 x the pass; edge on / off >= 0.95;
# raw on / off >= 0.80; subs_filter's own CPU per page >= 15 x the gate's;
# and gate on >= 5 x subs_filter by requests/s) are printed, never
# enforced. The run fails only when
# the setup is wrong: nginx does not start, a response is not 200, or the
# subs_filter output does not match the gate's (the comparison would be
# meaningless).
#
# Environment: BENCH_SECONDS (10), BENCH_ROUNDS (5), BENCH_WARMUP (3),
# BENCH_CONNECTIONS (16), BENCH_PORT (18080; uses 11 ports from there),
# BENCH_DRIVER_ITERATIONS (300, pages per round), BENCH_MODULE (the module
# to load: build/ngx_http_consent_module.so; another build's, to compare
# two), NGINX (/usr/sbin/nginx),
# SUBS_MODULE (/usr/lib/nginx/modules/ngx_http_subs_filter_module.so).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"

bench=$root/build/bench
module=${BENCH_MODULE:-$root/build/ngx_http_consent_module.so}
consentctl=$root/build/consentctl
nginx=${NGINX:-/usr/sbin/nginx}
subs_module=${SUBS_MODULE:-/usr/lib/nginx/modules/ngx_http_subs_filter_module.so}

seconds=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-5}
warmup=${BENCH_WARMUP:-3}
conns=${BENCH_CONNECTIONS:-16}
port=${BENCH_PORT:-18080}
p_origin=$port p_off=$((port + 1)) p_on=$((port + 2)) p_subs=$((port + 3))
p_neu=$((port + 4)) p_cmp=$((port + 5)) p_origin0=$((port + 6)) p_subs0=$((port + 7))
p_csp=$((port + 8)) p_eoff=$((port + 9)) p_eon=$((port + 10))
driver=$root/build/bench/gate-driver
driver_iters=${BENCH_DRIVER_ITERATIONS:-300}
# a real-shaped OneTrust cookie (strictly necessary only) and a TC string:
# the CMP variant pays for decoding them and still strips everything
cmp_cookie='OptanonConsent=isGpcEnabled=0&datestamp=Mon+Sep+01+2025+16%3A10%3A37+GMT%2B0530+(India+Standard+Time)&version=202505.1.0&browserGpcFlag=0&isIABGlobal=false&hosts=&consentId=56f5c5c8-9304-4e13-9611-2112b05715e1&interactionCount=1&isAnonUser=1&landingPath=NotLandingPage&groups=C0001%3A1%2CC0003%3A0%2CC0002%3A0%2CC0004%3A0&AwaitingReconsent=false&geolocation=IN%3BKL; euconsent-v2=CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA'

for f in "$module" "$consentctl" "$driver"; do
    [ -e "$f" ] || bench_die "$f missing: run make first"
done
[ -x "$nginx" ] || bench_die "no nginx at $nginx"
[ -e "$subs_module" ] || bench_die "no subs_filter module at $subs_module (apt-get install libnginx-mod-http-subs-filter)"
bench_require_tools wrk curl perl openssl

mkdir -p "$bench/tmp" "$bench/out" "$bench/nojit/tmp"
bench_private_module "$module" "$bench/ngx_http_consent_module.so"

# ---- inputs: page, rules, the regex competitor ----
perl "$root/bench/make-page.pl" "$bench/page.html"
"$consentctl" compile "$root/rules/ana.yaml" -o "$bench/rules.mdb" >/dev/null
"$consentctl" dump "$bench/rules.mdb" > "$bench/rules.dump"
perl "$root/bench/subs-filter-conf.pl" --conf < "$bench/rules.dump" > "$bench/subs_filter.conf"
perl "$root/bench/subs-filter-conf.pl" --host-regex < "$bench/rules.dump" > "$bench/hosts.re"
# the edge's throwaway certificate (P-256, as most TLS sites now serve)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=localhost -keyout "$bench/edge.key" -out "$bench/edge.crt" 2>/dev/null \
    || bench_die "openssl could not make the edge's certificate"

# ---- CPU placement: nginx worker on one core, wrk on another ----
bench_place_cpus

# ---- nginx.conf ----
proxy_common=$'\n'$(bench_conf_proxy)

# the origin, and the upstream the fronts proxy to
origin_conf() {   # port
    cat <<EOF
    upstream origin {
        server     127.0.0.1:$1;
        keepalive  64;
        keepalive_requests  1000000;
    }

    # origin: the page as the application would serve it
    server {
        listen  127.0.0.1:$1;
        root    $bench;
        open_file_cache  max=16 inactive=60s;
        location = / { try_files /page.html =404; }
    }
EOF
}

# a front stripping the tracker elements with subs_filter regexes
subs_conf() {   # port
    cat <<EOF
    server {
        listen  127.0.0.1:$1;
        location / {$proxy_common
            # subs_filter_types defaults to text/html, the page's type
            include  $bench/subs_filter.conf;
        }
    }
EOF
}

# the edge: TLS and gzip in front of the same upstream, gate off or on
edge_conf() {   # port off|on
    local gate=""
    [ "$2" = on ] && gate=$'\n        consent         on;\n        consent_site    air-booking;'
    cat <<EOF
    server {
        listen  127.0.0.1:$1 ssl;
        ssl_certificate      $bench/edge.crt;
        ssl_certificate_key  $bench/edge.key;
        ssl_session_cache    shared:edge$2:1m;
        gzip               on;
        gzip_comp_level    1;
        # gzip_types: text/html, always compressed$gate
        location / {$proxy_common
        }
    }
EOF
}

cat > "$bench/nginx.conf" <<EOF
# generated by bench/bench.sh
load_module $subs_module;
load_module $bench/ngx_http_consent_module.so;   # copy of build/ngx_http_consent_module.so

$(bench_conf_main "$bench")
pcre_jit          on;          # nginx's regexes (subs_filter); the gate JITs its own

http {
$(bench_conf_http "$bench")

    consent_rules  $bench/rules.mdb;

$(origin_conf "$p_origin")

    # A: gate off, plain proxy
    server {
        listen  127.0.0.1:$p_off;
        location / {$proxy_common
        }
    }

    # B: gate on
    server {
        listen  127.0.0.1:$p_on;
        consent         on;
        consent_site    air-booking;
        consent_cookie  consent;
        location / {$proxy_common
        }
    }

    # D: gate on, neutralize instead of strip
    server {
        listen  127.0.0.1:$p_neu;
        consent         on;
        consent_site    air-booking;
        consent_action  neutralize;
        location / {$proxy_common
        }
    }

    # E: gate on, consent read from a consent manager's cookies
    server {
        listen  127.0.0.1:$p_cmp;
        consent         on;
        consent_site    air-booking;
        consent_cookie  OptanonConsent onetrust;
        consent_cookie  euconsent-v2 tcf;
        consent_cookie  consent;
        location / {$proxy_common
        }
    }

    # F: gate on with the policy header of the decision
    server {
        listen  127.0.0.1:$p_csp;
        consent         on;
        consent_site    air-booking;
        consent_csp     enforce;
        location / {$proxy_common
        }
    }

    # G, H: the edge, gate off and on: TLS, gzip level 1
$(edge_conf "$p_eoff" off)
$(edge_conf "$p_eon" on)

    # C: subs_filter stripping the same elements with regexes
$(subs_conf "$p_subs")
}
EOF

# C0: subs_filter as nginx runs it by default, in an nginx of its own
cat > "$bench/nojit/nginx.conf" <<EOF
# generated by bench/bench.sh
load_module $subs_module;

$(bench_conf_main "$bench/nojit")
pcre_jit          off;

http {
$(bench_conf_http "$bench/nojit")

$(origin_conf "$p_origin0")

    # C0: subs_filter, pcre_jit off
$(subs_conf "$p_subs0")
}
EOF

# ---- start / stop ----
pidfile=$bench/nginx.pid pidfile0=$bench/nojit/nginx.pid
bench_stop_nginx "$pidfile"                  # leftovers from an aborted run
bench_stop_nginx "$pidfile0"
trap 'bench_stop_nginx "$pidfile"; bench_stop_nginx "$pidfile0"' EXIT
trap 'exit 130' INT TERM

bench_ports_free "$p_origin" "$p_off" "$p_on" "$p_subs" "$p_neu" "$p_cmp" "$p_origin0" "$p_subs0" "$p_csp" \
    "$p_eoff" "$p_eon"

: > "$bench/error.log"
: > "$bench/nojit/error.log"
bench_start_nginx "$nginx" "$bench" "$bench/nginx.conf" "http://127.0.0.1:$p_origin/"
bench_start_nginx "$nginx" "$bench/nojit" "$bench/nojit/nginx.conf" "http://127.0.0.1:$p_origin0/"

# ---- one response per variant: sizes and the like-for-like check ----
fetch() {   # name port [header]
    local name=$1 port=$2 code
    shift 2
    code=$(curl -s -o "$bench/out/$name.html" -w '%{http_code}' "$@" "http://127.0.0.1:$port/")
    [ "$code" = 200 ] || bench_die "$name: HTTP $code from 127.0.0.1:$port"
}
fetch origin "$p_origin"
fetch off    "$p_off"
fetch on     "$p_on"
fetch all    "$p_on" -H 'Cookie: consent=all'
fetch subs   "$p_subs"
fetch subs0  "$p_subs0"
fetch neu    "$p_neu"
fetch cmp    "$p_cmp" -H "Cookie: $cmp_cookie"
fetch csp    "$p_csp" -H 'Cookie: consent=all'
# the edge: what a browser gets, decompressed, and whether it came gzipped
fetch_edge() {   # name port
    local code
    code=$(curl -sk --compressed -D "$bench/out/$1.headers" -o "$bench/out/$1.html" -w '%{http_code}' \
               "https://127.0.0.1:$2/")
    [ "$code" = 200 ] || bench_die "$1: HTTP $code from https://127.0.0.1:$2/"
}
fetch_edge edge_off "$p_eoff"
fetch_edge edge_on  "$p_eon"

size() { stat -c %s "$1"; }
mentions() { perl -ne 'BEGIN { open my $f, "<", shift or die; chomp($re = <$f>) } $n++ while /$re/gio; END { print $n + 0 }' "$bench/hosts.re" "$1"; }
changed_lines() { diff "$1" "$2" | grep -c '^<' || true; }

read -r _ expect_elements < <(grep '^tracker_elements' "$bench/page.html.expect")
read -r _ expect_kept < <(grep '^kept_host_mentions' "$bench/page.html.expect")
o=$bench/out
origin_size=$(size "$o/origin.html")

echo
echo "== page: $origin_size bytes, $expect_elements tracker elements, $expect_kept tracker host names kept on purpose (links, JSON-LD)"
printf '%-34s %9s %9s %10s %14s\n' "response (one curl each)" bytes removed "elements" "host mentions"
for v in "origin:origin (static)" "off:A gate off" "on:B gate on, no consent" "all:B gate on, consent=all" "subs:C subs_filter" "subs0:C0 subs_filter, no pcre_jit" "neu:D neutralize, no consent" "cmp:E CMP cookies, no consent" "csp:F consent_csp, consent=all" "edge_off:G edge, gate off (gunzipped)" "edge_on:H edge, gate on (gunzipped)"; do
    f=$o/${v%%:*}.html
    printf '%-34s %9d %9d %10d %14d\n' "${v#*:}" "$(size "$f")" $((origin_size - $(size "$f"))) \
        "$(changed_lines "$o/origin.html" "$f")" "$(mentions "$f")"
done
echo "(elements = lines of the page that changed; every tracker element sits on a line of its own)"

verify_ok=1
check() {   # description condition...
    local what=$1
    shift
    if "$@"; then
        echo "  ok    $what"
    else
        echo "  FAIL  $what"
        verify_ok=0
    fi
}
echo
echo "== checks"
check "gate off returns the origin page unchanged" cmp -s "$o/origin.html" "$o/off.html"
check "gate on, consent=all returns the origin page unchanged" cmp -s "$o/origin.html" "$o/all.html"
check "consent_csp changes no byte of the body" cmp -s "$o/all.html" "$o/csp.html"
check "consent_csp sends the policy" bash -c "curl -s -o /dev/null -D - -H 'Cookie: consent=all' \
    http://127.0.0.1:$p_csp/ | grep -qi '^content-security-policy: default-src'"
check "gate on removes all $expect_elements tracker elements" \
    test "$(changed_lines "$o/origin.html" "$o/on.html")" -eq "$expect_elements"
check "gate on leaves only the $expect_kept kept host names" test "$(mentions "$o/on.html")" -eq "$expect_kept"
check "subs_filter leaves only the $expect_kept kept host names" test "$(mentions "$o/subs.html")" -eq "$expect_kept"
check "subs_filter output is byte-identical to the gate's" cmp -s "$o/on.html" "$o/subs.html"
check "subs_filter without pcre_jit gives the same output" cmp -s "$o/subs.html" "$o/subs0.html"
check "CMP cookies granting nothing strip like no consent" cmp -s "$o/on.html" "$o/cmp.html"
check "the edge sends gzip" grep -qi '^content-encoding: gzip' "$o/edge_off.headers"
check "the edge, gate on, sends gzip" grep -qi '^content-encoding: gzip' "$o/edge_on.headers"
check "the edge, gate off, returns the origin page unchanged" cmp -s "$o/origin.html" "$o/edge_off.html"
check "the edge, gate on, strips as B" cmp -s "$o/on.html" "$o/edge_on.html"
check "neutralize leaves no tracker script or pixel able to load" \
    test "$(grep -cE '<(script|img|iframe)[^>]* src="https://(connect\.facebook|www\.googletagmanager|static\.criteo)' "$o/neu.html")" -eq 0
if ! cmp -s "$o/on.html" "$o/subs.html"; then
    diff "$o/on.html" "$o/subs.html" | head -20 || true
fi

# ---- load ----
declare -A url=(
    [off]="http://127.0.0.1:$p_off/"
    [on]="http://127.0.0.1:$p_on/"
    [all]="http://127.0.0.1:$p_on/"
    [subs]="http://127.0.0.1:$p_subs/"
    [subs0]="http://127.0.0.1:$p_subs0/"
    [neu]="http://127.0.0.1:$p_neu/"
    [cmp]="http://127.0.0.1:$p_cmp/"
    [csp]="http://127.0.0.1:$p_csp/"
    [edge_off]="https://127.0.0.1:$p_eoff/"
    [edge_on]="https://127.0.0.1:$p_eon/"
)
declare -A hdr=([off]="" [on]="" [all]="Cookie: consent=all" [subs]="" [subs0]="" [neu]="" [cmp]="Cookie: $cmp_cookie" [csp]="Cookie: consent=all"
               [edge_off]="Accept-Encoding: gzip" [edge_on]="Accept-Encoding: gzip")
declare -A label=(
    [off]="A  gate off (plain proxy)"
    [on]="B  gate on, no consent (strip all)"
    [all]="B' gate on, consent=all (strip none)"
    [subs]="C  subs_filter regexes, pcre_jit on"
    [subs0]="C0 subs_filter regexes, pcre_jit off"
    [neu]="D  gate on, neutralize, no consent"
    [cmp]="E  gate on, OneTrust+TCF cookies"
    [csp]="F  gate on, consent_csp, consent=all"
    [edge_off]="G  edge (TLS, gzip 1), gate off"
    [edge_on]="H  edge (TLS, gzip 1), gate on"
)
variants=(off on all neu cmp csp edge_off edge_on subs subs0)
declare -A results=() cpu=() user=()
pass_us="" drv_us="" drv_plain_us=""
others=""

worker_pid=$(bench_worker_pid "$pidfile")
worker_pid0=$(bench_worker_pid "$pidfile0")
run_wrk() {   # variant duration
    local pid=$worker_pid
    [ "$1" = subs0 ] && pid=$worker_pid0
    bench_wrk "${url[$1]}" "$2" "$pid" "$conns" "${hdr[$1]}"
}

echo
echo "== load: wrk -t1 -c$conns, ${seconds}s x $rounds rounds per variant, interleaved; $bench_placement"
echo "warm-up (${warmup}s each) ..."
for v in "${variants[@]}"; do run_wrk "$v" "$warmup" >/dev/null; done
echo "each run: requests/s, worker CPU us/request, other load on the machine (% of one CPU)"
for ((r = 1; r <= rounds; r++)); do
    line="round $r:"
    for v in "${variants[@]}"; do
        read -r rps us other user_us < <(run_wrk "$v" "$seconds")
        [ -n "${rps:-}" ] || bench_die "wrk gave no result for $v"
        results[$v]+="$rps "
        cpu[$v]+="$us "
        user[$v]+="$user_us "
        others+="$other "
        line+=$(printf '  %s %6.1f/s %5.0fus %3s%%' "$v" "$rps" "$us" "$other")
    done
    # the limit, and the gate alone, on the worker's CPU while nginx idles:
    # the fastest of the driver's pages (other jobs only ever add time)
    read -r d_plain d_memo d_pass < <("${bench_worker_pin[@]}" "$driver" "$bench/rules.mdb" \
        "$bench/page.html" "$driver_iters" | awk '
            function fastest() { for (i = 1; i < NF; i++) if ($i == "fastest") return $(i + 1) }
            /^gate, no memo, fastest page:/ {p = $6}
            /^gate:/ {m = fastest()}
            /^classification pass:/ {c = fastest()}
            END {print p, m, c}')
    [ -n "${d_pass:-}" ] || bench_die "the gate driver gave no result"
    drv_plain_us+="$d_plain " drv_us+="$d_memo " pass_us+="$d_pass "
    line+=$(printf '  driver: gate %.0fus (no memo %.0fus), pass %.1fus' "$d_memo" "$d_plain" "$d_pass")
    echo "$line"
done

declare -A med mcpu muser
for v in "${variants[@]}"; do
    med[$v]=$(bench_median <<<"${results[$v]}")
    mcpu[$v]=$(bench_median <<<"${cpu[$v]}")
    muser[$v]=$(bench_median <<<"${user[$v]}")
done
mpass=$(bench_median <<<"$pass_us")
mdrv=$(bench_median <<<"$drv_us")
mdrv_plain=$(bench_median <<<"$drv_plain_us")
# the fastest round of each (the least disturbed by other jobs)
declare -A mincpu
for v in "${variants[@]}"; do
    mincpu[$v]=$(bench_min <<<"${cpu[$v]}")
done
mindrv=$(bench_min <<<"$drv_us")
mindrv_plain=$(bench_min <<<"$drv_plain_us")

echo
echo "== results (median of $rounds runs; $origin_size-byte page)"
printf '%-38s %9s %11s %8s %7s %14s %10s %13s\n' variant "req/s" "range" "MB/s" "vs off" "worker us/req" "+us vs off" "(user+sys)"
for v in "${variants[@]}"; do
    f=$o/$v.html
    t=off
    [[ $v == edge_* ]] && t=edge_off        # the edge against the edge
    printf '%-38s %9.1f %11s %8.1f %7.3f %14.0f %10.0f %13s\n' "${label[$v]}" "${med[$v]}" "$(bench_spread <<<"${results[$v]}")" \
        "$(awk -v r="${med[$v]}" -v s="$(size "$f")" 'BEGIN {print r * s / 1e6}')" \
        "$(awk -v a="${med[$v]}" -v b="${med[$t]}" 'BEGIN {print a / b}')" \
        "${mcpu[$v]}" "$(awk -v a="${mcpu[$v]}" -v b="${mcpu[$t]}" 'BEGIN {print a - b}')" \
        "$(awk -v c="${mcpu[$v]}" -v u="${muser[$v]}" -v co="${mcpu[$t]}" -v uo="${muser[$t]}" \
               'BEGIN {printf "%+.0f%+.0f", u - uo, (c - u) - (co - uo)}')"
done
echo "(worker us/req: CPU time of the single nginx worker per request, origin included;"
echo " it does not depend on whether wrk or nginx is the bottleneck; (user+sys) splits"
echo " +us vs off into the worker's user and system (kernel) time, medians of each;"
echo " \"off\" is A, for G and H it is G; MB/s counts the page uncompressed)"
bench_report_other_load "$others"
ratio_off=$(awk -v a="${med[on]}" -v b="${med[off]}" 'BEGIN {printf "%.3f", a / b}')
ratio_edge=$(awk -v a="${med[edge_on]}" -v b="${med[edge_off]}" 'BEGIN {printf "%.3f", a / b}')
ratio_subs=$(awk -v a="${med[on]}" -v b="${med[subs]}" 'BEGIN {printf "%.2f", a / b}')
ratio_subs0=$(awk -v a="${med[on]}" -v b="${med[subs0]}" 'BEGIN {printf "%.2f", a / b}')
# what a gate costing nothing would reach against each
bound_subs=$(awk -v a="${med[off]}" -v b="${med[subs]}" 'BEGIN {printf "%.2f", a / b}')
bound_subs0=$(awk -v a="${med[off]}" -v b="${med[subs0]}" 'BEGIN {printf "%.2f", a / b}')
# the same ratios from worker CPU per request: what the throughputs would be
# if the nginx core were the only limit; less sensitive to other load
cratio_off=$(awk -v a="${mcpu[on]}" -v b="${mcpu[off]}" 'BEGIN {printf "%.3f", (a > 0) ? b / a : 0}')
cratio_edge=$(awk -v a="${mcpu[edge_on]}" -v b="${mcpu[edge_off]}" 'BEGIN {printf "%.3f", (a > 0) ? b / a : 0}')
cratio_subs=$(awk -v a="${mcpu[on]}" -v b="${mcpu[subs]}" 'BEGIN {printf "%.2f", (a > 0) ? b / a : 0}')
cratio_subs0=$(awk -v a="${mcpu[on]}" -v b="${mcpu[subs0]}" 'BEGIN {printf "%.2f", (a > 0) ? b / a : 0}')
# gate on / gate off from the user time the gate adds, with the kernel time
# taken as equal (the same bytes and system calls): steadier than the above
# when the kernel's cost per request drifts between runs, as it does in VMs
uratio_off=$(awk -v o="${mcpu[off]}" -v u="${muser[on]}" -v uo="${muser[off]}" \
    'BEGIN {printf "%.3f", o / (o + u - uo)}')
uratio_edge=$(awk -v o="${mcpu[edge_off]}" -v u="${muser[edge_on]}" -v uo="${muser[edge_off]}" \
    'BEGIN {printf "%.3f", o / (o + u - uo)}')

# the filters' own CPU per page (worker CPU against its gate-off twin, same
# run), against one classification pass over the page: from the medians of
# the rounds, and from the fastest round of each variant
own() { awk -v a="${mcpu[$1]}" -v b="${mcpu[$2]}" 'BEGIN {printf "%.1f", a - b}'; }
own_min() { awk -v a="${mincpu[$1]}" -v b="${mincpu[$2]}" 'BEGIN {printf "%.1f", a - b}'; }
own_raw=$(own on off)
own_subs=$(own subs off)
per_pass() { awk -v a="$1" -v p="$mpass" 'BEGIN {printf "%.2f", (p > 0) ? a / p : 0}'; }
echo
echo "== the gate's own CPU per page against one classification pass over it (the limit; same run)"
printf '%-40s %11s %16s %11s %16s   %s\n' "" "us/page" "x the pass" "fastest" "x the pass" "target"
printf '%-40s %11.1f %16s %11s %16s   %s\n' "classification pass (gate driver)" "$mpass" "1" "" "" \
    "the driver's fastest page, median of the rounds"
for row in "B - A, loopback:$own_raw:$(own_min on off)" \
           "H - G, TLS + gzip 1:$(own edge_on edge_off):$(own_min edge_on edge_off)" \
           "driver, memo for the run:$mdrv:$mindrv" "driver, no memo:$mdrv_plain:$mindrv_plain"; do
    IFS=: read -r what us us_min <<<"$row"
    printf '%-40s %11.1f %16s %11.1f %16s   %s\n' "gate's own, $what" \
        "$us" "$(per_pass "$us") ($(bench_verdict "$(per_pass "$us")" 2.5 max))" \
        "$us_min" "$(per_pass "$us_min") ($(bench_verdict "$(per_pass "$us_min")" 2.5 max))" "<= 2.5"
done
subs_x=$(awk -v s="$own_subs" -v g="$own_raw" 'BEGIN {printf "%.1f", (g > 0) ? s / g : 0}')
subs_x_min=$(awk -v s="$(own_min subs off)" -v g="$(own_min on off)" 'BEGIN {printf "%.1f", (g > 0) ? s / g : 0}')
printf '%-40s %11.1f %16s %11.1f %16s   %s\n' "subs_filter's own, C - A (pcre_jit on)" \
    "$own_subs" "${subs_x}x gate ($(bench_verdict "$subs_x" 15))" \
    "$(own_min subs off)" "${subs_x_min}x gate ($(bench_verdict "$subs_x_min" 15))" ">= 15x the gate's own"
echo "(us/page: medians of the rounds; fastest: each variant's fastest round, the driver's"
echo " fastest page; the gate's own is the worker's CPU per request against its gate-off twin)"
echo
printf '%-24s %14s %20s   %s\n' "" "by req/s" "by worker CPU/req" "target"
printf '%-24s %14s %20s   %s\n' "gate on / gate off" "$ratio_off ($(bench_verdict "$ratio_off" 0.80))" \
    "$cratio_off ($(bench_verdict "$cratio_off" 0.80))" ">= 0.80 (raw loopback)"
printf '%-24s %14s %20s   %s\n' "  ... by user time" "" "$uratio_off ($(bench_verdict "$uratio_off" 0.80))" \
    ">= 0.80 (kernel time per request taken as equal)"
printf '%-24s %14s %20s   %s\n' "edge on / edge off" "$ratio_edge ($(bench_verdict "$ratio_edge" 0.95))" \
    "$cratio_edge ($(bench_verdict "$cratio_edge" 0.95))" ">= 0.95 (TLS, gzip 1)"
printf '%-24s %14s %20s   %s\n' "  ... by user time" "" "$uratio_edge ($(bench_verdict "$uratio_edge" 0.95))" \
    ">= 0.95 (kernel time per request taken as equal)"
printf '%-24s %14s %20s   %s\n' "gate on / subs_filter" "${ratio_subs}x ($(bench_verdict "$ratio_subs" 5))" \
    "${cratio_subs}x ($(bench_verdict "$cratio_subs" 5))" ">= 5x (pcre_jit on; a free gate: ${bound_subs}x)"
printf '%-24s %14s %20s   %s\n' "  ... pcre_jit off" "${ratio_subs0}x ($(bench_verdict "$ratio_subs0" 5))" \
    "${cratio_subs0}x ($(bench_verdict "$cratio_subs0" 5))" ">= 5x (nginx's default; a free gate: ${bound_subs0}x)"
printf '%-24s %14s %20s   %s\n' "neutralize / strip" \
    "$(awk -v a="${med[neu]}" -v b="${med[on]}" 'BEGIN {printf "%.3f", a / b}')" \
    "$(awk -v a="${mcpu[neu]}" -v b="${mcpu[on]}" 'BEGIN {printf "%.3f", (a > 0) ? b / a : 0}')" "~1"
printf '%-24s %14s %20s   %s\n' "CMP cookies / list" \
    "$(awk -v a="${med[cmp]}" -v b="${med[on]}" 'BEGIN {printf "%.3f", a / b}')" \
    "$(awk -v a="${mcpu[cmp]}" -v b="${mcpu[on]}" 'BEGIN {printf "%.3f", (a > 0) ? b / a : 0}')" "~1"
printf '%-24s %14s %20s   %s\n' "consent_csp / none" \
    "$(awk -v a="${med[csp]}" -v b="${med[all]}" 'BEGIN {printf "%.3f", a / b}')" \
    "$(awk -v a="${mcpu[csp]}" -v b="${mcpu[all]}" 'BEGIN {printf "%.3f", (a > 0) ? b / a : 0}')" "~1 (F / B', both consent=all)"
echo "(targets are reported, not enforced: this is a measurement on a noisy machine)"

if [ "$verify_ok" != 1 ]; then
    echo "bench: the output checks failed (see above): the comparison is not like for like" >&2
    exit 1
fi

#!/usr/bin/env bash
# make bench-scale: does the gate keep its speed and memory with a large
# rules database? The `make bench` page (bench/make-page.pl), gate on, site
# air-booking, served by two nginx instances that differ only in
# consent_rules:
#   ana    rules/ana.yaml alone (21 recipients)
#   scale  rules/ana.yaml + the recipients `consentctl import-entities
#          --exclude rules/ana.yaml` makes of a synthetic services.json
#          (bench/make-entities.pl: BENCH_ENTITIES entities, ~10 domains each)
#
# and two requests each: no consent cookie (every tracker element is
# stripped, as bench.sh's B) and a OneTrust cookie granting groups
# C0002-C0004 (the consent decision then grants the site's recipients of
# those categories, from the precomputed per-site sets).
# Prints, for both databases:
#   - requests/s and worker CPU us/request (median of BENCH_ROUNDS
#     interleaved wrk runs, as in bench.sh: bench/lib.sh), and the ratio
#     scale/ana (target >= 0.95);
#   - Rss, Pss and Private_Dirty of the nginx worker after warm-up (target
#     < 16 MB per worker with the scale database);
#   - cs_rules_load() time (build/bench/rules-load);
#   - the per-request consent decision alone for several cookies
#     (build/bench/consent-driver), in ns and, with valgrind, instructions;
#   - with valgrind, instructions per request of the whole nginx process
#     (run under callgrind with master_process off), and per page of the
#     gate alone
#     (build/bench/gate-driver under callgrind, collecting only inside
#     cs_gate_feed/cs_gate_finish) and instructions per cs_rules_load():
#     deterministic, unlike the timings.
# The run fails only when the setup is wrong (nginx does not start, a
# response is not 200, or the two databases do not gate the page alike).
#
# Environment: BENCH_SECONDS (10), BENCH_ROUNDS (5), BENCH_WARMUP (3),
# BENCH_CONNECTIONS (16), BENCH_PORT (18180; uses 4 ports from there),
# BENCH_ENTITIES (2500), BENCH_CALLGRIND (1; 0 skips it), NGINX
# (/usr/sbin/nginx).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"

out=$root/build/bench-scale
module=$root/build/ngx_http_consent_module.so
consentctl=$root/build/consentctl
driver=$root/build/bench/gate-driver
loader=$root/build/bench/rules-load
decider=$root/build/bench/consent-driver
nginx=${NGINX:-/usr/sbin/nginx}

seconds=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-5}
warmup=${BENCH_WARMUP:-3}
conns=${BENCH_CONNECTIONS:-16}
port=${BENCH_PORT:-18180}
entities=${BENCH_ENTITIES:-2500}
callgrind=${BENCH_CALLGRIND:-1}
dbs=(ana scale)
variants=(none onetrust)
onetrust='OptanonConsent=isGpcEnabled=0&datestamp=Mon+Sep+01+2025+16%3A10%3A37+GMT%2B0900&version=202505.1.0&isIABGlobal=false&hosts=&interactionCount=1&landingPath=NotLandingPage&groups=C0001%3A1%2CC0002%3A1%2CC0003%3A1%2CC0004%3A1&AwaitingReconsent=false'
declare -A hdr=([none]="" [onetrust]="Cookie: $onetrust")
declare -A p_origin=([ana]=$port [scale]=$((port + 2)))
declare -A p_gate=([ana]=$((port + 1)) [scale]=$((port + 3)))

for f in "$module" "$consentctl" "$driver" "$loader" "$decider"; do
    [ -e "$f" ] || bench_die "$f missing: run make bench-scale (it builds them)"
done
[ -x "$nginx" ] || bench_die "no nginx at $nginx"
bench_require_tools wrk curl perl

mkdir -p "$out"
bench_private_module "$module" "$out/ngx_http_consent_module.so"

echo "== machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"

# ---- inputs ----
perl "$root/bench/make-page.pl" "$out/page.html"
perl "$root/bench/make-entities.pl" "$out/entities.json" "$entities"
"$consentctl" import-entities "$out/entities.json" --exclude "$root/rules/ana.yaml" \
    -o "$out/entities.yaml"
"$consentctl" compile "$root/rules/ana.yaml" -o "$out/ana.mdb"
"$consentctl" compile "$root/rules/ana.yaml" "$out/entities.yaml" -o "$out/scale.mdb"
for db in "${dbs[@]}"; do
    "$consentctl" dump "$out/$db.mdb" > "$out/$db.dump"
    printf '%-6s %s: %d recipients, %d host suffixes, %d sites, %d bytes\n' "$db" "$db.mdb" \
        "$(grep -c '^recipient ' "$out/$db.dump")" "$(grep -c '^  host ' "$out/$db.dump")" \
        "$(grep -c '^site ' "$out/$db.dump")" "$(stat -c %s "$out/$db.mdb")"
done

# ---- cs_rules_load ----
echo
echo "== cs_rules_load (build/bench/rules-load, 20 loads)"
for db in "${dbs[@]}"; do
    printf '%-6s %s\n' "$db" "$("$loader" "$out/$db.mdb" 20)"
done

# ---- the consent decision per request ----
echo
echo "== consent decision per request, site air-booking (build/bench/consent-driver)"
paste <("$decider" "$out/ana.mdb" all 20000 | sed 's/^/ana   /') \
      <("$decider" "$out/scale.mdb" all 20000 | sed 's/^/scale /') | column -t -s $'\t'

# ---- callgrind: instructions, deterministic ----
if [ "$callgrind" != 0 ] && command -v valgrind >/dev/null; then
    echo
    echo "== callgrind (instructions; build/bench/gate-driver, nothing allowed)"
    ir() {   # outfile: the collected instruction count
        awk '/^(summary|totals):/ {print $2; exit}' "$1"
    }
    declare -A ir_page ir_load
    for db in "${dbs[@]}"; do
        valgrind --tool=callgrind --callgrind-out-file="$out/cg-gate-$db.out" \
            --toggle-collect=cs_gate_feed --toggle-collect=cs_gate_finish \
            "$driver" "$out/$db.mdb" "$out/page.html" 5 > /dev/null 2>&1
        valgrind --tool=callgrind --callgrind-out-file="$out/cg-load-$db.out" \
            --toggle-collect=cs_rules_load \
            "$driver" "$out/$db.mdb" "$out/page.html" 1 > /dev/null 2>&1
        ir_page[$db]=$(( $(ir "$out/cg-gate-$db.out") / 5 ))
        ir_load[$db]=$(( $(ir "$out/cg-load-$db.out") / 1 ))
        printf '%-6s gate %12d instructions/page   cs_rules_load %12d instructions\n' \
            "$db" "${ir_page[$db]}" "${ir_load[$db]}"
    done
    printf 'scale/ana: gate %.4f, load %.1f (callgrind_annotate %s/cg-*.out for where)\n' \
        "$(awk -v a="${ir_page[scale]}" -v b="${ir_page[ana]}" 'BEGIN {print a / b}')" \
        "$(awk -v a="${ir_load[scale]}" -v b="${ir_load[ana]}" 'BEGIN {print a / b}')" "$out"
    echo "consent decision, instructions per request (build/bench/consent-driver):"
    printf '  %-16s %12s %12s %9s\n' case ana scale scale/ana
    for c in list-categories list-all list-ids onetrust tcf declared; do
        declare -A ir_c=()
        for db in "${dbs[@]}"; do
            valgrind --tool=callgrind --callgrind-out-file="$out/cg-consent-$c-$db.out" \
                --toggle-collect=consent_case "$decider" "$out/$db.mdb" "$c" 10 > /dev/null 2>&1
            ir_c[$db]=$(( $(ir "$out/cg-consent-$c-$db.out") / 10 ))
        done
        printf '  %-16s %12d %12d %9.1f\n' "$c" "${ir_c[ana]}" "${ir_c[scale]}" \
            "$(awk -v a="${ir_c[scale]}" -v b="${ir_c[ana]}" 'BEGIN {print a / b}')"
    done
fi

# ---- nginx: one instance per database, same page, same settings ----
bench_place_cpus
for db in "${dbs[@]}"; do
    mkdir -p "$out/$db/tmp"
    cat > "$out/$db/nginx.conf" <<EOF
# generated by bench/bench-scale.sh
load_module $out/ngx_http_consent_module.so;

$(bench_conf_main "$out/$db")

http {
$(bench_conf_http "$out/$db")

    consent_rules  $out/$db.mdb;

    upstream origin {
        server     127.0.0.1:${p_origin[$db]};
        keepalive  64;
        keepalive_requests  1000000;
    }

    server {
        listen  127.0.0.1:${p_origin[$db]};
        root    $out;
        open_file_cache  max=16 inactive=60s;
        location = / { try_files /page.html =404; }
    }

    # gate on; without a cookie every tracker element is stripped
    server {
        listen  127.0.0.1:${p_gate[$db]};
        consent         on;
        consent_site    air-booking;
        consent_cookie  OptanonConsent onetrust;
        consent_cookie  euconsent-v2 tcf;
        consent_cookie  consent;
        location / {
$(bench_conf_proxy)
        }
    }
}
EOF
done

stop_all() { for db in "${dbs[@]}"; do bench_stop_nginx "$out/$db/nginx.pid"; done; }
stop_all
trap stop_all EXIT
trap 'exit 130' INT TERM
for db in "${dbs[@]}"; do bench_ports_free "${p_origin[$db]}" "${p_gate[$db]}"; done

# ---- nginx under callgrind: instructions per request, deterministic ----
# One process (master_process off), the same configuration; a request's
# cost is (Ir of 1 + cg_requests requests - Ir of 1 request) / cg_requests,
# so start-up, the rules load and exit cancel out.
cg_requests=10
cg_nginx() {   # db variant requests: prints the instruction count
    local db=$1 v=$2 n=$3 pid f=$out/cg-nginx-$1-$2-$3.out args=(-s -o /dev/null)
    [ -n "${hdr[$v]}" ] && args+=(-H "${hdr[$v]}")
    valgrind --tool=callgrind --callgrind-out-file="$f" "$nginx" -p "$out/$db" \
        -c "$out/$db/nginx.conf" -g 'daemon off; master_process off;' 2> /dev/null &
    pid=$!
    for _ in $(seq 300); do
        curl -s -o /dev/null "http://127.0.0.1:${p_origin[$db]}/" && break
        sleep 0.2
    done
    for ((i = 0; i < n; i++)); do
        curl "${args[@]}" "http://127.0.0.1:${p_gate[$db]}/" || bench_die "callgrind nginx: no response"
    done
    kill -TERM "$pid"
    wait "$pid" || true
    rm -f "$out/$db/nginx.pid"
    awk '/^(summary|totals):/ {print $2; exit}' "$f"
}
if [ "$callgrind" != 0 ] && command -v valgrind >/dev/null; then
    echo
    echo "== nginx under callgrind: instructions per request (whole worker: proxy, origin, gate, consent)"
    printf '  %-10s %12s %12s %9s\n' request ana scale scale/ana
    for v in "${variants[@]}"; do
        declare -A ir_req=()
        for db in "${dbs[@]}"; do
            one=$(cg_nginx "$db" "$v" 1)
            many=$(cg_nginx "$db" "$v" $((1 + cg_requests)))
            ir_req[$db]=$(( (many - one) / cg_requests ))
        done
        printf '  %-10s %12d %12d %9.4f\n' "$v" "${ir_req[ana]}" "${ir_req[scale]}" \
            "$(awk -v a="${ir_req[scale]}" -v b="${ir_req[ana]}" 'BEGIN {print a / b}')"
    done
fi

declare -A worker
for db in "${dbs[@]}"; do
    : > "$out/$db/error.log"
    bench_start_nginx "$nginx" "$out/$db" "$out/$db/nginx.conf" "http://127.0.0.1:${p_origin[$db]}/"
    worker[$db]=$(bench_worker_pid "$out/$db/nginx.pid")
done

# ---- the two databases gate the page alike ----
read -r _ expect_elements < <(grep '^tracker_elements' "$out/page.html.expect")
for db in "${dbs[@]}"; do
    for v in "${variants[@]}"; do
        args=(-s -o "$out/$db-$v.html" -w '%{http_code}')
        [ -n "${hdr[$v]}" ] && args+=(-H "${hdr[$v]}")
        code=$(curl "${args[@]}" "http://127.0.0.1:${p_gate[$db]}/")
        [ "$code" = 200 ] || bench_die "$db $v: HTTP $code"
    done
done
removed=$(diff "$out/page.html" "$out/ana-none.html" | grep -c '^<' || true)
kept=$(diff "$out/page.html" "$out/ana-onetrust.html" | grep -c '^<' || true)
echo
echo "== checks"
[ "$removed" -eq "$expect_elements" ] \
    || bench_die "ana: $removed elements removed, expected $expect_elements"
echo "  ok    ana, no consent: removes all $expect_elements tracker elements"
[ "$kept" -lt "$removed" ] || bench_die "ana: the OneTrust cookie grants nothing"
echo "  ok    ana, OneTrust C0002-C0004: removes $kept (the rest is consented)"
for v in "${variants[@]}"; do
    cmp -s "$out/ana-$v.html" "$out/scale-$v.html" \
        || bench_die "the scale database gates the page differently ($v: diff $out/ana-$v.html $out/scale-$v.html)"
done
echo "  ok    scale returns byte-identical output for both requests"

# ---- load ----
echo
echo "== load: wrk -t1 -c$conns, ${seconds}s x $rounds rounds per database and request, interleaved; $bench_placement"
echo "warm-up (${warmup}s each) ..."
for db in "${dbs[@]}"; do
    for v in "${variants[@]}"; do
        bench_wrk "http://127.0.0.1:${p_gate[$db]}/" "$warmup" "${worker[$db]}" "$conns" "${hdr[$v]}" > /dev/null
    done
done
declare -A mem
for db in "${dbs[@]}"; do mem[$db]=$(bench_memory "${worker[$db]}"); done

declare -A results=() cpu=()
others=""
echo "each run: requests/s, worker CPU us/request, other load on the machine (% of one CPU)"
for ((r = 1; r <= rounds; r++)); do
    line="round $r:"
    for v in "${variants[@]}"; do
        for db in "${dbs[@]}"; do
            read -r rps us other _ < <(bench_wrk "http://127.0.0.1:${p_gate[$db]}/" "$seconds" \
                                         "${worker[$db]}" "$conns" "${hdr[$v]}")
            [ -n "${rps:-}" ] || bench_die "wrk gave no result for $db $v"
            results[$db-$v]+="$rps " cpu[$db-$v]+="$us " others+="$other "
            line+=$(printf '  %s-%s %6.1f/s %5.0fus %3s%%' "$db" "$v" "$rps" "$us" "$other")
        done
    done
    echo "$line"
done

echo
echo "== results (median of $rounds runs)"
printf '%-16s %9s %11s %14s\n' "db-request" "req/s" range "worker us/req"
declare -A med mcpu
for v in "${variants[@]}"; do
    for db in "${dbs[@]}"; do
        k=$db-$v
        med[$k]=$(bench_median <<<"${results[$k]}")
        mcpu[$k]=$(bench_median <<<"${cpu[$k]}")
        printf '%-16s %9.1f %11s %14.0f\n' "$k" "${med[$k]}" "$(bench_spread <<<"${results[$k]}")" "${mcpu[$k]}"
    done
done
echo
printf '%-8s %9s %9s %17s\n' worker "Rss MB" "Pss MB" "Private_Dirty MB"
for db in "${dbs[@]}"; do
    read -r rss pss dirty <<<"${mem[$db]}"
    printf '%-8s %9s %9s %17s\n' "$db" "$rss" "$pss" "$dirty"
done
echo "(the nginx worker after warm-up, /proc/PID/smaps_rollup)"
bench_report_other_load "$others" "; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"

echo
printf '%-30s %16s %20s   %s\n' "" "by req/s" "by worker CPU/req" "target"
for v in "${variants[@]}"; do
    ratio=$(awk -v a="${med[scale-$v]}" -v b="${med[ana-$v]}" 'BEGIN {printf "%.3f", a / b}')
    cratio=$(awk -v a="${mcpu[scale-$v]}" -v b="${mcpu[ana-$v]}" 'BEGIN {printf "%.3f", (a > 0) ? b / a : 0}')
    printf '%-30s %16s %20s   %s\n' "scale / ana, $v" "$ratio ($(bench_verdict "$ratio" 0.95))" \
        "$cratio ($(bench_verdict "$cratio" 0.95))" ">= 0.95"
done
read -r scale_rss _ <<<"${mem[scale]}"
printf '%-30s %16s %20s   %s\n' "scale worker Rss" "${scale_rss} MB" \
    "($(awk -v m="$scale_rss" 'BEGIN {print (m < 16) ? "met" : "NOT met"}'))" "< 16 MB"
echo "(targets are reported, not enforced: this is a measurement on a noisy machine)"

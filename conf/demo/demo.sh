#!/usr/bin/env bash
# Starts the demo gate on 127.0.0.1:8080 and shows what it does.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
demo=$root/build/demo

mkdir -p "$demo/tmp"
"$root/build/consentctl" compile "$root/rules/ana.yaml" -o "$demo/rules.mdb"
sed "s|@ROOT@|$root|g" "$root/conf/demo/nginx.conf.in" > "$demo/nginx.conf"

if [ -f "$demo/nginx.pid" ] && kill -0 "$(cat "$demo/nginx.pid")" 2>/dev/null; then
    nginx -p "$demo" -c "$demo/nginx.conf" -s stop
    sleep 0.5
fi
nginx -p "$demo" -c "$demo/nginx.conf" -t -q
nginx -p "$demo" -c "$demo/nginx.conf"

for _ in $(seq 50); do
    curl -s -o /dev/null http://127.0.0.1:8080/ && break
    sleep 0.1
done

show() {
    local title=$1; shift
    printf '\n== %s\n$ %s\n' "$title" "$*"
    "$@" | grep -oE 'googletagmanager\.com|connect\.facebook\.net|facebook\.com/tr|static\.criteo\.net|analytics\.tiktok\.com|bat\.bing\.com|tiqcdn\.com' \
         | sort | uniq -c || echo "   (no tracker hosts left)"
}

echo "ngx_consent_module demo: nginx is running on 127.0.0.1:8080 (prefix $demo)"
echo "Origin page: $root/conf/demo/www/index.html; tracker hosts it carries:"
grep -oE 'googletagmanager\.com|connect\.facebook\.net|facebook\.com/tr|static\.criteo\.net|analytics\.tiktok\.com|bat\.bing\.com|tiqcdn\.com' \
    "$root/conf/demo/www/index.html" | sort | uniq -c

show "air-booking, no consent cookie: every tracker tag is gone (the one connect.facebook.net left is text in a <textarea>)" \
    curl -s -H 'Host: www.ana.example' http://127.0.0.1:8080/
show "air-booking, consent=google,meta: only Google's and Meta's tags stay" \
    curl -s -H 'Host: www.ana.example' -H 'Cookie: consent=google,meta' http://127.0.0.1:8080/
show "air-booking, consent=all: every declared recipient stays" \
    curl -s -H 'Host: www.ana.example' -H 'Cookie: consent=all' http://127.0.0.1:8080/
show "mall (declares only google), consent=all: undeclared recipients are still removed" \
    curl -s -H 'Host: mall.ana.example' -H 'Cookie: consent=all' http://127.0.0.1:8080/

printf '\nWhat was removed, per request ($consent_blocked in %s):\n' "$demo/access.log"
tail -n 4 "$demo/access.log"

printf '\n== air-booking'"'"'s external-transmission table, from the live rules (first rows)\n$ %s\n' \
    "curl -s -H 'Host: www.ana.example' 'http://127.0.0.1:8080/external-transmission?lang=en&format=md'"
curl -s -H 'Host: www.ana.example' 'http://127.0.0.1:8080/external-transmission?lang=en&format=md' | head -n 6 | perl -CSD -pe 's/^(.{100}).+/$1 .../' || true

printf '\n== what the gates removed, from the shared counters\n$ %s\n' \
    "curl -s -H 'Host: status.ana.example' http://127.0.0.1:8080/metrics"
curl -s -H 'Host: status.ana.example' http://127.0.0.1:8080/metrics | grep -E '^consent_(responses_gated|elements)_total' | head -n 8 || true

printf '\nRules update without reload: edit rules/ana.yaml, then\n  %s compile rules/ana.yaml -o %s\n' \
    "$root/build/consentctl" "$demo/rules.mdb"
printf '\nStop it with: nginx -p %s -c %s -s stop\n' "$demo" "$demo/nginx.conf"

#!/bin/sh
# Connect through the gate over IPv4, IPv6 and IPv4-mapped IPv6.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

make_tree
# Listeners, so an allowed connect really connects.
jg-probe listen 127.0.0.1 7005 >/dev/null 2>&1 &
jg-probe listen ::1 7777 >/dev/null 2>&1 &
jg-probe listen 127.0.0.1 7100 >/dev/null 2>&1 &
sleep 0.5

expect_eq "no gate: alice connects 127.0.0.1:7005" "$(probe alice connect 127.0.0.1 7005)" ok
start_daemon || finish

for u in alice bob root; do
	expect_eq "no grant: $u IPv4 denied" "$(probe $u connect 127.0.0.1 7005)" EACCES
	expect_eq "no grant: $u IPv6 denied" "$(probe $u connect ::1 7777)" EACCES
done
expect_eq "no grant: IPv4-mapped IPv6 denied" "$(probe alice connect ::ffff:127.0.0.1 7005)" EACCES
expect_eq "no grant: range edge 7000 denied" "$(probe alice connect 127.0.0.1 7000)" EACCES
expect_eq "no grant: range edge 7010 denied" "$(probe alice connect 127.0.0.1 7010)" EACCES
expect_eq "outside the range: 7100 allowed" "$(probe alice connect 127.0.0.1 7100)" ok
expect_eq "outside the range: 7011 not gated (refused by the stack)" "$(probe alice connect 127.0.0.1 7011)" ECONNREFUSED
expect_eq "loopback is this host: [::1]:7005 denied like 127.0.0.1:7005" "$(probe alice connect ::1 7005)" EACCES
expect_eq "other address: 10.20.0.1 port 7005 not gated (no route)" "$(probe alice connect 10.20.0.1 7005)" ENETUNREACH

gid=$(jitgate grant --user alice --allow prod-db:connect --for 10m --reason "query replica lag")
expect_eq "grant: alice IPv4" "$(probe alice connect 127.0.0.1 7005)" ok
expect_eq "grant: alice IPv6" "$(probe alice connect ::1 7777)" ok
expect_eq "grant: alice IPv4-mapped" "$(probe alice connect ::ffff:127.0.0.1 7005)" ok
expect_eq "grant: bob still denied (IPv4)" "$(probe bob connect 127.0.0.1 7005)" EACCES
expect_eq "grant: bob still denied (IPv6)" "$(probe bob connect ::1 7777)" EACCES
expect_eq "grant: root with alice's loginuid (IPv4)" "$(with_loginuid 1000 jg-probe connect 127.0.0.1 7005)" ok
expect_eq "grant: root with alice's loginuid (IPv6)" "$(with_loginuid 1000 jg-probe connect ::1 7777)" ok
expect_eq "grant: root without loginuid denied (IPv4)" "$(probe root connect 127.0.0.1 7005)" EACCES
expect_eq "grant: root without loginuid denied (IPv6)" "$(probe root connect ::1 7777)" EACCES

ok "revoke" jitgate revoke "$gid"
expect_eq "revoked: IPv4 denied at once" "$(probe alice connect 127.0.0.1 7005)" EACCES
expect_eq "revoked: IPv6 denied at once" "$(probe alice connect ::1 7777)" EACCES

gid_x=$(jitgate grant --user alice --allow prod-db:connect --for 6s --reason "short")
expect_eq "short grant: IPv4 ok" "$(probe alice connect 127.0.0.1 7005)" ok
expect_eq "short grant: IPv6 ok" "$(probe alice connect ::1 7777)" ok
settle
kill_daemon
sleep 7
expect_eq "daemon dead, grant expired: IPv4 denied by the kernel alone" "$(probe alice connect 127.0.0.1 7005)" EACCES
expect_eq "daemon dead, grant expired: IPv6 denied by the kernel alone" "$(probe alice connect ::1 7777)" EACCES
start_daemon
settle

audit_has "audit: IPv4 deny" '"type":"access.deny"' '"hook":"connect"' '"family":"inet","addr":"127.0.0.1","port":7005'
audit_has "audit: IPv6 deny" '"type":"access.deny"' '"family":"inet6","addr":"::1","port":7777'
audit_has "audit: allow with grant id" '"type":"access.allow"' "\"grant_id\":\"$gid\"" '"resource":"prod-db"'
audit_has "audit: grant.expire" '"type":"grant.expire"' "\"grant_id\":\"$gid_x\""
finish

#!/bin/sh
# Datagrams, TCP Fast Open and bind through the gate: unconnected UDP sendto/sendmsg (IPv4,
# IPv6, IPv4-mapped IPv6, the unspecified address), TFO's implicit connect, bind of
# protected local endpoints and of the wildcards that cover them.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

POLICY=$TESTDIR/policy-net.json
RX4=/tmp/rx4 RX6=/tmp/rx6 RXU=/tmp/rxu

# got FILE: datagrams received so far
got() {
	grep -c jg-probe "$1" 2>/dev/null || true
}

make_tree
# Receivers for the datagrams, TCP listeners for TFO.
jg-probe udp-recv 127.0.0.1 7005 >$RX4 2>&1 &
jg-probe udp-recv ::1 7777 >$RX6 2>&1 &
jg-probe udp-recv 127.0.0.1 7100 >$RXU 2>&1 &
jg-probe listen 127.0.0.1 7006 >/dev/null 2>&1 &
jg-probe listen ::1 7777 >/dev/null 2>&1 &
# TFO: client (1) and server (2), so that a repeated connect carries data in its SYN too
echo 3 >/proc/sys/net/ipv4/tcp_fastopen
sleep 0.5

expect_eq "no gate: alice UDP sendto 127.0.0.1:7005" "$(probe alice udp 127.0.0.1 7005)" ok
# (ok: the connection was made inside sendto; without MSG_FASTOPEN it would be ENOTCONN)
expect_eq "no gate: alice TFO 127.0.0.1:7006" "$(probe alice tfo 127.0.0.1 7006)" ok
expect_eq "no gate: alice binds 127.0.0.1:9005" "$(probe alice bind 127.0.0.1 9005)" ok
expect_eq "no gate: alice UDP IPv6, 24-byte sockaddr_in6" "$(probe alice udp ::1 7777 short)" ok
expect_eq "no gate: alice TCP connect IPv6, 24-byte sockaddr_in6" "$(probe alice connect-short ::1 7777)" ok
start_daemon "$POLICY" || finish
sleep 0.2
rx4=$(got $RX4) rx6=$(got $RX6)

# --- UDP without a grant
for u in alice bob root; do
	expect_eq "no grant: $u UDP sendto IPv4 denied" "$(probe $u udp 127.0.0.1 7005)" EACCES
	expect_eq "no grant: $u UDP sendto IPv6 denied" "$(probe $u udp ::1 7777)" EACCES
done
expect_eq "no grant: UDP sendmsg IPv4 denied" "$(probe alice udp 127.0.0.1 7005 sendmsg)" EACCES
expect_eq "no grant: UDP sendmsg IPv6 denied" "$(probe alice udp ::1 7777 sendmsg)" EACCES
expect_eq "no grant: UDP to IPv4-mapped IPv6 denied" "$(probe alice udp ::ffff:127.0.0.1 7005)" EACCES
expect_eq "no grant: UDP range edge 7007 denied" "$(probe alice udp 127.0.0.1 7007)" EACCES
expect_eq "no grant: UDP to 0.0.0.0 (= this host) denied" "$(probe alice udp 0.0.0.0 7005)" EACCES
expect_eq "no grant: UDP to :: (= ::1) denied" "$(probe alice udp :: 7777)" EACCES
expect_eq "no grant: UDP to ::ffff:0.0.0.0 denied" "$(probe alice udp ::ffff:0.0.0.0 7005)" EACCES
expect_eq "no grant: UDP IPv6 with a 24-byte sockaddr_in6 denied" "$(probe alice udp ::1 7777 short)" EACCES
expect_eq "no grant: TCP connect IPv6 with a 24-byte sockaddr_in6 denied" "$(probe alice connect-short ::1 7777)" EACCES
expect_eq "no grant: connected UDP denied at connect" "$(probe alice udp 127.0.0.1 7005 connected)" EACCES
expect_eq "no grant: TCP connect to 0.0.0.0 (= this host) denied" "$(probe alice connect 0.0.0.0 7005)" EACCES
expect_eq "no grant: TCP connect to :: (= ::1) denied" "$(probe alice connect :: 7777)" EACCES
sleep 0.2
expect_eq "no grant: no datagram reached 127.0.0.1:7005" "$(got $RX4)" "$rx4"
expect_eq "no grant: no datagram reached ::1:7777" "$(got $RX6)" "$rx6"

# --- unprotected endpoints are untouched
rxu=$(got $RXU)
expect_eq "unprotected port: UDP sendto 127.0.0.1:7100 allowed" "$(probe alice udp 127.0.0.1 7100)" ok
expect_eq "loopback is this host: UDP sendto [::1]:7005 denied like 127.0.0.1:7005" "$(probe alice udp ::1 7005)" EACCES
sleep 0.2
expect_eq "unprotected port: the datagram arrived" "$(got $RXU)" "$((rxu + 1))"

# --- TCP Fast Open: the connect happens inside sendto, security_socket_connect never runs
expect_eq "no grant: TFO IPv4 denied" "$(probe alice tfo 127.0.0.1 7006)" EACCES
expect_eq "no grant: TFO IPv6 denied" "$(probe alice tfo ::1 7777)" EACCES
expect_eq "no grant: TFO to 0.0.0.0 denied" "$(probe alice tfo 0.0.0.0 7006)" EACCES
expect_eq "unprotected port: TFO 7100 not gated (refused by the stack)" "$(probe alice tfo 127.0.0.1 7100)" ECONNREFUSED

# --- with a grant
gid=$(jitgate grant --user alice --allow udp-db:connect --for 10m --reason "dns debugging")
expect_eq "grant: alice UDP sendto IPv4" "$(probe alice udp 127.0.0.1 7005)" ok
expect_eq "grant: alice UDP sendmsg IPv6" "$(probe alice udp ::1 7777 sendmsg)" ok
expect_eq "grant: alice UDP IPv4-mapped" "$(probe alice udp ::ffff:127.0.0.1 7005)" ok
expect_eq "grant: alice TFO IPv4" "$(probe alice tfo 127.0.0.1 7006)" ok
expect_eq "grant: alice TFO IPv6" "$(probe alice tfo ::1 7777)" ok
expect_eq "grant: alice TCP connect IPv6, 24-byte sockaddr_in6" "$(probe alice connect-short ::1 7777)" ok
expect_eq "grant: root with alice's loginuid" "$(with_loginuid 1000 jg-probe udp 127.0.0.1 7005)" ok
expect_eq "grant: bob still denied (UDP IPv4)" "$(probe bob udp 127.0.0.1 7005)" EACCES
expect_eq "grant: bob still denied (TFO IPv6)" "$(probe bob tfo ::1 7777)" EACCES
sleep 0.2
expect_eq "grant: the IPv4 datagrams arrived" "$(got $RX4)" "$((rx4 + 3))"
expect_eq "grant: the IPv6 datagram arrived" "$(got $RX6)" "$((rx6 + 1))"
expect_eq "grant: a connect grant is no bind grant" "$(probe alice bind 127.0.0.1 9005)" EACCES

ok "revoke" jitgate revoke "$gid"
expect_eq "revoked: UDP IPv4 denied at once" "$(probe alice udp 127.0.0.1 7005)" EACCES
expect_eq "revoked: UDP IPv6 denied at once" "$(probe alice udp ::1 7777)" EACCES
expect_eq "revoked: TFO denied at once" "$(probe alice tfo 127.0.0.1 7006)" EACCES

# --- bind
for u in alice bob root; do
	expect_eq "no grant: $u bind 127.0.0.1:9005 denied" "$(probe $u bind 127.0.0.1 9005)" EACCES
done
expect_eq "no grant: bind range edge 9010 (UDP) denied" "$(probe alice bind 127.0.0.1 9010 udp)" EACCES
expect_eq "no grant: bind 0.0.0.0:9005 (covers 127.0.0.1) denied" "$(probe alice bind 0.0.0.0 9005)" EACCES
expect_eq "no grant: bind [::]:9005 (dual stack) denied" "$(probe alice bind :: 9005)" EACCES
expect_eq "no grant: bind IPv4-mapped ::ffff:127.0.0.1:9005 denied" "$(probe alice bind ::ffff:127.0.0.1 9005)" EACCES
expect_eq "no grant: bind AF_UNSPEC 0.0.0.0:9005 denied" "$(probe alice bind 0.0.0.0 9005 unspec)" EACCES
expect_eq "no grant: bind 127.0.0.1:8443 (0.0.0.0 = every IPv4 address) denied" "$(probe alice bind 127.0.0.1 8443)" EACCES
expect_eq "no grant: bind [::1]:8443 ([::] = every address) denied" "$(probe alice bind ::1 8443 udp)" EACCES
expect_eq "no grant: bind [::1]:9100 denied" "$(probe alice bind ::1 9100)" EACCES
expect_eq "no grant: bind [::]:9100 (covers ::1) denied" "$(probe alice bind :: 9100)" EACCES
expect_eq "not covered: bind 0.0.0.0:9100 (IPv4 only) allowed" "$(probe alice bind 0.0.0.0 9100)" ok
expect_eq "outside the range: bind 127.0.0.1:9011 allowed" "$(probe alice bind 127.0.0.1 9011)" ok
expect_eq "other address: bind [::1]:9005 allowed" "$(probe alice bind ::1 9005)" ok
expect_eq "port 0 (ephemeral) allowed" "$(probe alice bind 0.0.0.0 0)" ok
expect_eq "a connect endpoint does not gate bind (127.0.0.1:7007)" "$(probe alice bind 127.0.0.1 7007 udp)" ok
expect_eq "a bind endpoint does not gate connect (127.0.0.1:9005)" "$(probe alice connect 127.0.0.1 9005)" ECONNREFUSED

bgid=$(jitgate grant --user alice --allow web:bind --for 10m --reason "canary web server")
expect_eq "grant: alice bind 127.0.0.1:9005" "$(probe alice bind 127.0.0.1 9005)" ok
expect_eq "grant: alice bind 0.0.0.0:8443" "$(probe alice bind 0.0.0.0 8443)" ok
expect_eq "grant: alice bind [::]:9005" "$(probe alice bind :: 9005 udp)" ok
expect_eq "grant: bob still denied" "$(probe bob bind 127.0.0.1 9005)" EACCES
expect_eq "grant: web does not cover local6 ([::]:9100)" "$(probe alice bind :: 9100)" EACCES
ok "revoke bind" jitgate revoke "$bgid"
expect_eq "revoked: bind denied at once" "$(probe alice bind 0.0.0.0 8443)" EACCES

settle
audit_has "audit: UDP IPv4 deny" '"type":"access.deny"' '"hook":"sendmsg"' '"perm":"connect"' '"family":"inet","addr":"127.0.0.1","port":7005'
audit_has "audit: UDP IPv6 deny" '"type":"access.deny"' '"hook":"sendmsg"' '"family":"inet6","addr":"::1","port":7777'
# No datagram goes to 7006: a sendmsg denial there is TFO's, whose connect never passes
# security_socket_connect.
audit_has "audit: TFO deny (sendmsg hook)" '"type":"access.deny"' '"hook":"sendmsg"' '"family":"inet","addr":"127.0.0.1","port":7006'
audit_has "audit: UDP allow with grant id" '"type":"access.allow"' '"hook":"sendmsg"' "\"grant_id\":\"$gid\"" '"resource":"udp-db"'
audit_has "audit: bind deny" '"type":"access.deny"' '"hook":"bind"' '"perm":"bind"' '"resource":"web"' '"family":"inet","addr":"0.0.0.0","port":9005'
audit_has "audit: bind IPv6 deny" '"type":"access.deny"' '"hook":"bind"' '"resource":"local6"' '"family":"inet6","addr":"::1","port":9100'
audit_has "audit: bind allow with grant id" '"type":"access.allow"' '"hook":"bind"' "\"grant_id\":\"$bgid\""
finish

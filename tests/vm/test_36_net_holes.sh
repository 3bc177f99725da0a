#!/bin/sh
# Names a protocol reads its own way, port-less sends, and this host under other names:
#  - AF_UNSPEC in a datagram's name (udp_sendmsg and raw_sendmsg take it as AF_INET,
#    rawv6_sendmsg as AF_INET6) through sendto, sendmsg, sendmmsg and io_uring; AF_INET and
#    IPv4-mapped names on IPv6 sockets; connect and TCP Fast Open with AF_UNSPEC (a
#    disconnect, nothing sent);
#  - raw sockets (root) and ping sockets, which name no port: a raw send must satisfy every
#    range of the address, a ping the ranges that span every port;
#  - a connect endpoint on 127.0.0.1 protects its port on every loopback address
#    (127.0.0.0/8, ::1, ::ffff:127.x) and on the host's own addresses at load time.
# Each technique first runs with no gate, so a later denial is the gate's doing.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

POLICY=$TESTDIR/policy-net-holes.json
RX5=/tmp/rx5 RX7=/tmp/rx7 RX2=/tmp/rx2 RXU=/tmp/rxu

# got FILE: datagrams received so far
got() {
	grep -c jg-probe "$1" 2>/dev/null || true
}

# known NAME GOT REASON: a limitation this file documents (docs/bypass-catalog.md)
known() {
	case $2 in
	EACCES | EPERM) _vm_ok "$1: blocked now ($2; docs/bypass-catalog.md calls it a limitation: update it)" ;;
	*) diag "KNOWN BYPASS: $1 (got: $2): $3" ;;
	esac
}

make_tree
# This host's addresses outside loopback: 10.99.0.1 (a service's second name), 10.99.1.1 (a
# host protected whole, reachable for ping). 10.99.2.0/24 is routed but nobody's.
ip addr add 10.99.0.1/32 dev lo
ip addr add 10.99.1.1/32 dev lo
ip route add 10.99.2.0/24 dev lo
echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range	# ping sockets for everyone
echo 3 >/proc/sys/net/ipv4/tcp_fastopen
# Receivers on the wildcard (::, dual stack): they take every name of this host.
jg-probe udp-recv :: 7005 >$RX5 2>&1 &
jg-probe udp-recv :: 7777 >$RX7 2>&1 &
jg-probe udp-recv :: 7002 >$RX2 2>&1 &
jg-probe udp-recv :: 7100 >$RXU 2>&1 &
jg-probe listen :: 7002 >/dev/null 2>&1 &
jg-probe listen 127.0.0.1 7006 >/dev/null 2>&1 &
sleep 0.5

# ------------------------------------------------------------------ no gate: they all work
rx5=$(got $RX5) rx7=$(got $RX7) rx2=$(got $RX2)
expect_eq "no gate: alice UDP sendto, sin_family AF_UNSPEC" "$(probe alice send udp4 unspec 127.0.0.1 7005)" ok
expect_eq "no gate: alice UDP sendmmsg, AF_UNSPEC" "$(probe alice send-mmsg udp4 unspec 127.0.0.1 7100 127.0.0.1 7005)" 2
expect_eq "no gate: alice io_uring SENDMSG, AF_UNSPEC" "$(probe alice send udp4 unspec 127.0.0.1 7005 uring-sendmsg)" ok
expect_eq "no gate: alice io_uring SEND with an address, AF_UNSPEC" "$(probe alice send udp4 unspec 127.0.0.1 7005 uring-send)" ok
expect_eq "no gate: alice io_uring SEND_ZC with an address, AF_UNSPEC" "$(probe alice send udp4 unspec 127.0.0.1 7005 uring-send-zc)" ok
expect_eq "no gate: alice IPv6 socket, AF_INET name" "$(probe alice send udp6 inet 127.0.0.1 7005)" ok
expect_eq "no gate: root raw IPv4 UDP datagram" "$(probe root send raw4 inet 127.0.0.1 7005)" ok
expect_eq "no gate: root raw IPv4, AF_UNSPEC" "$(probe root send raw4 unspec 127.0.0.1 7005)" ok
expect_eq "no gate: root raw IPv4, connect (port 0) then send" "$(probe root send raw4 inet 127.0.0.1 7005 connect)" ok
expect_eq "no gate: root raw IPv6 UDP datagram" "$(probe root send raw6 inet6 ::1 7777)" ok
expect_eq "no gate: root raw IPv6, AF_UNSPEC" "$(probe root send raw6 unspec ::1 7777)" ok
expect_eq "no gate: alice ping 10.99.1.1" "$(probe alice send ping4 inet 10.99.1.1 0)" ok
for a in 127.0.0.2 127.1.2.3 ::1 ::ffff:127.0.0.2 10.99.0.1; do
	expect_eq "no gate: alice UDP to the wildcard-bound service at $a:7002" "$(probe alice udp $a 7002)" ok
done
expect_eq "no gate: alice TCP connect [::1]:7002" "$(probe alice connect ::1 7002)" ok
sleep 0.3
expect_eq "no gate: the datagrams to 7005 arrived (9, one of them through sendmmsg)" "$(got $RX5)" "$((rx5 + 9))"
expect_eq "no gate: the raw IPv6 datagrams arrived at 7777" "$(got $RX7)" "$((rx7 + 2))"
expect_eq "no gate: the service took all five names" "$(got $RX2)" "$((rx2 + 5))"

start_daemon "$POLICY" || finish
sleep 0.2
rx5=$(got $RX5) rx7=$(got $RX7) rx2=$(got $RX2) rxu=$(got $RXU)

# ------------------------------------------------------------------ AF_UNSPEC and its siblings
for how in sendto sendmsg uring-sendmsg uring-send uring-send-zc; do
	expect_eq "no grant: UDP $how with AF_UNSPEC denied" "$(probe alice send udp4 unspec 127.0.0.1 7005 $how)" EACCES
	expect_eq "no grant: UDP $how with AF_INET denied" "$(probe alice send udp4 inet 127.0.0.1 7005 $how)" EACCES
done
expect_eq "no grant: sendmmsg, AF_UNSPEC, the second of two protected: one sent" "$(probe alice send-mmsg udp4 unspec 127.0.0.1 7100 127.0.0.1 7005)" 1
expect_eq "no grant: sendmmsg, AF_UNSPEC, the first protected: none sent" "$(probe alice send-mmsg udp4 unspec 127.0.0.1 7005 127.0.0.1 7100)" EACCES
expect_eq "no grant: IPv6 socket, AF_INET name denied" "$(probe alice send udp6 inet 127.0.0.1 7005)" EACCES
expect_eq "no grant: IPv6 socket, IPv4-mapped name denied" "$(probe alice send udp6 inet6 ::ffff:127.0.0.1 7005)" EACCES
expect_eq "IPv6 UDP: AF_UNSPEC is the connected peer (none here), not the name" "$(probe alice send udp6 unspec ::1 7777)" EDESTADDRREQ
expect_eq "connect with AF_UNSPEC is a disconnect: the send after it has no destination" "$(probe alice send udp4 unspec 127.0.0.1 7005 connect)" EDESTADDRREQ
expect_eq "connect with AF_INET still denied" "$(probe alice send udp4 inet 127.0.0.1 7005 connect)" EACCES
tfo=$(probe alice tfo-unspec 127.0.0.1 7006)
case $tfo in
ok) _vm_not_ok "TCP Fast Open with AF_UNSPEC sends nothing" "got ok" ;;
*) _vm_ok "TCP Fast Open with AF_UNSPEC sends nothing ($tfo)" ;;
esac
expect_eq "unprotected port, AF_UNSPEC: allowed" "$(probe alice send udp4 unspec 127.0.0.1 7100)" ok

# ------------------------------------------------------------------ raw and ping sockets
expect_eq "no grant: root raw IPv4 to 127.0.0.1 denied" "$(probe root send raw4 inet 127.0.0.1 7005)" EACCES
expect_eq "no grant: root raw IPv4, AF_UNSPEC, denied" "$(probe root send raw4 unspec 127.0.0.1 7005)" EACCES
expect_eq "no grant: root raw IPv4 through io_uring SENDMSG denied" "$(probe root send raw4 unspec 127.0.0.1 7005 uring-sendmsg)" EACCES
expect_eq "no grant: root raw IPv4 connect (port 0) denied" "$(probe root send raw4 inet 127.0.0.1 7005 connect)" EACCES
expect_eq "no grant: root raw IPv6 to ::1 denied" "$(probe root send raw6 inet6 ::1 7777)" EACCES
expect_eq "no grant: root raw IPv6, AF_UNSPEC, denied" "$(probe root send raw6 unspec ::1 7777)" EACCES
expect_eq "no grant: root raw to another loopback address denied" "$(probe root send raw4 inet 127.3.3.3 7005)" EACCES
expect_eq "a raw socket has no port: any header to a protected address is denied" "$(probe root send raw4 inet 127.0.0.1 7100)" EACCES
# (a datagram routed into lo comes back to this host's wildcard sockets: a port no one has)
expect_eq "raw to an address nothing protects: allowed" "$(probe root send raw4 inet 10.99.2.7 7200)" ok
expect_eq "no grant: ping to a host protected whole denied" "$(probe alice send ping4 inet 10.99.1.1 0)" EACCES
expect_eq "no grant: ping socket connect to it denied" "$(probe alice send ping4 inet 10.99.1.1 0 connect)" EACCES
expect_eq "ping to 127.0.0.1 (only ports protected): allowed" "$(probe alice send ping4 inet 127.0.0.1 0)" ok
expect_eq "ping6 to ::1 (only ports protected): allowed" "$(probe alice send ping6 inet6 ::1 0)" ok
expect_eq "ping to an address nothing protects: allowed" "$(probe alice send ping4 inet 10.99.2.7 0)" ok

# ------------------------------------------------------------------ this host under other names
for a in 127.0.0.2 127.1.2.3 ::1 ::ffff:127.0.0.2 10.99.0.1; do
	expect_eq "no grant: UDP to 127.0.0.1:7002's service at $a denied" "$(probe alice udp $a 7002)" EACCES
done
expect_eq "no grant: TCP connect [::1]:7002 denied" "$(probe alice connect ::1 7002)" EACCES
expect_eq "no grant: TCP connect 127.0.0.2:7002 denied" "$(probe alice connect 127.0.0.2 7002)" EACCES
expect_eq "no grant: [::1]:7777 protects 127.0.0.1:7777 too" "$(probe alice udp 127.0.0.1 7777)" EACCES
expect_eq "no grant: UDP 127.0.0.5:7006 (range on another loopback name) denied" "$(probe alice udp 127.0.0.5 7006)" EACCES
expect_eq "another port on another loopback address: allowed" "$(probe alice udp 127.0.0.2 7100)" ok
sleep 0.3
expect_eq "no grant: no datagram reached 7005" "$(got $RX5)" "$rx5"
expect_eq "no grant: no datagram reached 7777" "$(got $RX7)" "$rx7"
expect_eq "no grant: no datagram reached the service at 7002" "$(got $RX2)" "$rx2"
expect_eq "the unprotected datagrams arrived at 7100 (2 sends, 1 through sendmmsg)" "$(got $RXU)" "$((rxu + 3))"

# An address the host gets after the policy load is not in the compiled policy: the
# daemon expands at load and reload only.
ip addr add 10.99.0.2/32 dev lo
known "address added after the policy load" "$(probe alice udp 10.99.0.2 7002)" \
	"the host's addresses are read when the policy is compiled; reload after a change"
ok "policy reload" jitgate policy reload
expect_eq "after the reload: the new address is protected" "$(probe alice udp 10.99.0.2 7002)" EACCES

# ------------------------------------------------------------------ with grants
gid=$(jitgate grant --user alice --allow svc:connect --for 10m --reason "service debugging")
for a in 127.0.0.2 ::1 ::ffff:127.0.0.2 10.99.0.1; do
	expect_eq "grant: alice reaches the service at $a" "$(probe alice udp $a 7002)" ok
done
expect_eq "grant: svc is no grant for udp-db (AF_UNSPEC)" "$(probe alice send udp4 unspec 127.0.0.1 7005)" EACCES
expect_eq "grant: bob still denied at 127.0.0.2" "$(probe bob udp 127.0.0.2 7002)" EACCES
gid2=$(jitgate grant --user alice --allow udp-db:connect --for 10m --reason "udp debugging")
expect_eq "grant: alice AF_UNSPEC sendto" "$(probe alice send udp4 unspec 127.0.0.1 7005)" ok
expect_eq "grant: alice sendmmsg, both" "$(probe alice send-mmsg udp4 unspec 127.0.0.1 7100 127.0.0.1 7005)" 2
# root with alice's login uid holds her grants: a raw send needs every range of the address
expect_eq "grants for both resources on 127.0.0.1: raw send as alice allowed" "$(with_loginuid 1000 jg-probe send raw4 unspec 127.0.0.1 7005)" ok
ok "revoke svc" jitgate revoke "$gid"
expect_eq "one range not granted (svc's 7002): raw send denied" "$(with_loginuid 1000 jg-probe send raw4 unspec 127.0.0.1 7005)" EACCES
expect_eq "revoked: [::1]:7002 denied at once" "$(probe alice udp ::1 7002)" EACCES
ok "revoke udp-db" jitgate revoke "$gid2"

settle
audit_has "audit: AF_UNSPEC sendto deny" '"type":"access.deny"' '"hook":"sendmsg"' '"perm":"connect"' '"resource":"udp-db"' '"family":"inet","addr":"127.0.0.1","port":7005'
audit_has "audit: raw IPv6 deny, no port" '"type":"access.deny"' '"hook":"sendmsg"' '"family":"inet6","addr":"::1","port":0'
audit_has "audit: raw connect deny, no port" '"type":"access.deny"' '"hook":"connect"' '"family":"inet","addr":"127.0.0.1","port":0'
audit_has "audit: ping deny" '"type":"access.deny"' '"resource":"ping-host"' '"addr":"10.99.1.1","port":0'
audit_has "audit: loopback alias deny" '"type":"access.deny"' '"resource":"svc"' '"family":"inet","addr":"127.1.2.3","port":7002'
audit_has "audit: IPv6 loopback deny for an IPv4 endpoint" '"type":"access.deny"' '"hook":"connect"' '"resource":"svc"' '"family":"inet6","addr":"::1","port":7002'
audit_has "audit: host address deny" '"type":"access.deny"' '"resource":"svc"' '"addr":"10.99.0.1","port":7002'
audit_has "audit: allow with grant id at another loopback name" '"type":"access.allow"' "\"grant_id\":\"$gid\"" '"addr":"127.0.0.2","port":7002'
finish

#!/usr/bin/env bash
# End-to-end: network policy and NAT-outgoing with nf_tables, with real TCP, UDP and ICMP traffic between
# workloads on two nodes (VXLAN) and a host outside the pools, the nodes sharing a datastore directory (or an etcd
# with TABBY_DATASTORE=etcd). Needs root and socat. Prints "e2e-policy: N passed, M failed" as its last line
# ("e2e-policy-etcd: ..." on etcd).
#
#   node a (192.0.2.11): demo/web (role=web, listens on TCP 8080), demo/front (role=frontend)
#   node b (192.0.2.12): demo/front2 (role=frontend), demo/other (role=other), team/client, lab/client
#   outside (192.0.2.254, the nodes' gateway, and 198.51.100.1, .2, .20 on lo): TCP 9000 answers with the
#   peer address it sees
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${BIN:=$(swift build --show-bin-path)}"
export BIN
TOPO="tabby-pol-$$"
source Tests/e2e/lib.sh
datastore_require "e2e-policy$SUITE_SUFFIX"
trap topology_down EXIT

if ! command -v socat >/dev/null; then
    echo "e2e-policy: skipped: socat is not installed (make deps)"
    echo "e2e-policy: 0 passed, 0 failed"
    exit 0
fi

apply() { ctl apply -f - >/dev/null; }
delete() { ctl delete "$@" >/dev/null; }

# wep_apply NODE POD NAMESPACE LABELS: (re)writes a workload's endpoint with new labels.
wep_apply() {
    local node="$1" pod="$2" namespace="$3" labels="$4"
    local podns; podns="$(ns "$node-$pod")"
    local iface; iface="cali$(printf '%s' "$namespace.$pod" | sha1sum | cut -c1-11)"
    local address; address="$(pod_ip "$node" "$pod")"
    local mac; mac="$(ip netns exec "$podns" cat /sys/class/net/eth0/address)"
    apply <<YAML
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata:
  name: ${node}-k8s-${pod}-eth0
  namespace: ${namespace}
  labels: {${labels}, projectcalico.org/namespace: ${namespace}}
spec:
  node: ${node}
  orchestrator: k8s
  pod: ${pod}
  endpoint: eth0
  interfaceName: ${iface}
  mac: ${mac}
  ipNetworks: [${address}/32]
  profiles: [kns.${namespace}]
YAML
}

# listen NAMESPACE PORT: a TCP listener that answers every connection with the peer address it sees. In a
# session of its own: socat signals its whole process group when it is stopped.
LISTENERS=()
listen() {
    ip netns exec "$1" setsid socat "TCP-LISTEN:$2,fork,reuseaddr" SYSTEM:'echo $SOCAT_PEERADDR' >/dev/null 2>&1 &
    LISTENERS+=($!)
}
stop_listeners() {
    # lib.sh sets -e, and wait returns the status of the listener killed.
    for pid in "${LISTENERS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}
cleanup() { stop_listeners; topology_down; }
trap cleanup EXIT

# tcp NODE POD ADDRESS PORT: what the listener answered (the address it saw), empty when no connection within
# $CONNECT_TIMEOUT seconds (1 by default).
tcp() {
    ip netns exec "$(ns "$1-$2")" timeout 3 socat -T1 - "TCP:$3:$4,connect-timeout=${CONNECT_TIMEOUT:-1}" \
        </dev/null 2>/dev/null
}
connects() { [ -n "$(tcp "$@")" ]; }
times_out() { [ -z "$(tcp "$@")" ]; }
pings() { ping_pod "$1" "$2" "$3"; }
no_ping() { ! ping_pod "$1" "$2" "$3"; }
sees() { [ "$(tcp "$1" "$2" "$3" "$4")" = "$5" ]; }
# udp_sees NODE POD ADDRESS PORT EXPECTED: one datagram out, the answer names the source address seen.
udp_sees() {
    [ "$(echo hello | ip netns exec "$(ns "$1-$2")" timeout 3 socat -T1 - "UDP:$3:$4" 2>/dev/null)" = "$5" ]
}

echo "e2e policy on $E2E_DATASTORE (namespaces ${TOPO}-*)"
topology_up
apply <<'YAML'
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pods}
spec: {cidr: 203.0.113.0/24, blockSize: 28, vxlanMode: Always, natOutgoing: true}
YAML
node_add a 192.0.2.11/24 192.0.2.254
node_add b 192.0.2.12/24 192.0.2.254

# The host outside the pools: the nodes' gateway, with documentation addresses behind it.
ip netns add "$(ns outside)"
ip link add v-outside netns "$(ns net)" type veth peer name eth0 netns "$(ns outside)"
in_ns net ip link set v-outside master br0 up
in_ns outside ip link set lo up
in_ns outside ip addr add 192.0.2.254/24 dev eth0
in_ns outside ip link set eth0 up
for address in 198.51.100.1 198.51.100.2 198.51.100.20; do in_ns outside ip addr add "$address/32" dev lo; done
listen "$(ns outside)" 9000
ip netns exec "$(ns outside)" setsid socat UDP-RECVFROM:9001,bind=198.51.100.20,fork SYSTEM:'read -r line; echo $SOCAT_PEERADDR' >/dev/null 2>&1 &
LISTENERS+=($!)

# A foreign table on node a that Tabby must leave byte-for-byte alone.
in_ns a nft -f - <<'NFT'
table inet foreign {
    set watched { type ipv4_addr; elements = { 198.51.100.99 } }
    chain forward { type filter hook forward priority 10; policy accept; ip daddr @watched counter drop; }
}
NFT
FOREIGN_BEFORE="$(in_ns a nft list table inet foreign)"

tabbyd_start a
tabbyd_start b
wait_ready a
wait_ready b

apply <<'YAML'
apiVersion: v1
kind: Namespace
metadata: {name: team, labels: {env: trusted}}
---
apiVersion: v1
kind: Namespace
metadata: {name: lab}
YAML
WEB="$(pod_add a web "role: web, pod: web")"
pod_add a front "role: frontend, pod: front" >/dev/null
pod_add b front2 "role: frontend, pod: front2" >/dev/null
OTHER="$(pod_add b other "role: other, pod: other")"
pod_add b trusted "role: client" team >/dev/null
pod_add b untrusted "role: client" lab >/dev/null
listen "$(ns a-web)" 8080

check "tabby tables exist on both nodes" bash -c "ip netns exec $(ns a) nft list table ip tabby >/dev/null && ip netns exec $(ns b) nft list table ip tabby >/dev/null"

echo "-- default allow through the namespace profile"
check "other -> web:8080 connects" eventually 5 connects b other "$WEB" 8080
check "front -> web ping" eventually 3 pings a front "$WEB"
check "pool to pool is not NATed (web sees other's own address)" sees b other "$WEB" 8080 "$OTHER"

echo "-- NetworkPolicy: only TCP/8080 from role == 'frontend'"
apply <<'YAML'
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web-from-frontends, namespace: demo}
spec:
  selector: role == 'web'
  ingress:
  - action: Allow
    protocol: TCP
    source: {selector: role == 'frontend'}
    destination: {ports: [8080]}
YAML
check "other -> web:8080 times out" eventually 3 times_out b other "$WEB" 8080
check "front (same node) -> web:8080 connects" connects a front "$WEB" 8080
check "front2 (other node) -> web:8080 connects" connects b front2 "$WEB" 8080
check "ICMP front -> web is denied" no_ping a front "$WEB"
check "egress is still open: web -> front2 ping" pings a web "$(pod_ip b front2)"

echo "-- a GlobalNetworkPolicy with a higher-priority Deny overrides"
apply <<'YAML'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-front2}
spec:
  order: 10
  selector: role == 'web'
  ingress:
  - action: Deny
    source: {selector: pod == 'front2'}
YAML
check "front2 -> web:8080 times out" eventually 3 times_out b front2 "$WEB" 8080
check "front -> web:8080 still connects" connects a front "$WEB" 8080
delete globalnetworkpolicy deny-front2
check "front2 connects again once it is deleted" eventually 3 connects b front2 "$WEB" 8080

echo "-- Pass hands over to the next tier"
apply <<'YAML'
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100, defaultAction: Deny}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.frontends-to-app-tier}
spec:
  tier: security
  selector: role == 'web'
  ingress:
  - action: Pass
    source: {selector: role == 'frontend'}
  - action: Allow
YAML
check "other is allowed by the security tier (8080)" eventually 3 connects b other "$WEB" 8080
check "other is allowed by the security tier (ICMP)" pings b other "$WEB"
check "front passes to the default tier: 8080 allowed there" connects a front "$WEB" 8080
check "front passes to the default tier: ICMP denied there" no_ping a front "$WEB"
delete globalnetworkpolicy security.frontends-to-app-tier
delete tier security
check "without the tier, other is denied again" eventually 3 times_out b other "$WEB" 8080

echo "-- a namespaceSelector rule admits pods of a labelled namespace only"
apply <<'YAML'
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web-from-trusted-namespaces, namespace: demo}
spec:
  selector: role == 'web'
  ingress:
  - action: Allow
    protocol: TCP
    source: {namespaceSelector: env == 'trusted'}
    destination: {ports: [8080]}
YAML
check "team/trusted (env=trusted) -> web:8080 connects" eventually 3 connects b trusted "$WEB" 8080
check "lab/untrusted -> web:8080 times out" times_out b untrusted "$WEB" 8080
delete networkpolicy web-from-trusted-namespaces -n demo

echo "-- NAT-outgoing: the outside host sees the node's address"
check "front -> outside sees node a's address" eventually 3 sees a front 198.51.100.20 9000 192.0.2.11
check "other -> outside sees node b's address" sees b other 198.51.100.20 9000 192.0.2.12
check "UDP too: front -> outside sees node a's address" udp_sees a front 198.51.100.20 9001 192.0.2.11
check "front -> 198.51.100.1 connects before any egress policy" connects a front 198.51.100.1 9000
check "other -> 198.51.100.2 connects before any egress policy" connects b other 198.51.100.2 9000

echo "-- a GlobalNetworkSet CIDR used in a rule, and egress deny to one CIDR"
apply <<'YAML'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: partner-hosts, labels: {kind: partner}}
spec: {nets: [198.51.100.0/31]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: front-not-to-partners}
spec:
  selector: role == 'frontend'
  types: [Egress]
  egress:
  - action: Deny
    destination: {selector: kind == 'partner'}
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: other-not-to-one-cidr}
spec:
  selector: pod == 'other'
  types: [Egress]
  egress:
  - action: Deny
    destination: {nets: [198.51.100.2/32]}
  - action: Allow
YAML
check "front -> 198.51.100.1 (in the network set) times out" eventually 3 times_out a front 198.51.100.1 9000
check "front -> 198.51.100.20 (outside the set) connects" connects a front 198.51.100.20 9000
check "other -> 198.51.100.2 (denied CIDR) times out" eventually 3 times_out b other 198.51.100.2 9000
check "other -> 198.51.100.1 connects" connects b other 198.51.100.1 9000

echo "-- a label change flips the result within a second"
check "before: other -> web:8080 times out" times_out b other "$WEB" 8080
wep_apply b other demo "role: frontend, pod: other"
CONNECT_TIMEOUT=0.2 check "after relabelling other as frontend it connects within a second" \
    eventually 1 connects b other "$WEB" 8080
wep_apply b other demo "role: other, pod: other"
check "and back: times out again" eventually 2 times_out b other "$WEB" 8080

echo "-- repair and ownership"
in_ns a nft delete table ip tabby
check "the tabby table deleted by hand is back within 2 s" eventually 2 \
    bash -c "ip netns exec $(ns a) nft list table ip tabby >/dev/null 2>&1"
check "and enforced again: other -> web:8080 times out" times_out b other "$WEB" 8080
check "front -> web:8080 connects" connects a front "$WEB" 8080
WEB_CHAIN="tw-cali$(printf '%s' demo.web | sha1sum | cut -c1-11)"
in_ns a nft flush chain ip tabby "$WEB_CHAIN"
check "a chain flushed by hand is repaired (a full check at most every 5 s)" eventually 7 \
    bash -c "ip netns exec $(ns a) nft list chain ip tabby $WEB_CHAIN | grep -q 'no profile matched'"
check "the status reports the ruleset" bash -c "curl -s --unix-socket $WORK/a.sock http://localhost/status | grep -q '\"chains\"'"
check "other tables are untouched" test "$FOREIGN_BEFORE" = "$(in_ns a nft list table inet foreign)"

echo "e2e-policy$SUITE_SUFFIX: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]

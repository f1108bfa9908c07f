#!/usr/bin/env bash
# End-to-end on a three-member etcd cluster (Tests/e2e/etcd-lib.sh): tabbyd on three nodes in network namespaces,
# workloads on each pinging each other over VXLAN, and
#   - etcdctl interop: a Calico-JSON IPPool and WorkloadEndpoint put with etcdctl are programmed; what tabbyctl
#     writes reads back with etcdctl get in Calico's shape; a value that is not JSON shows in the status errors
#     under its key while the agents keep running on what they had;
#   - the leader killed: the agents carry on, traffic flows, IPAM keeps allocating;
#   - every member killed: routes and nf_tables stay as they were, the status says not in sync; the members back
#     on their data: in sync again without a restart, a later change is programmed;
#   - compaction while one agent is cut off (the one member it talks to stopped): changes made meanwhile, the
#     history compacted and defragmented, the member back: the agent resyncs, programs what was added and removes
#     what was deleted.
# Needs root, etcd and jq. Prints "e2e-etcd-cluster: N passed, M failed" as its last line.
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${BIN:=$(swift build --show-bin-path)}"
export BIN
TOPO="tabby-ec-$$"
export TABBY_DATASTORE=etcd ETCD_MEMBERS=3
source Tests/e2e/lib.sh
datastore_require e2e-etcd-cluster
trap topology_down EXIT
if ! command -v jq >/dev/null; then
    echo "e2e-etcd-cluster: skipped: jq is not installed (make deps)"
    echo "e2e-etcd-cluster: 0 passed, 0 failed"
    exit 0
fi

RESOURCES=/calico/resources/v3/projectcalico.org

# ejson KEY FILTER: the value etcd holds at KEY, tested with the jq FILTER.
ejson() { ectl get "$1" --print-value-only | jq -e "$2" >/dev/null; }

all_pairs_ping() {
    local ok=0
    for from in "${PODS[@]}"; do
        for to in "${PODS[@]}"; do
            [ "$from" = "$to" ] && continue
            ping_pod "${from%%:*}" "${from##*:}" "${POD_IP[$to]}" || { echo "    no reply: $from -> $to (${POD_IP[$to]})"; ok=1; }
        done
    done
    return $ok
}
# route_via NODE ADDRESS IFACE: NODE routes ADDRESS to the workload interface IFACE.
route_via() { in_ns "$1" ip route show "$2" 2>/dev/null | grep -q "dev $3"; }
no_route() { [ -z "$(in_ns "$1" ip route show "$2" 2>/dev/null)" ]; }
in_sync() { status_json "$1" | grep -q '"datastoreInSync" *: *true'; }
not_in_sync() { status_json "$1" | grep -q '"datastoreInSync" *: *false'; }
all_in_sync() { for n in a b c; do in_sync "$n" || return 1; done; }
all_alive() { for n in a b c; do kill -0 "${NODE_PID[$n]}" 2>/dev/null || return 1; done; }
status_names() { status_json "$1" | grep -qF -- "$2"; }
status_lacks() { ! status_names "$@"; }
names_an_endpoint() {
    status_json "$1" | grep -q '192\.0\.2\.20[123]:2379' || grep -q '192\.0\.2\.20[123]:2379' "$WORK/$1.log"
}
pool_read() { ctl get ippool pods -o yaml | grep -q 'cidr: 203.0.113.0/24'; }
# revision_is_mod_revision KEY KIND NAME: tabbyctl's resourceVersion of KIND NAME is the mod revision etcd has for KEY.
revision_is_mod_revision() {
    local modified shown
    modified="$(ectl get "$1" -w json | jq -r '.kvs[0].mod_revision')"
    shown="$(ctl get "$2" "$3" -o json | jq -r '.metadata.resourceVersion')"
    [ -n "$modified" ] && [ "$modified" = "$shown" ]
}
leader_elected() { [ -n "$(etcd_leader)" ]; }
# compacted_before REVISION: reading at the revision before REVISION fails as compacted.
compacted_before() { local answer; answer="$(ectl_at 0 get --rev=$(($1 - 1)) / 2>&1)"; [[ "$answer" == *compacted* ]]; }
# dataplane NODE: the node's routes (every table, both families) and its nf_tables ruleset, rule counters aside.
# The kernel's own IPv6 link-local and multicast routes of a new veth appear when its DAD ends, whatever tabbyd
# does: they are left out of the comparison.
dataplane() {
    { in_ns "$1" ip route show table all; in_ns "$1" ip -6 route show table all; } | grep -Ev '(^| )(fe80::|ff00::/8)'
    in_ns "$1" nft list ruleset | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'
}

echo "e2e etcd cluster (namespaces ${TOPO}-*, etcd members $ETCD_ENDPOINTS)"
topology_up

echo "-- etcdctl interop: an IPPool put as Calico's JSON"
ectl put "$RESOURCES/ippools/pods" >/dev/null <<'JSON'
{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"pods","uid":"0b5e7c9a-4a1e-4c57-9c1e-2f1d0c3a5b01","creationTimestamp":"2026-01-01T00:00:00Z"},"spec":{"cidr":"203.0.113.0/24","vxlanMode":"Always","ipipMode":"Never","natOutgoing":false,"blockSize":28,"nodeSelector":"all()","allowedUses":["Workload","Tunnel"]}}
JSON
check "tabbyctl reads the IPPool etcdctl put" pool_read
node_add a 192.0.2.11/24 192.0.2.254
node_add b 192.0.2.12/24 192.0.2.254
node_add c 192.0.2.13/24 192.0.2.254
check "a Node tabbyctl applied reads back with etcdctl as Calico's JSON" ejson "$RESOURCES/nodes/a" \
    '.apiVersion == "projectcalico.org/v3" and .kind == "Node" and .metadata.name == "a" and .spec.bgp.ipv4Address == "192.0.2.11/24"'
for n in a b c; do tabbyd_start "$n"; done
for n in a b c; do wait_ready "$n"; done
check "every agent is in sync" eventually 10 all_in_sync

declare -A POD_IP
PODS=()
for n in a b c; do
    POD_IP["$n:w1"]="$(pod_add "$n" w1 "role: web")"
    PODS+=("$n:w1")
done
POD_IP["c:w2"]="$(pod_add c w2 "role: web")"
PODS+=("c:w2")
check "every workload reaches every other over VXLAN (pool from etcdctl)" eventually 10 all_pairs_ping
BLOCK_A="$(ctl ipam show --ip "${POD_IP[a:w1]}" | awk '/Block:/ {print $2}')"
check "the IPAM block is where Calico keeps it, affine to its node" ejson \
    "/calico/ipam/v2/assignment/ipv4/block/${BLOCK_A/\//-}" ".cidr == \"$BLOCK_A\" and .affinity == \"host:a\""
check "and so is the node's affinity to it" ejson "/calico/ipam/v2/host/a/ipv4/block/${BLOCK_A/\//-}" \
    '.state == "confirmed"'

echo "-- etcdctl interop: a WorkloadEndpoint put as Calico's JSON"
X1="$(pod_wire a x1 demo)"
X1_IFACE="$(pod_iface x1 demo)"
X1_MAC="$(ip netns exec "$(ns a-x1)" cat /sys/class/net/eth0/address)"
ectl put "$RESOURCES/workloadendpoints/demo/a-k8s-x1-eth0" >/dev/null <<JSON
{"kind":"WorkloadEndpoint","apiVersion":"projectcalico.org/v3","metadata":{"name":"a-k8s-x1-eth0","namespace":"demo","uid":"5f0c2a8e-2f4b-4b8e-8c52-7d1e6a9b3c02","creationTimestamp":"2026-01-01T00:00:00Z","labels":{"projectcalico.org/namespace":"demo","projectcalico.org/orchestrator":"k8s"}},"spec":{"orchestrator":"k8s","node":"a","containerID":"x1","pod":"x1","endpoint":"eth0","ipNetworks":["$X1/32"],"profiles":["kns.demo"],"interfaceName":"$X1_IFACE","mac":"$X1_MAC"}}
JSON
check "the route to its cali interface appears" eventually 3 route_via a "$X1" "$X1_IFACE"
check "and it reaches a workload on another node" eventually 5 ping_pod a x1 "${POD_IP[b:w1]}"

echo "-- etcdctl interop: what tabbyctl apply writes"
ctl apply -f - >/dev/null <<'YAML'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: interop-check}
spec:
  order: 500
  selector: has(interop-nothing)
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: [8080]}
YAML
check "a GlobalNetworkPolicy reads back with etcdctl as Calico's JSON" ejson "$RESOURCES/globalnetworkpolicies/interop-check" \
    '.apiVersion == "projectcalico.org/v3" and .kind == "GlobalNetworkPolicy" and .metadata.name == "interop-check"
     and .spec.order == 500 and .spec.selector == "has(interop-nothing)" and .spec.ingress[0].action == "Allow"
     and .spec.ingress[0].protocol == "TCP" and .spec.ingress[0].destination.ports == [8080]'
check "the resourceVersion tabbyctl shows is the key's mod revision" revision_is_mod_revision \
    "$RESOURCES/globalnetworkpolicies/interop-check" globalnetworkpolicy interop-check

echo "-- a value that is not JSON under a Calico key"
BEFORE_BAD="$(dataplane a)"
ectl put "$RESOURCES/ippools/broken" 'this is not json' >/dev/null
check "the status errors name the key" eventually 5 status_names a "ippools/broken"
check "the agents keep running" all_alive
check "and keep what they had" test "$BEFORE_BAD" = "$(dataplane a)"
check "traffic still flows" eventually 3 all_pairs_ping
ectl del "$RESOURCES/ippools/broken" >/dev/null
check "the error goes once the key is deleted" eventually 5 status_lacks a "ippools/broken"

echo "-- the leader killed"
LEADER="$(etcd_leader)"
check "the cluster has a leader" test -n "$LEADER"
etcd_member_stop "${LEADER:-0}"
check "a new leader is elected" eventually 10 leader_elected
check "the agents carry on" all_alive
check "traffic still flows" eventually 5 all_pairs_ping
POD_IP["b:w2"]="$(pod_add b w2 "role: web")"
PODS+=("b:w2")
check "IPAM still allocates: a new workload gets an address" test -n "${POD_IP[b:w2]}"
check "and is programmed on its node" eventually 5 route_via b "${POD_IP[b:w2]}" "$(pod_iface w2)"
check "and reached from the other nodes" eventually 5 all_pairs_ping
check "the agents are in sync" eventually 15 all_in_sync
etcd_member_start "${LEADER:-0}"
etcd_wait_healthy "${LEADER:-0}"

echo "-- every member killed"
declare -A BEFORE
for n in a b c; do BEFORE[$n]="$(dataplane "$n")"; done
PID_BEFORE="${NODE_PID[a]} ${NODE_PID[b]} ${NODE_PID[c]}"
for ((i = 0; i < ETCD_MEMBERS; i++)); do etcd_member_stop "$i"; done
for n in a b c; do check "node $n's status says not in sync" eventually 15 not_in_sync "$n"; done
check "the status or the log names an endpoint" names_an_endpoint a
sleep 3
unchanged() {
    local now
    now="$(dataplane "$1")"
    [ "${BEFORE[$1]}" = "$now" ] && return 0
    diff <(echo "${BEFORE[$1]}") <(echo "$now") >&2
    return 1
}
for n in a b c; do check "node $n's routes and nf_tables are as they were" unchanged "$n"; done
check "the agents keep running" all_alive
check "traffic still flows" eventually 5 all_pairs_ping
for ((i = 0; i < ETCD_MEMBERS; i++)); do etcd_member_start "$i"; done
for ((i = 0; i < ETCD_MEMBERS; i++)); do etcd_wait_healthy "$i" 30; done
check "in sync again once the members are back" eventually 30 all_in_sync
check "without a restart" test "$PID_BEFORE" = "${NODE_PID[a]} ${NODE_PID[b]} ${NODE_PID[c]}"
check "the agents keep running" all_alive
POD_IP["a:w2"]="$(pod_add a w2 "role: web")"
PODS+=("a:w2")
check "a workload added after the recovery is programmed" eventually 5 route_via a "${POD_IP[a:w2]}" "$(pod_iface w2)"
check "and reached from the other nodes" eventually 5 all_pairs_ping

echo "-- compaction while node c is cut off"
# c's agent talks to member m2 only; stopping m2 cuts c off while the other two keep the cluster going.
tabbyd_stop c
NODE_ENDPOINTS[c]="$(etcd_url 2)"
tabbyd_start c
wait_ready c
check "node c is in sync through m2 alone" eventually 15 in_sync c
PID_C="${NODE_PID[c]}"
etcd_member_stop 2
check "node c is not in sync without m2" eventually 15 not_in_sync c
POD_IP["c:w3"]="$(pod_add c w3 "role: web")"
ctl delete workloadendpoint c-k8s-w2-eth0 -n demo >/dev/null
ctl ipam release --ip "${POD_IP[c:w2]}" >/dev/null
sleep 2
check "while cut off, c programs nothing new" no_route c "${POD_IP[c:w3]}"
check "and removes nothing" route_via c "${POD_IP[c:w2]}" "$(pod_iface w2)"
REVISION="$(ECTL_ENDPOINTS="$(etcd_url 0),$(etcd_url 1)" etcd_revision)"
ECTL_ENDPOINTS="$(etcd_url 0),$(etcd_url 1)" ectl compact "$REVISION" >/dev/null
ECTL_ENDPOINTS="$(etcd_url 0),$(etcd_url 1)" ectl defrag >/dev/null
check "the history before revision $REVISION is compacted" compacted_before "$REVISION"
etcd_member_start 2
etcd_wait_healthy 2 30
ectl_at 2 defrag >/dev/null
check "node c is in sync again" eventually 30 in_sync c
check "it programs the workload added meanwhile" eventually 5 route_via c "${POD_IP[c:w3]}" "$(pod_iface w3)"
check "and removes the one deleted meanwhile" eventually 15 no_route c "${POD_IP[c:w2]}"
check "the same process" test "$PID_C" = "${NODE_PID[c]}"
check "and still kill -0's" kill -0 "$PID_C"
PODS=("${PODS[@]/c:w2/c:w3}")
check "every workload reaches every other" eventually 5 all_pairs_ping
check "tabbyctl ipam check is clean" ctl ipam check

echo "e2e-etcd-cluster: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]

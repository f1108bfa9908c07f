#!/usr/bin/env bash
# make demo: a three-node Tabby cluster inside network namespaces on this machine. Each node runs tabbyd
# against one shared datastore directory; two workloads per node get addresses from a VXLAN pool, veth cali*
# interfaces and the 169.254.1.1 gateway; then every workload pings every other. Everything is removed at
# the end. Needs root; touches nothing outside its own namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then echo "make demo needs root (it creates network namespaces)"; exit 1; fi
export BIN="$(swift build --show-bin-path)"
TOPO="tabby-demo-$$"
source Tests/e2e/lib.sh
trap topology_down EXIT
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

say "1. A datastore with a VXLAN pool (tabbyctl apply)"
topology_up
ctl apply -f - <<'YAML'
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: demo-pool}
spec: {cidr: 203.0.113.0/24, blockSize: 28, vxlanMode: Always, natOutgoing: false}
YAML
ctl get ippools -o wide

say "2. Three nodes on one bridge, tabbyd on each"
for n in a b c; do node_add "$n" "192.0.2.$((10 + $(printf "%d" "'$n") - 96))/24" 192.0.2.254; done
for n in a b c; do tabbyd_start "$n"; done
for n in a b c; do wait_ready "$n"; done
echo "tabbyd is ready on ${NODES[*]}"

say "3. Two workloads per node"
declare -A POD_IP
for n in a b c; do
    for p in web db; do
        POD_IP["$n/$p"]="$(pod_add "$n" "$p" "app: $p")"
        echo "  $n/$p  ${POD_IP[$n/$p]}"
    done
done
sleep 1

say "4. Node a's routes and devices (ip route, ip neigh, bridge fdb in its namespace)"
in_ns a ip route
in_ns a ip -d link show vxlan.calico | sed -n '1,3p'
in_ns a ip neigh show dev vxlan.calico
in_ns a bridge fdb show dev vxlan.calico

say "5. tabbyctl node status (node a)"
ctl node status --status-socket "$WORK/a.sock"

say "6. tabbyctl ipam show --show-blocks"
ctl ipam show --show-blocks

say "7. Every workload pings every other"
ok=0; total=0
for from in "${!POD_IP[@]}"; do
    for to in "${!POD_IP[@]}"; do
        [ "$from" = "$to" ] && continue
        total=$((total + 1))
        if ping_pod "${from%%/*}" "${from##*/}" "${POD_IP[$to]}"; then ok=$((ok + 1)); else echo "  no reply: $from -> $to"; fi
    done
done
echo "$ok of $total pings answered"

say "8. Cleaning up"

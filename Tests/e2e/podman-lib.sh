#!/usr/bin/env bash
# podman as a real CNI client on Tabby nodes in network namespaces. Sourced after Tests/e2e/lib.sh (it uses ns,
# $WORK and $BIN). podman 4.3.1 (Debian 12) runs here with its CNI backend; see Docs/testing.md for what it sends.
#
# Everything podman keeps for node NODE lives under $PODMAN_DIR/NODE: storage (--root, driver vfs, so no
# overlay mounts), run state (--runroot), runc's state (runc.sh: runc --root ...), libpod's tmp_dir with file
# locks (no /dev/shm/libpod_lock), the node's conflists (--network-config-dir) and its containers.conf
# (CONTAINERS_CONF: CNI backend, cni_plugin_dirs = $PODMAN_CNI_BIN, runc, cgroupfs, no events). Containers run
# from one exploded busybox-static root filesystem (--rootfs $PODMAN_ROOTFS): no image store at all, because
# `podman import` writes a blob-info cache under /var/lib/containers on the host whatever --root says.
#
# Outside those directories podman makes only what its CNI backend always makes: the container's namespace,
# bind-mounted at /run/netns/netns-<uuid> (podman rm removes it), and libcni's result cache
# /var/lib/cni/results/<network>-<containerID>-<ifname> (CNI DEL removes it). podman_down removes both for every
# container it recorded, should podman itself fail to.
#
# podman runs for a node as `nsenter --net=/run/netns/<node> podman ...` (ip netns exec would remount /sys and
# hide the cgroup mounts runc needs), so the CNI plugin runs in the node's namespace: the host side of each veth
# lands in the node, the container side in the container's own namespace.

: "${PODMAN_DIR:=$WORK/podman}"
PODMAN_CNI_BIN="$PODMAN_DIR/cni-bin"
PODMAN_ROOTFS="$PODMAN_DIR/rootfs"
# What the scenario needs, and the Debian packages that bring it.
PODMAN_COMMANDS=(podman runc conmon nsenter busybox)
PODMAN_PACKAGES=(podman runc busybox-static containernetworking-plugins)
REFERENCE_PLUGINS=/usr/lib/cni
PODMAN_NODES=()

# podman_missing: the commands and reference plugins that are not installed, one per line.
podman_missing() {
    local command
    for command in "${PODMAN_COMMANDS[@]}"; do command -v "$command" >/dev/null || echo "$command"; done
    for command in portmap tuning; do [ -x "$REFERENCE_PLUGINS/$command" ] || echo "$REFERENCE_PLUGINS/$command"; done
    busybox_static >/dev/null || echo "a static busybox (busybox-static)"
}

# busybox_static: the path of a statically linked busybox (the containers have no libraries).
busybox_static() {
    local candidate
    for candidate in /bin/busybox /usr/bin/busybox; do
        if [ -x "$candidate" ] && ! ldd "$candidate" >/dev/null 2>&1; then echo "$candidate"; return 0; fi
    done
    return 1
}

# podman_install: installs what podman_missing lists, when root with apt; says why not otherwise.
podman_install() {
    [ -z "$(podman_missing)" ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "missing: $(podman_missing | paste -sd, -), and no root with apt-get to install ${PODMAN_PACKAGES[*]}"
        return 1
    fi
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${PODMAN_PACKAGES[@]}"; } \
        >"$WORK/apt.log" 2>&1 || { echo "apt-get install ${PODMAN_PACKAGES[*]} failed: $(tail -1 "$WORK/apt.log")"; return 1; }
    [ -z "$(podman_missing)" ] || { echo "still missing after apt-get: $(podman_missing | paste -sd, -)"; return 1; }
}

# podman_prepare: the root filesystem and the CNI plugin directory shared by every node.
podman_prepare() {
    local applet plugin
    mkdir -p "$PODMAN_ROOTFS/bin" "$PODMAN_CNI_BIN"
    cp "$(busybox_static)" "$PODMAN_ROOTFS/bin/busybox"
    for applet in sh ip ping ping6 sleep cat nc ls echo true hostname; do ln -sf busybox "$PODMAN_ROOTFS/bin/$applet"; done
    for plugin in tabby tabby-ipam; do [ -x "$BIN/$plugin" ] && ln -sf "$BIN/$plugin" "$PODMAN_CNI_BIN/$plugin"; done
    for plugin in portmap tuning loopback ptp host-local; do
        [ -x "$REFERENCE_PLUGINS/$plugin" ] && ln -sf "$REFERENCE_PLUGINS/$plugin" "$PODMAN_CNI_BIN/$plugin"
    done
    return 0
}

# podman_node NODE: the node's own podman state directory and containers.conf.
podman_node() {
    local node="$1" dir="$PODMAN_DIR/$1"
    mkdir -p "$dir/net.d" "$dir/tmp" "$dir/runc"
    # runc with its state under the node's directory. A containers.conf runtime rather than --runtime-flag, so
    # that `podman container cleanup`, which conmon runs when a container exits (with CONTAINERS_CONF inherited
    # but not podman's flags), deletes the container from the same runc root: otherwise the next `podman start`
    # fails "runc create failed: container with given ID already exists".
    printf '#!/bin/sh\nexec %s --root %s "$@"\n' "$(command -v runc)" "$dir/runc" >"$dir/runc.sh"
    chmod +x "$dir/runc.sh"
    cat >"$dir/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "none"
lock_type = "file"
tmp_dir = "$dir/tmp"
image_copy_tmp_dir = "$dir/tmp"
[engine.runtimes]
runc = ["$dir/runc.sh"]
[network]
network_backend = "cni"
cni_plugin_dirs = ["$PODMAN_CNI_BIN"]
network_config_dir = "$dir/net.d"
CONF
    : >"$dir/containers.list"
    PODMAN_NODES+=("$node")
}

# pm NODE ARGS...: podman for that node, inside the node's network namespace, on the node's own state.
pm() {
    local node="$1" dir="$PODMAN_DIR/$1"; shift
    CONTAINERS_CONF="$dir/containers.conf" timeout 120 nsenter --net="/run/netns/$(ns "$node")" \
        podman --root "$dir/root" --runroot "$dir/run" --storage-driver vfs --runtime runc \
        --tmpdir "$dir/tmp" --cgroup-manager cgroupfs --events-backend none --network-config-dir "$dir/net.d" "$@"
}

# conflist NODE NAME: writes the node's conflist NAME (from stdin) where podman finds it.
conflist() { cat >"$PODMAN_DIR/$1/net.d/$2.conflist"; }

# ctr_run NODE NAME NETWORK [podman run options...]: `podman run -d` of a container sleeping for an hour, with
# the sandbox's ulimits and runc (also in containers.conf, repeated so the command line says it all). Records the
# container for podman_down whether or not it started; podman's output goes to $PODMAN_DIR/NAME.out.
ctr_run() {
    local node="$1" name="$2" network="$3"; shift 3
    local rc=0
    pm "$node" run -d --name "$name" --network "$network" --runtime runc \
        --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@" --rootfs "$PODMAN_ROOTFS" sleep 3600 \
        >"$PODMAN_DIR/$name.out" 2>&1 || rc=$?
    pm "$node" inspect --format '{{.Id}} {{.NetworkSettings.SandboxKey}} {{.State.ConmonPid}} {{.State.Pid}}' \
        "$name" >>"$PODMAN_DIR/$node/containers.list" 2>/dev/null || true
    [ $rc -eq 0 ] || [ -n "${CTR_RUN_QUIET:-}" ] || sed -n '$s/^/    podman: /p' "$PODMAN_DIR/$name.out"
    return $rc
}

# ctr NODE NAME COMMAND...: runs COMMAND in the container (podman's own complaints go to $PODMAN_DIR/podman.err).
ctr() { local node="$1" name="$2"; shift 2; pm "$node" exec "$name" "$@" 2>>"$PODMAN_DIR/podman.err"; }

# ctr_ip NODE NAME [4|6]: the container's global address of that family on eth0 (IPv4 by default).
ctr_ip() {
    local family="${3:-4}"
    ctr "$1" "$2" ip "-$family" -o addr show dev eth0 scope global 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -1
}

# ctr_ping NODE NAME ADDRESS: one ping from the container, one second.
ctr_ping() { ctr "$1" "$2" ping -c 1 -W 1 -q "$3" >/dev/null 2>&1; }

# ctr_running NODE NAME: the container is running.
ctr_running() { [ "$(pm "$1" inspect --format '{{.State.Running}}' "$2" 2>/dev/null)" = true ]; }

# ctr_rm NODE NAME: `podman rm -f -t 0` (CNI DEL).
ctr_rm() { pm "$1" rm -f -t 0 "$2" >/dev/null 2>&1; }

# ctr_id NODE NAME: the full container ID.
ctr_id() { pm "$1" inspect --format '{{.Id}}' "$2" 2>/dev/null; }

# own_process PID: the process is alive and one of ours (its command line or root names $PODMAN_DIR), so a
# recycled PID is never signalled.
own_process() {
    local pid="$1"
    [ -n "$pid" ] && [ "$pid" != 0 ] && [ -d "/proc/$pid" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$PODMAN_DIR" && return 0
    [[ "$(readlink "/proc/$pid/root" 2>/dev/null)" == "$PODMAN_DIR"* ]]
}

# podman_down: removes every container of every node (podman rm, so CNI DEL runs while the datastore is still
# there), then whatever podman left: recorded namespaces, processes, libcni cache entries, mounts under
# $PODMAN_DIR, and the directory. Run it before topology_down (it needs the node namespaces).
podman_down() {
    local node id netns conmon pid mount
    for node in "${PODMAN_NODES[@]}"; do
        [ -e "/run/netns/$(ns "$node")" ] && pm "$node" rm -a -f -t 0 >/dev/null 2>&1
        while read -r id netns conmon pid; do
            [ -n "$id" ] || continue
            for pid in "$pid" "$conmon"; do own_process "$pid" && kill -KILL "$pid" 2>/dev/null; done
            if [ -n "$netns" ] && [ -e "$netns" ] && [[ "$netns" == /run/netns/* ]]; then
                ip netns delete "$(basename "$netns")" 2>/dev/null || { umount "$netns" 2>/dev/null; rm -f "$netns"; }
            fi
            rm -f /var/lib/cni/results/*-"$id"-* 2>/dev/null
        done <"$PODMAN_DIR/$node/containers.list"
    done
    PODMAN_NODES=()
    # Deepest first: a container's shm under its storage directory.
    grep -o " $PODMAN_DIR[^ ]*" /proc/mounts 2>/dev/null | sort -r | while read -r mount; do umount -l "$mount"; done
    rm -rf "$PODMAN_DIR"
    return 0
}

# podman_runs: podman and runc can start a container here at all (in a throwaway namespace, no network).
podman_runs() {
    local probe="podman-probe" dir="$PODMAN_DIR/podman-probe" nodes=("${PODMAN_NODES[@]}")
    ip netns add "$(ns "$probe")" || return 1
    podman_node "$probe"
    CTR_RUN_QUIET=1 ctr_run "$probe" probe none >/dev/null 2>&1
    local ok=1
    [ "$(pm "$probe" inspect --format '{{.State.Running}}' probe 2>/dev/null)" = true ] && ok=0
    [ $ok -eq 0 ] || cp "$PODMAN_DIR/probe.out" "$WORK/podman-probe.out" 2>/dev/null
    pm "$probe" rm -a -f -t 0 >/dev/null 2>&1
    local id netns conmon pid
    while read -r id netns conmon pid; do
        for pid in "$pid" "$conmon"; do own_process "$pid" && kill -KILL "$pid" 2>/dev/null; done
    done <"$dir/containers.list"
    PODMAN_NODES=("${nodes[@]}")
    ip netns delete "$(ns "$probe")"
    rm -rf "$dir"
    return $ok
}

# k8s_args_shim NAME NAMESPACE: a plugin NAME in $PODMAN_CNI_BIN that adds K8S_POD_NAMESPACE=NAMESPACE to the
# CNI_ARGS podman sends (podman 4.3.1 sends only K8S_POD_NAME=<container name>, see Docs/testing.md), then runs
# tabby: the part a Kubernetes runtime plays, so that the container is a pod whose Pod object (and labels) the
# plugin finds. Used only for the network of the policy checks.
k8s_args_shim() {
    cat >"$PODMAN_CNI_BIN/$1" <<SHIM
#!/bin/sh
case ";\${CNI_ARGS:-};" in *";K8S_POD_NAME="*) CNI_ARGS="\$CNI_ARGS;K8S_POD_NAMESPACE=$2"; export CNI_ARGS;; esac
exec "$BIN/tabby"
SHIM
    chmod +x "$PODMAN_CNI_BIN/$1"
}

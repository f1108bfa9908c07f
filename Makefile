# Tabby: `make test` is the one command a newcomer (and CI) runs.
SWIFT        ?= swift
APT_PACKAGES := libmnl-dev libnftnl-dev nftables iproute2 pkg-config iputils-ping curl systemd socat prometheus
# The podman scenario (Tests/e2e/podman.sh): podman as the real CNI client, runc, a static busybox for its containers.
APT_PACKAGES += podman runc busybox-static containernetworking-plugins
# etcd (the etcd datastore's tests and scenarios) and etcdctl, the independent client they check it with.
APT_PACKAGES += etcd-server etcd-client
# jq: the etcd scenario (Tests/e2e/etcd-cluster.sh) reads etcdctl's JSON with it.
APT_PACKAGES += jq
# openssl: the etcd client's TLS tests make a throwaway CA and certificates with it (Tests/EtcdTestSupport).
APT_PACKAGES += openssl
# BIRD 2 (bird, birdc): the BGP speaker tabbyd supervises with --networking-backend bird, in the BGP tests and e2e
APT_PACKAGES += bird2
export PATH  := $(PATH):/opt/swift/usr/bin

.PHONY: all deps build release install test e2e fuzz demo bench bench-netlink bench-nftables bench-dataplane bench-calculation bench-ipam bench-selector bench-agent bench-policy-dataplane bench-cni bench-etcd bench-bgp clean

all: build

# Installs the Debian packages the build and the tests use, only those missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The CNI plugins `tabby` and `tabby-ipam` into CNI_BIN_DIR and 10-tabby.conflist into CNI_CONF_DIR, with the
# datastore and node name filled in (packaging/cni/install.sh; Docs/cni.md).
CNI_BIN_DIR  ?= /opt/cni/bin
CNI_CONF_DIR ?= /etc/cni/net.d
DATASTORE    ?= /var/lib/tabby/datastore
NODENAME     ?= $(shell hostname)
ASSIGN_IPV6  ?= false
# Linked with the Swift runtime and Foundation statically (in .build-static): a runtime execs the plugin for every
# ADD and DEL, and loading the shared Swift libraries took 18 ms of each start against 5 ms static (Docs/cni.md).
# Not position-independent (CNI_PIE=-pie to have it): the loader then applies ~900 relocations, not ~78,000.
CNI_PIE       ?= -no-pie
INSTALL_BUILD := $(SWIFT) build -c release --static-swift-stdlib -Xswiftc -Xclang-linker -Xswiftc $(CNI_PIE) \
                 --scratch-path .build-static
install: deps
	$(INSTALL_BUILD) --product tabby
	$(INSTALL_BUILD) --product tabby-ipam
	@SOURCE_BIN="$$($(INSTALL_BUILD) --show-bin-path)" CNI_BIN_DIR="$(CNI_BIN_DIR)" \
	    CNI_CONF_DIR="$(CNI_CONF_DIR)" DATASTORE="$(DATASTORE)" NODENAME="$(NODENAME)" ASSIGN_IPV6="$(ASSIGN_IPV6)" \
	    bash packaging/cni/install.sh

test: deps
	$(SWIFT) build
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=30
	@$(MAKE) --no-print-directory e2e
	@$(MAKE) --no-print-directory vm-test

# libFuzzer over every parser of outside input (Fuzz/), built with ASan in .build-fuzz: each target runs for
# FUZZ_SECONDS and the run fails on a crash; `make test` runs each for 30 s. See Docs/testing.md.
FUZZ_SECONDS ?= 60
fuzz: deps
	@SWIFT="$(SWIFT)" FUZZ_SECONDS=$(FUZZ_SECONDS) bash Fuzz/run.sh

# Multi-node scenarios in network namespaces (root only: they create and delete their own namespaces); podman.sh
# attaches real podman containers through the tabby CNI plugins. Then routing and policy again with the nodes
# sharing an etcd instead of a directory (TABBY_DATASTORE=etcd), and etcd-cluster.sh on three etcd members
# (Tests/e2e/etcd-lib.sh); bgp.sh runs BIRD on three nodes in two subnets (Docs/bgp.md).
e2e: build
	@if [ "$$(id -u)" != 0 ]; then echo "e2e: skipped: needs root to create network namespaces"; \
	else BIN="$$($(SWIFT) build --show-bin-path)"; export BIN; \
	    bash Tests/e2e/routing.sh; routing=$$?; bash Tests/e2e/policy.sh; policy=$$?; \
	    bash Tests/e2e/dualstack.sh; dualstack=$$?; bash Tests/e2e/podman.sh; podman=$$?; \
	    TABBY_DATASTORE=etcd bash Tests/e2e/routing.sh; routing_etcd=$$?; \
	    TABBY_DATASTORE=etcd bash Tests/e2e/policy.sh; policy_etcd=$$?; \
	    bash Tests/e2e/etcd-cluster.sh; etcd_cluster=$$?; bash Tests/e2e/bgp.sh; bgp=$$?; \
	    [ $$routing -eq 0 ] && [ $$policy -eq 0 ] && [ $$dualstack -eq 0 ] && [ $$podman -eq 0 ] && \
	    [ $$routing_etcd -eq 0 ] && [ $$policy_etcd -eq 0 ] && [ $$etcd_cluster -eq 0 ] && [ $$bgp -eq 0 ]; fi

# IPIP end to end in a qemu VM (this kernel may lack ipip): installs qemu-system-x86, busybox-static and cpio when
# missing, skips with a message only when they cannot be installed. See Docs/testing.md.
.PHONY: vm-test
vm-test: deps
	@SWIFT="$(SWIFT)" bash Tests/vm/run.sh

demo: build
	@./examples/demo.sh

# Benchmarks print their figures; they are not part of `make test`.
bench: bench-netlink bench-nftables bench-dataplane bench-calculation bench-selector bench-ipam bench-agent bench-policy-dataplane bench-cni bench-bgp

bench-agent: deps
	./bench/agent/run.sh

# BGP through BIRD with 200 nodes' blocks (root, bird2): block-to-route latency, BIRD restart, render and reload.
bench-bgp: deps
	./bench/agent/run.sh --bgp

bench-dataplane: deps
	./bench/dataplane/run.sh

# tabby + tabby-ipam against ptp + host-local (containernetworking-plugins), as root. See Docs/performance.md.
bench-cni: deps
	./bench/cni/run.sh

bench-calculation: deps
	$(SWIFT) run -c release calculation-bench

bench-netlink: deps
	./bench/netlink/run.sh

bench-nftables: deps
	./bench/nftables/run.sh

bench-policy-dataplane: deps
	./bench/policy-dataplane/run.sh

bench-selector: deps
	$(SWIFT) run -c release selector-bench

# IPAM throughput on the file datastore and on etcd (one member on loopback, data in /tmp) in the same run.
bench-ipam: deps
	$(SWIFT) run -c release ipam-bench

# The etcd datastore's figures against the file datastore's, same runs: IPAM throughput with 1, 2, 8 writers,
# then tabbyd's cold start and write-to-route latency (root). See Docs/performance.md, "etcd datastore".
bench-etcd: deps
	$(SWIFT) run -c release ipam-bench --stores file,etcd
	./bench/agent/run.sh --quick --stores file,etcd

clean:
	rm -rf .build .build-vm .build-fuzz .build-static

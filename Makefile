# dialtone — make help lists the targets.
SHELL := /bin/bash
GO ?= go
BIN := bin/dialtone
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: what the build links against, and what the tests drive.
DEBS_BUILD := gcc pkg-config libvpx-dev libopus-dev portaudio19-dev
DEBS_TEST := dnsutils tmux pulseaudio pulseaudio-utils libasound2-plugins coturn qemu-system-x86 chromium baresip-core sip-tester xvfb kitty imagemagick xterm xdotool fonts-dejavu-core
DEBS_BENCH := dnsperf timg knot mpv

# Flags for the phone under make run: make run ARGS='--server ws://127.0.0.1:7700/v1'
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help deps deps-build deps-bench build run test bench soak fuzz lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

deps: deps-build ## install the Debian packages the build and tests need (only the missing ones)
	@./.ci/debs $(DEBS_TEST)

# What building and running the phone needs: not the browsers, terminals and
# SIP peers the tests drive.
deps-build:
	@./.ci/debs $(DEBS_BUILD)
	@command -v $(GO) >/dev/null || { echo "Go 1.26 is needed: https://go.dev/dl"; exit 1; }
	@$(GO) mod download

deps-bench: deps
	@./.ci/debs $(DEBS_BENCH)

build: deps-build ## build bin/dialtone
	@echo "building $(BIN) (the first build compiles the libvpx, libopus and PortAudio bindings: a few minutes; later builds take seconds)…"
	$(GO) build -o $(BIN) ./cmd/dialtone

run: build ## run the phone (embedded local server: dial 600, the echo test); flags in ARGS='…'
	./$(BIN) $(ARGS)

test: deps ## run the whole test suite (what CI runs)
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/dialtone
	@# Test artifacts (the browser phone's in-call screenshot) are kept in bin/test-artifacts.
	@mkdir -p bin/test-artifacts
	$(GO) test -count=1 -timeout 15m -artifacts -outputdir $(CURDIR)/bin/test-artifacts $$($(GO) list ./... | grep -v '/call/media$$')
	@# call/media measures real-time media over constrained links (64 kbit/s must still
	@# carry video); it runs alone so that it measures the link, not the other packages.
	$(GO) test -count=1 -timeout 10m ./call/media
	$(GO) test -count=1 -race -timeout 10m ./server/... ./call/wire/... ./call/number/...

bench: deps-bench build ## run the benchmarks and the server load test; figures for the README table
	$(GO) test -run '^$$' -bench . -benchmem -count 1 -timeout 30m ./...
	$(GO) test -count=1 -run TestDNSPerf -v ./server/dnsserver -args -dnsperf=10s
	./.ci/bench-dns
	./.ci/bench-dns-load
	$(GO) test -count=1 -run TestBrowserSetup -v ./cmd/dialtone -args -browser-calls=20
	DIALTONE_BENCH_SIP_CPU=20s $(GO) test -count=1 -run TestSIPBridgeCPU -v ./cmd/dialtone
	./.ci/bench-load
	./.ci/bench-call
	./.ci/bench-sip
	./.ci/bench-tui
	./.ci/bench-timg
	./.ci/bench-mpv

soak: deps ## kill -9 the server mid-burst, at full size, several rounds; count what survived
	$(GO) test -count=1 -timeout 30m -run 'TestFault' -v ./server -args -soak

fuzz: deps ## run each fuzz target for FUZZTIME (default 20s)
	@./.ci/fuzz $${FUZZTIME:-20s}

lint: deps ## gofmt, go vet, and the layering test
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) test -count=1 -run TestLayering ./cmd/dialtone

clean: ## remove build output
	rm -rf bin

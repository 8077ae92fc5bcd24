# contactbridge — build, test, lint and benchmark.
# `make test` is the one command CI and developers run: it installs what the
# tests need and runs everything (unit, conformance, integration, fuzz seeds)
# under the race detector.

GO          ?= go
GOBIN       ?= $(shell $(GO) env GOPATH)/bin
STATICCHECK ?= $(GOBIN)/staticcheck
STATICCHECK_VERSION ?= v0.8.2
BENCHTIME   ?= 1x
PKGS        ?= ./...

.PHONY: all build test test-long test-short bench lint fmt fuzz clean deps

all: lint test

build:
	$(GO) build -o bin/contactbridge ./cmd/contactbridge

## deps: the real servers the integration tests run against, and the
## headless browser the status page is tested in (Debian packages, each
## named as its binary, except postgresql, whose programs Debian keeps
## off PATH in /usr/lib/postgresql/*/bin). Installed when missing and this
## user may; otherwise the tests that need them skip with a loud message
## (and fail under CI=true).
TEST_SERVERS ?= radicale xandikos chromium postgresql
deps:
	@missing=""; for b in $(TEST_SERVERS); do \
		case $$b in \
		postgresql) { command -v postgres || ls /usr/lib/postgresql/*/bin/postgres; } >/dev/null 2>&1 || missing="$$missing $$b" ;; \
		*) command -v $$b >/dev/null 2>&1 || missing="$$missing $$b" ;; \
		esac; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing$$missing (Debian packages) for the integration tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing >/dev/null || \
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing >/dev/null; }; \
	else \
		echo "WARNING: test servers missing:$$missing — install them (apt-get install$$missing);"; \
		echo "WARNING: the tests that need them will be skipped."; \
	fi

## test: everything, with the race detector (what CI runs), then the
## model-based reconciliation test with MODEL_SEEDS random histories.
MODEL_SEEDS ?= 2000
## ARTIFACTS keeps what tests save for people to look at (the status
## page's screenshots from real Chromium), by test, under _artifacts/.
ARTIFACTS ?= test-artifacts
test: deps
	mkdir -p $(ARTIFACTS)
	$(GO) test -race -count=1 -timeout 20m -artifacts -outputdir $(abspath $(ARTIFACTS)) $(PKGS)
	$(GO) test -count=1 -timeout 20m -run '^TestModel$$' ./bridge -model.seeds=$(MODEL_SEEDS)

## test-long: the model-based test with many more histories.
test-long:
	$(GO) test -count=1 -timeout 60m -run '^TestModel$$' ./bridge -model.seeds=50000

## test-short: the quick loop while editing.
test-short:
	$(GO) test -short -count=1 $(PKGS)

## bench: the benchmarks whose numbers go in docs/benchmarks.md.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)

## fuzz: run each fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	for t in $$($(GO) test -list '^Fuzz' ./mapping | grep ^Fuzz); do \
		$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./mapping || exit 1; \
	done

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## lint: gofmt, go vet and staticcheck must all be clean.
lint: $(STATICCHECK)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(STATICCHECK) $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin

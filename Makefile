# dnnbench: two commands do everything.
#   make report   set up what is missing, then run configs/default.yaml end to end
#   make test     set up what is missing, then go vet and the whole test suite
GO      ?= go
CONFIG  ?= configs/default.yaml
ARGS    ?=
# DATASET is an ImageNet validation folder; set it to measure accuracy.
DATASET ?=
# Tests run one package at a time on small machines; raise on bigger ones.
TESTFLAGS ?= -p 1 -timeout 45m

.PHONY: all setup system-deps runtime test report quick bench fuzz clean

all: test

# setup installs the JPEG library (Debian/Ubuntu, when root) and fetches the
# pinned ONNX Runtime into third_party/ unless ONNXRUNTIME_LIB or a system
# install provides it.
setup: system-deps runtime

system-deps:
	@if [ ! -f /usr/include/turbojpeg.h ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "setup: installing libturbojpeg0-dev (JPEG decoding as PIL does it)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libturbojpeg0-dev >/dev/null; \
	  else \
	    echo "setup: libturbojpeg0-dev is missing: install it (sudo apt-get install libturbojpeg0-dev)," \
	         "or build with GOFLAGS=-tags=nolibjpeg to use Go's slower JPEG decoder" >&2; exit 1; \
	  fi; \
	fi

runtime:
	@$(GO) run ./pipeline setup

test: setup
	$(GO) vet ./...
	$(GO) test $(TESTFLAGS) ./...

report: setup
	$(GO) run ./pipeline --config $(CONFIG) $(if $(DATASET),--dataset $(DATASET)) $(ARGS)

quick: setup
	$(GO) run ./pipeline --config configs/quick.yaml $(ARGS)

# bench runs every benchmark once (figures in the README and issue notes).
bench: setup
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzRead -fuzztime 60s ./stages/flops

# clean removes outputs and cached results: .dnnbench/cache, and results
# an older version cached in cache/ (whose Go sources and testdata stay).
clean:
	rm -rf out .dnnbench/cache
	find cache -mindepth 1 -maxdepth 1 -type d ! -name testdata -exec rm -rf {} +
	rm -f cache/.lock

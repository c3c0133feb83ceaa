# A thin wrapper over meson: `make run` and `make check` are the two
# commands in README.md.  Both install missing packages first.
BUILD ?= build
MESON_OPTS ?=

.PHONY: all deps build run check sanitize clean cross-aarch64 cross-aarch64-qmp

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# Boots the default guest: Debian's kernel to a busybox shell prompt, in an
# emulated host where /dev/kvm is not hardware-backed (said in one line).
run: build
	@scripts/run-default-guest.sh $(BUILD)

# the static arm64 build too: the arm64 suite boots it in an emulated host;
# then the sanitizer job
check: build cross-aarch64 cross-aarch64-qmp
	meson test -C $(BUILD) --print-errorlogs --num-processes 2
	@$(MAKE) --no-print-directory sanitize

# An ASan + UBSan build in build-asan/ runs the unit, integration, qmp and
# migration suites with LeakSanitizer on; any report fails it (docs/testing.md)
SANITIZE_BUILD ?= build-asan

sanitize: deps
	@tests/sanitize/run-sanitize.sh $(SANITIZE_BUILD)

# A static arm64 qemu-vmm in build-aarch64/ (for arm64 hosts, and for the
# arm64 suite, which boots it in an emulated arm64 host).  Debian's arm64
# libfdt-dev cannot be installed next to the host's, so its libfdt.a is taken
# from the package; there is no static json-glib, so QMP is left out.
AARCH64_BUILD ?= build-aarch64
AARCH64_DEPS ?= $(AARCH64_BUILD)-deps

cross-aarch64: deps
	@cross/fetch-libfdt.sh $(AARCH64_DEPS)
	@[ -f $(AARCH64_BUILD)/build.ninja ] || meson setup $(AARCH64_BUILD) \
	    --cross-file cross/aarch64-linux-gnu.ini -Dqmp=disabled \
	    -Dlibfdt_dir=$(abspath $(AARCH64_DEPS))
	ninja -C $(AARCH64_BUILD)

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD)

# The same, dynamically linked and with QMP, in build-aarch64-qmp/: only the
# arm64 migration test uses it (QMP's migrate; see cross/aarch64-dynamic.ini).
AARCH64_QMP_BUILD ?= $(AARCH64_BUILD)-qmp

cross-aarch64-qmp: deps
	@cross/fetch-libfdt.sh $(AARCH64_DEPS)
	@[ -f $(AARCH64_QMP_BUILD)/build.ninja ] || meson setup $(AARCH64_QMP_BUILD) \
	    --cross-file cross/aarch64-linux-gnu.ini --cross-file cross/aarch64-dynamic.ini \
	    -Dqmp=enabled -Dlibfdt_dir=$(abspath $(AARCH64_DEPS))
	ninja -C $(AARCH64_QMP_BUILD) qemu-vmm

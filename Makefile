# A thin wrapper over meson: `make run` and `make check` are the two
# commands in README.md.  Both install missing packages first.
BUILD ?= build
MESON_OPTS ?=

.PHONY: all deps build run check clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# Boots the default guest: the hello test guest until Linux boot lands.
run: build
	$(BUILD)/qemu-vmm -M microvm -m 128M -kernel $(BUILD)/tests/guests/hello.elf; \
	  status=$$?; [ $$status -eq 1 ] && echo "guest exited cleanly (debug-exit 0)" || \
	  { echo "guest failed: exit status $$status"; exit 1; }

check: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

clean:
	rm -rf $(BUILD)

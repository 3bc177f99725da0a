# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# jitgate build. Quiet by default; `make V=1` prints full commands.

OUTPUT    := .output
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= cc
ARCH      := x86
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

PKG_LIBS  := libbpf jansson sqlite3 libcrypto
# QR codes for MFA enrolment when libqrencode is there (scripts/deps.sh installs it)
ifneq ($(shell pkg-config --exists libqrencode 2>/dev/null && echo y),)
PKG_LIBS  += libqrencode
CFLAGS_QR := -DJG_HAVE_QRENCODE
endif
CFLAGS    ?= -g -O2
CFLAGS    += -Wall -Wextra -Wno-unused-parameter -Werror -std=gnu11 -D_GNU_SOURCE $(CFLAGS_QR)
INCLUDES  := -I$(OUTPUT) -Iinclude -Iuser
LDLIBS    := $(shell pkg-config --libs $(PKG_LIBS) 2>/dev/null) -lelf -lz
TEST_LIBS := $(shell pkg-config --libs criterion 2>/dev/null)

BIN_DIR   := $(OUTPUT)/bin
BPF_OBJ   := $(OUTPUT)/gate.bpf.o
SKEL      := $(OUTPUT)/gate.skel.h
# user/ is one folder per layer (docs/design.md has the map): the two programs on top, the
# internal library below them. Every user/LAYER/*.c of a library layer goes into it.
LIB_DIRS  := lib audit policy gate workflow
LIB_SRCS  := $(foreach d,$(LIB_DIRS),$(wildcard user/$(d)/*.c))
LIB_OBJS  := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(LIB_SRCS))
DAEMON_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(wildcard user/daemon/*.c))
CLI_OBJS  := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(wildcard user/cli/*.c))
USER_OBJS := $(LIB_OBJS) $(DAEMON_OBJS) $(CLI_OBJS)
LIB       := $(OUTPUT)/libjitgate.a
BINS      := $(BIN_DIR)/jitgated $(BIN_DIR)/jitgate $(BIN_DIR)/jg-probe $(BIN_DIR)/jg-bench $(BIN_DIR)/jg-suid $(BIN_DIR)/jg-fd \
	     $(BIN_DIR)/jg-totp $(BIN_DIR)/jg-fsprobe $(BIN_DIR)/jg-client $(BIN_DIR)/jg-inject \
	     $(BIN_DIR)/jg-bpfprobe \
	     $(BIN_DIR)/jg-preload.so $(BIN_DIR)/jg-pty
# Unit tests follow their module: tests/unit/LAYER/test_*.c.
UNIT_SRCS := $(wildcard tests/unit/*/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
VM_TESTS  := $(sort $(wildcard tests/vm/test_*.sh))

ifeq ($(V),1)
	Q =
	msg =
else
	Q = @
	msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps clean check test unit vmtest demo bench bench-audit

all: $(BINS)

deps:
	$(Q)scripts/deps.sh

$(OUTPUT) $(BIN_DIR):
	$(Q)mkdir -p $@

$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(BPF_OBJ): bpf/gate.bpf.c $(wildcard bpf/*.bpf.h) include/jitgate.h $(OUTPUT)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
		$(INCLUDES) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(SKEL): $(BPF_OBJ)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name gate_bpf > $@

# Header dependencies are generated (-MMD -MP); only the gate's loader needs the skeleton.
$(OUTPUT)/user/%.o: user/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -MMD -MP -c $< -o $@

$(OUTPUT)/user/gate/gate.o: $(SKEL)

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BIN_DIR)/jitgated: $(DAEMON_OBJS) $(LIB) | $(BIN_DIR)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BIN_DIR)/jitgate: $(CLI_OBJS) $(LIB) | $(BIN_DIR)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# The programs the VM tests and the bench drive: one source each; a few link more.
$(BIN_DIR)/jg-%: tests/jg-%.c | $(BIN_DIR)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) $< $(PROG_LIBS) -o $@

$(BIN_DIR)/jg-bench: PROG_LIBS = $(LDLIBS)
$(BIN_DIR)/jg-totp: PROG_LIBS = $(LIB) $(LDLIBS)
$(BIN_DIR)/jg-totp: $(LIB)

# A test artifact: the library a user would LD_PRELOAD into a standing rule's program.
$(BIN_DIR)/jg-%.so: tests/jg-%.c | $(BIN_DIR)
	$(call msg,SHLIB,$@)
	$(Q)$(CC) $(CFLAGS) -shared -fPIC $< -o $@

$(OUTPUT)/tests/%: tests/unit/%.c $(LIB)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -MMD -MP -MF $@.d $< $(LIB) $(LDLIBS) $(TEST_LIBS) -o $@

# The shape of user/: no include against the layering, no room over size.
check:
	$(Q)scripts/check-layers.sh
	$(Q)scripts/check-sizes.sh

# Unit tests on the host.
unit: $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t --jobs 1; done

# Kernel tests: one VM boot per test file.
vmtest: all
	$(Q)scripts/run-vm-tests.sh $(VM_TESTS)

test: deps
	$(Q)$(MAKE) --no-print-directory check
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory vmtest

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/vm.sh -- sh /opt/jitgate/scripts/demo-in-vm.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/bench.sh

# Audit throughput, loss accounting and kernel-to-collector latency (rsyslog in the VM).
bench-audit: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/vm.sh --timeout 900 -- sh /opt/jitgate/scripts/bench-audit-in-vm.sh

-include $(USER_OBJS:.o=.d) $(UNIT_BINS:=.d)

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT)

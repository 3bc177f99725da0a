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
LIB_DIRS  := lib audit policy gate workflow fleet
LIB_SRCS  := $(foreach d,$(LIB_DIRS),$(wildcard user/$(d)/*.c))
LIB_OBJS  := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(LIB_SRCS))
DAEMON_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(wildcard user/daemon/*.c))
CLI_OBJS  := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(wildcard user/cli/*.c))
USER_OBJS := $(LIB_OBJS) $(DAEMON_OBJS) $(CLI_OBJS)
LIB       := $(OUTPUT)/libjitgate.a
BINS      := $(BIN_DIR)/jitgated $(BIN_DIR)/jitgate $(BIN_DIR)/jg-probe $(BIN_DIR)/jg-bench $(BIN_DIR)/jg-suid $(BIN_DIR)/jg-fd \
	     $(BIN_DIR)/jg-totp $(BIN_DIR)/jg-fsprobe $(BIN_DIR)/jg-client $(BIN_DIR)/jg-inject \
	     $(BIN_DIR)/jg-bpfprobe $(BIN_DIR)/jg-redteam $(BIN_DIR)/jg-redteam2 \
	     $(BIN_DIR)/jg-preload.so $(BIN_DIR)/jg-rtnss.so $(BIN_DIR)/jg-pty
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
.PHONY: all deps clean check test unit vmtest demo bench bench-audit fuzz fuzz-smoke store-test

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
	$(Q)$(MAKE) --no-print-directory store-test
	$(Q)$(MAKE) --no-print-directory vmtest

# The fleet store's schema and row-level security on a throwaway PostgreSQL (docs/fleet.md).
store-test:
	$(Q)tests/fleet/test_store_rls.sh

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

# Fuzzing (docs/testing.md): libFuzzer harnesses, one per input surface, built with clang's
# ASan and UBSan from the library's own sources (compiled again into .output/fuzz/). The
# kernel loader (gate/gate.c) is left out: the socket harness links a gate that only fails.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter \
		-std=gnu11 -D_GNU_SOURCE $(CFLAGS_QR) $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_DIR     := $(OUTPUT)/fuzz
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))
FUZZ_LIB_OBJS := $(patsubst user/%.c,$(FUZZ_DIR)/user/%.o,$(filter-out user/gate/gate.c,$(LIB_SRCS)))
# The socket harness includes daemon/server.c itself and brings its own main-less daemon.
FUZZ_DAEMON_OBJS := $(patsubst user/%.c,$(FUZZ_DIR)/user/%.o,\
		$(filter-out user/daemon/main.c user/daemon/server.c,$(wildcard user/daemon/*.c)))
FUZZ_LIB     := $(FUZZ_DIR)/libjitgate.a

$(FUZZ_DIR)/user/%.o: user/%.c
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(INCLUDES) -MMD -MP -c $< -o $@

$(FUZZ_DIR)/tests/%.o: tests/fuzz/%.c
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(INCLUDES) -Itests/fuzz -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_proto: $(FUZZ_DIR)/tests/fake_gate.o $(FUZZ_DAEMON_OBJS)

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/tests/fuzz_%.o $(FUZZ_LIB)
	$(call msg,FUZZER,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $(filter %.o,$^) $(FUZZ_LIB) $(LDLIBS) -o $@

# Each harness for FUZZ_SECONDS (default 600) from the checked-in corpus; new inputs go to
# .output/fuzz/corpus/NAME, crashes to .output/fuzz/crash-NAME-*.
# fuzz-smoke (CI): replays tests/fuzz/corpus/NAME, then 30 s of each.
define fuzz_run
	$(Q)set -e; mkdir -p $(FUZZ_DIR)/corpus; for h in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$h tests/fuzz/corpus/$$h; \
		echo "== fuzz $$h"; \
		$(if $(1),$(FUZZ_DIR)/fuzz_$$h -runs=0 tests/fuzz/corpus/$$h \
			2>$(FUZZ_DIR)/replay-$$h.log || { cat $(FUZZ_DIR)/replay-$$h.log; exit 1; };) \
		$(FUZZ_DIR)/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 -dict=tests/fuzz/$$h.dict \
			-artifact_prefix=$(FUZZ_DIR)/crash-$$h- \
			$(FUZZ_DIR)/corpus/$$h tests/fuzz/corpus/$$h 2>$(FUZZ_DIR)/fuzz-$$h.log || \
			{ tail -n 60 $(FUZZ_DIR)/fuzz-$$h.log; exit 1; }; \
		grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed_units|stat::average_exec_per_sec)' \
			$(FUZZ_DIR)/fuzz-$$h.log | tr '\n' ' '; echo; \
	done
endef

fuzz: $(FUZZ_BINS)
	$(call fuzz_run,)

fuzz-smoke: FUZZ_SECONDS = 30
fuzz-smoke: $(FUZZ_BINS)
	$(call fuzz_run,replay)

-include $(USER_OBJS:.o=.d) $(UNIT_BINS:=.d)
-include $(wildcard $(FUZZ_DIR)/*/*.d $(FUZZ_DIR)/*/*/*.d)

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT)

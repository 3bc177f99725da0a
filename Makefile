# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# jitgate build. Quiet by default; `make V=1` prints full commands.

OUTPUT    := .output
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= cc
ARCH      := x86
# vmlinux.h: from the pinned VM kernel's BTF when it is in .cache/vm, VMLINUX_BTF=FILE to
# choose, else the running kernel's (scripts/vmlinux-h.sh says which).

PKG_LIBS  := libbpf jansson sqlite3 libcrypto libsystemd libpq
# QR codes for MFA enrolment when libqrencode is there (scripts/deps.sh installs it)
ifneq ($(shell pkg-config --exists libqrencode 2>/dev/null && echo y),)
PKG_LIBS  += libqrencode
CFLAGS_QR := -DJG_HAVE_QRENCODE
endif
# CFLAGS, CPPFLAGS and LDFLAGS are the builder's (dpkg-buildflags' hardening comes in through
# them); the project's own flags are JG_CFLAGS. WERROR=1 turns warnings into errors (CI sets
# it; a distribution build with a newer compiler is not stopped by a new warning).
CFLAGS    ?= -g -O2
WERROR    ?= 0
JG_CFLAGS := -Wall -Wextra -Wno-unused-parameter $(if $(filter 1,$(WERROR)),-Werror) \
	     -std=gnu11 -D_GNU_SOURCE $(CFLAGS_QR)
INCLUDES  := -I$(OUTPUT) -Iinclude -Iuser
LDLIBS    := $(shell pkg-config --libs $(PKG_LIBS) 2>/dev/null) -lelf -lz
# libpq's header directory (the fleet store's client, user/fleet/store.c)
PQ_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null)
CC_FLAGS   = $(CPPFLAGS) $(JG_CFLAGS) $(PQ_CFLAGS) $(CFLAGS)
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
# The product: what `make install` and the package ship.
BINS      := $(BIN_DIR)/jitgated $(BIN_DIR)/jitgate
# The programs the VM tests and the bench drive (jg-suid is a set-uid test helper): built by
# `make test-progs` (vmtest, demo and bench need them), never by `all` or installed.
TEST_PROGS := $(BIN_DIR)/jg-probe $(BIN_DIR)/jg-bench $(BIN_DIR)/jg-suid $(BIN_DIR)/jg-fd \
	     $(BIN_DIR)/jg-totp $(BIN_DIR)/jg-fsprobe $(BIN_DIR)/jg-client $(BIN_DIR)/jg-inject \
	     $(BIN_DIR)/jg-bpfprobe $(BIN_DIR)/jg-redteam $(BIN_DIR)/jg-redteam2 $(BIN_DIR)/jg-redteam3 $(BIN_DIR)/jg-redteam4 \
	     $(BIN_DIR)/jg-auditperf $(BIN_DIR)/jg-fleetagent \
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
.PHONY: all deps clean check test unit vmtest demo bench bench-audit fuzz fuzz-smoke test-progs \
	man install deb deb-check store-test fleet-test fleet-demo bench-fleet systest

all: $(BINS)

test-progs: $(TEST_PROGS)

deps:
	$(Q)scripts/deps.sh

$(OUTPUT) $(BIN_DIR):
	$(Q)mkdir -p $@

$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)BPFTOOL=$(BPFTOOL) VMLINUX_BTF=$(VMLINUX_BTF) scripts/vmlinux-h.sh $@

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
	$(Q)$(CC) $(CC_FLAGS) $(INCLUDES) -MMD -MP -c $< -o $@

$(OUTPUT)/user/gate/gate.o: $(SKEL)

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BIN_DIR)/jitgated: $(DAEMON_OBJS) $(LIB) | $(BIN_DIR)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BIN_DIR)/jitgate: $(CLI_OBJS) $(LIB) | $(BIN_DIR)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The programs the VM tests and the bench drive: one source each; a few link more.
$(BIN_DIR)/jg-%: tests/jg-%.c | $(BIN_DIR)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CC_FLAGS) $(INCLUDES) $(LDFLAGS) $< $(PROG_LIBS) -o $@

$(BIN_DIR)/jg-bench: PROG_LIBS = $(LDLIBS)
$(BIN_DIR)/jg-totp: PROG_LIBS = $(LIB) $(LDLIBS)
$(BIN_DIR)/jg-totp: $(LIB)
$(BIN_DIR)/jg-auditperf: PROG_LIBS = $(LIB) $(LDLIBS) -lpthread
$(BIN_DIR)/jg-auditperf: $(LIB)
$(BIN_DIR)/jg-fleetagent: PROG_LIBS = $(LIB) $(LDLIBS)
$(BIN_DIR)/jg-fleetagent: $(LIB)

# A test artifact: the library a user would LD_PRELOAD into a standing rule's program.
$(BIN_DIR)/jg-%.so: tests/jg-%.c | $(BIN_DIR)
	$(call msg,SHLIB,$@)
	$(Q)$(CC) $(CC_FLAGS) $(LDFLAGS) -shared -fPIC $< -o $@

$(OUTPUT)/tests/%: tests/unit/%.c $(LIB)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CC_FLAGS) $(INCLUDES) $(LDFLAGS) -MMD -MP -MF $@.d $< $(LIB) $(LDLIBS) $(TEST_LIBS) -o $@

# Man pages: scdoc sources in man/ (a small Debian-packaged tool; roff out).
SCDOC     ?= scdoc
MAN_SRCS  := $(wildcard man/*.scd)
MAN_PAGES := $(patsubst man/%.scd,$(OUTPUT)/man/%,$(MAN_SRCS))

man: $(MAN_PAGES)

$(OUTPUT)/man/%: man/%.scd
	$(call msg,SCDOC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(SCDOC) < $< > $@.tmp && mv $@.tmp $@

# Install (GNU conventions; DESTDIR for staging). Config examples go to SYSCONFDIR/jitgate
# only when no file of that name is there; the daemon's defaults name /etc, hence
# SYSCONFDIR's default. docs/install.md lists where everything goes.
PREFIX        ?= /usr/local
EXEC_PREFIX   ?= $(PREFIX)
BINDIR        ?= $(EXEC_PREFIX)/bin
SBINDIR       ?= $(EXEC_PREFIX)/sbin
LIBDIR        ?= $(EXEC_PREFIX)/lib
DATADIR       ?= $(PREFIX)/share
MANDIR        ?= $(DATADIR)/man
DOCDIR        ?= $(DATADIR)/doc/jitgate
SYSCONFDIR    ?= /etc
UNITDIR       ?= $(LIBDIR)/systemd/system
TMPFILESDIR   ?= $(LIBDIR)/tmpfiles.d
COMPLETIONDIR ?= $(DATADIR)/bash-completion/completions
INSTALL       ?= install

$(OUTPUT)/dist/jitgated.service: dist/jitgated.service.in | $(OUTPUT)
	$(Q)mkdir -p $(@D)
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' $< > $@

install: $(BINS) $(BPF_OBJ) man $(OUTPUT)/dist/jitgated.service
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR)/jitgate \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(COMPLETIONDIR) \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d $(DESTDIR)$(DOCDIR)/examples
	$(Q)$(INSTALL) -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/jitgate
	$(Q)$(INSTALL) -m 0755 $(BIN_DIR)/jitgated $(DESTDIR)$(SBINDIR)/jitgated
	$(Q)$(INSTALL) -m 0755 $(BIN_DIR)/jitgate $(DESTDIR)$(BINDIR)/jitgate
	$(Q)$(INSTALL) -m 0644 $(BPF_OBJ) $(DESTDIR)$(LIBDIR)/jitgate/gate.bpf.o
	$(Q)$(INSTALL) -m 0644 $(OUTPUT)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	$(Q)$(INSTALL) -m 0644 $(OUTPUT)/man/*.5 $(DESTDIR)$(MANDIR)/man5/
	$(Q)$(INSTALL) -m 0644 $(OUTPUT)/man/*.8 $(DESTDIR)$(MANDIR)/man8/
	$(Q)$(INSTALL) -m 0644 $(OUTPUT)/dist/jitgated.service $(DESTDIR)$(UNITDIR)/jitgated.service
	$(Q)$(INSTALL) -m 0644 dist/jitgate.tmpfiles $(DESTDIR)$(TMPFILESDIR)/jitgate.conf
	$(Q)$(INSTALL) -m 0644 dist/jitgate.bash-completion $(DESTDIR)$(COMPLETIONDIR)/jitgate
	$(Q)$(INSTALL) -m 0644 dist/jitgate.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/jitgate
	$(Q)for f in jitgated.json policy.json; do \
		if [ -e $(DESTDIR)$(SYSCONFDIR)/jitgate/$$f ]; then \
			echo "  keeping $(DESTDIR)$(SYSCONFDIR)/jitgate/$$f (the new one is in $(DOCDIR)/examples)"; \
		else $(INSTALL) -m 0644 dist/$$f $(DESTDIR)$(SYSCONFDIR)/jitgate/$$f; fi; \
	done
	$(Q)$(INSTALL) -m 0644 dist/jitgated.json dist/policy.json policies/*.json $(DESTDIR)$(DOCDIR)/examples/
	$(Q)$(INSTALL) -m 0644 README.md $(DESTDIR)$(DOCDIR)/
	$(Q)$(INSTALL) -m 0644 docs/*.md $(DESTDIR)$(DOCDIR)/
	$(Q)$(INSTALL) -m 0644 policies/README.md $(DESTDIR)$(DOCDIR)/policies.md

# The Debian package (debian/, debhelper): ../jitgate_VERSION_ARCH.deb. deb-check builds it
# and checks its layout, lintian and the unit (scripts/deb-check.sh). Both install their
# tools first (scripts/deps.sh pkg).
deb:
	$(Q)scripts/deps.sh pkg
	$(Q)scripts/deb.sh

deb-check:
	$(Q)scripts/deps.sh pkg
	$(Q)scripts/deb-check.sh

# The full-system test: the package in a booted Debian with systemd, sshd, sudo, logrotate
# (docs/testing.md). Root; builds the rootfs once into .cache/systest.
systest:
	$(Q)scripts/deps.sh systest
	$(Q)scripts/systest.sh

# The shape of user/: no include against the layering, no room over size.
check:
	$(Q)scripts/check-layers.sh
	$(Q)scripts/check-sizes.sh

# Unit tests on the host.
unit: $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t --jobs 1; done

# Kernel tests: one VM boot per test file.
vmtest: all test-progs
	$(Q)scripts/run-vm-tests.sh $(VM_TESTS)

test: deps
	$(Q)$(MAKE) --no-print-directory check
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory store-test
	$(Q)$(MAKE) --no-print-directory vmtest

# The fleet store's schema and row-level security on a throwaway PostgreSQL, then its client
# and the CLI's signed fleet commands with kernel-less host agents (docs/fleet.md).
store-test: all test-progs
	$(Q)tests/fleet/test_store_rls.sh
	$(Q)tests/fleet/test_store_client.sh

# Fleet mode end to end: a throwaway PostgreSQL, two test VMs as hosts on qemu's user
# networking, people signing with ssh-keygen (docs/fleet.md, "Tests").
fleet-test: all test-progs
	$(Q)tests/fleet/test_fleet_vms.sh

# The fleet-test story up to the revoke, narrated for a newcomer (the same harness).
fleet-demo: all test-progs
	$(Q)FLEET_DEMO=1 tests/fleet/test_fleet_vms.sh

# Approval -> all activations acknowledged for N = 10, 100, 1000 kernel-less host agents on
# a throwaway PostgreSQL (BENCH_FLEET_N, BENCH_FLEET_ROUNDS; docs/fleet.md, "Measured").
bench-fleet: all test-progs
	$(Q)scripts/bench-fleet.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all test-progs
	$(Q)scripts/vm.sh -- sh /opt/jitgate/scripts/demo-in-vm.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all test-progs
	$(Q)scripts/bench.sh

# Audit throughput, loss accounting and kernel-to-collector latency (rsyslog in the VM).
bench-audit: deps
	$(Q)$(MAKE) --no-print-directory all test-progs
	$(Q)echo "host: $$(uptime | sed 's/.*load/load/'), other qemu: $$(pgrep -c qemu-system || true)"
	$(Q)scripts/vm.sh --timeout 900 -- sh /opt/jitgate/scripts/bench-audit-in-vm.sh

# Fuzzing (docs/testing.md): libFuzzer harnesses, one per input surface, built with clang's
# ASan and UBSan from the library's own sources (compiled again into .output/fuzz/). The
# kernel loader (gate/gate.c) is left out: the socket harness links a gate that only fails.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter \
		-std=gnu11 -D_GNU_SOURCE $(CFLAGS_QR) $(PQ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link
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

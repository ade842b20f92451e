# komek — build, test and demo. `make help` lists the targets.
#
# `make check` and `make demo` first run scripts/install-deps.sh (installs only missing
# Debian packages), then re-invoke make, so that pkg-config sees the fresh libraries.

BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR  ?= $(PREFIX)/lib/systemd/system
DOCDIR   ?= $(PREFIX)/share/doc/komek
INSTALL_USER ?= komek
CC       ?= cc
CFLAGS   ?= -O2 -g
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKGS     := libcurl yajl libxml-2.0 hiredis libpq inih libmicrohttpd libutf8proc libxxhash \
            libcrypto
CSTD     := -std=c11 -D_POSIX_C_SOURCE=200809L
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wvla -Wno-missing-field-initializers
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lstemmer -lcrypt -lpthread -lm
BUILDCONF := $(BUILD)/gen/buildconf.h
CPPFLAGS += -I. -include $(BUILDCONF)

# Modules in dependency order: each may use only those before it (DESIGN.md).
MODULES  := common parser triage collectors queue db app intake desk
DEPS_common     := common
DEPS_parser     := parser common
DEPS_triage     := triage parser common
DEPS_collectors := collectors triage parser common
DEPS_queue      := queue parser common
DEPS_db         := db queue triage parser common
DEPS_app        := $(filter-out intake,$(MODULES))
DEPS_intake     := $(filter-out desk,$(MODULES))
DEPS_desk       := $(MODULES)
DEPS_daemon     := $(MODULES)
DEPS_ctl        := $(MODULES)

lib_of      = $(BUILD)/lib$(1).a
srcs_of     = $(wildcard $(1)/*.c)
objs_of     = $(patsubst %.c,$(BUILD)/%.o,$(call srcs_of,$(1)))
libs_for    = $(foreach m,$(DEPS_$(1)),$(call lib_of,$(m)))
LINK_GROUP  = -Wl,--start-group $(1) -Wl,--end-group

UNIT_SRCS   := $(wildcard test/unit/test_*.c)
UNIT_BINS   := $(patsubst test/unit/%.c,$(BUILD)/test/%,$(UNIT_SRCS))
FAKE_SRCS   := $(wildcard test/fake/*.c)
TOOLS       := $(BUILD)/komekd $(BUILD)/komekctl
TEST_TOOLS  := $(if $(FAKE_SRCS),$(BUILD)/fakenet)
GEN_MIGRATIONS := $(BUILD)/gen/migrations.c


.PHONY: FORCE all deps check check-all check-unit check-integration check-faults asan valgrind bench format \
        lint demo install uninstall clean help test-tools eval eval-run bench-run bench-db bench-peers \
        fuzz fuzz-build fuzz-bins fuzz-smoke

all: $(TOOLS)

help:
	@echo "make            build $(BUILD)/komekd and $(BUILD)/komekctl"
	@echo "make check      install missing packages, build, run every test"
	@echo "make check-faults  the fault-injection suite alone (test/faults/run.sh)"
	@echo "make demo       install, build, start Redis, PostgreSQL, fake networks and komekd"
	@echo "make asan       every test under AddressSanitizer + UBSan (build-asan/)"
	@echo "make valgrind   unit tests under valgrind memcheck"
	@echo "make eval       triage accuracy and duplicate pairs on the labelled posts"
	@echo "make bench      parse, triage, ingest, end-to-end, latency, RSS, doubling (README)"
	@echo "make bench-peers  the same, with ../shared/bench/peers.py side by side"
	@echo "make bench-db   rows/s the tickets role stores into PostgreSQL"
	@echo "make fuzz       every libFuzzer target for FUZZ_SECONDS (60) each (build/fuzz/)"
	@echo "make fuzz-smoke regressions, seeds and FUZZ_SMOKE_SECONDS (5) of each target"
	@echo "make install    PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)"
	@echo "make format | lint | clean"

deps:
	@./scripts/install-deps.sh

# V=1 shows the full commands.
Q := $(if $(V),,@)

# Version and paths baked into the programs; rewritten only when they change, so that
# `make install PREFIX=/usr` rebuilds what a different PREFIX affects.
$(BUILDCONF): FORCE
	@mkdir -p $(@D)
	@printf '#define KM_VERSION "%s"\n#define KM_SYSCONFDIR "%s"\n' '$(VERSION)' \
	    '$(SYSCONFDIR)/komek' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:

$(BUILD)/%.o: %.c $(BUILDCONF)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CSTD) $(WARN) $(CFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

# Migrations are compiled into the binaries so an installed komekctl needs no data dir.
$(GEN_MIGRATIONS): $(sort $(wildcard db/migrations/*.sql)) scripts/embed-migrations.sh
	@mkdir -p $(@D)
	./scripts/embed-migrations.sh $(sort $(wildcard db/migrations/*.sql)) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/migrations.o: $(GEN_MIGRATIONS) | $(BUILDCONF)
	$(CC) $(CSTD) $(CFLAGS) $(CPPFLAGS) -c $< -o $@

# The desk's web files are compiled in as well (desk/assets.h); the folder is a prerequisite
# so that removing a file regenerates the table.
GEN_ASSETS := $(BUILD)/gen/desk_assets.c
DESK_WEB   := $(sort $(filter-out %~,$(wildcard desk/web/*)))
$(GEN_ASSETS): $(DESK_WEB) $(wildcard desk/web) scripts/embed-assets.sh
	@mkdir -p $(@D)
	./scripts/embed-assets.sh $(DESK_WEB) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/desk_assets.o: $(GEN_ASSETS) | $(BUILDCONF)
	$(CC) $(CSTD) $(CFLAGS) $(CPPFLAGS) -c $< -o $@

define module_lib
$(call lib_of,$(1)): $(call objs_of,$(1)) $(if $(filter db,$(1)),$(BUILD)/gen/migrations.o) \
    $(if $(filter desk,$(1)),$(BUILD)/gen/desk_assets.o)
	@mkdir -p $$(@D)
	$(Q)rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach m,$(MODULES),$(eval $(call module_lib,$(m))))

$(BUILD)/komekd: $(call objs_of,daemon) $(call libs_for,daemon)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(call objs_of,daemon) $(call LINK_GROUP,$(call libs_for,daemon)) $(PKG_LIBS)

$(BUILD)/komekctl: $(call objs_of,ctl) $(call libs_for,ctl)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(call objs_of,ctl) $(call LINK_GROUP,$(call libs_for,ctl)) $(PKG_LIBS)

$(BUILD)/fakenet: $(patsubst %.c,$(BUILD)/%.o,$(FAKE_SRCS)) $(call libs_for,parser)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(patsubst %.c,$(BUILD)/%.o,$(FAKE_SRCS)) $(call LINK_GROUP,$(call libs_for,parser)) $(PKG_LIBS)

# Keep object files of test programs (make would delete them as intermediates).
.SECONDARY:

# test/unit/test_<module>[_<part>].c links the libraries of <module> and its dependencies.
# The runtime test gzips bodies with zlib at test time.
$(BUILD)/test/test_collectors_runtime: PKG_LIBS += -lz
# queue/dedup_store.c implements triage/dedup.h's store; its test drives triage/dedup.c.
$(BUILD)/test/test_queue_dedup: DEPS_queue := queue triage parser common
$(BUILD)/test/test_queue_dedup: $(call lib_of,triage)
.SECONDEXPANSION:
$(BUILD)/test/test_%: $(BUILD)/test/unit/test_%.o $$(call libs_for,$$(firstword $$(subst _, ,$$*)))
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(call LINK_GROUP,$(call libs_for,$(firstword $(subst _, ,$*)))) $(PKG_LIBS) $(shell pkg-config --libs cmocka)

# libFuzzer targets: test/fuzz/fuzz_<name>.c becomes $(FUZZ_OUT)/fuzz_<name>, linked with the
# libraries of module $(FUZZ_MOD_<name>) (default collectors) and its dependencies. `make
# fuzz-build` compiles everything again with clang and the sanitizers into $(FUZZ_OBJ) by
# re-invoking make with BUILD, CC and CFLAGS; -Wno-error because clang warns about things
# gcc does not, and the gcc build stays the one with -Werror. scripts/fuzz.sh seeds the
# corpora from test/fixtures and runs the targets (see README "Tests").
FUZZ_CC       ?= clang
FUZZ_SECONDS  ?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_OBJ      := build/fuzz-obj
FUZZ_OUT      := build/fuzz
FUZZ_NAMES    := $(patsubst test/fuzz/fuzz_%.c,%,$(wildcard test/fuzz/fuzz_*.c))
FUZZ_BINS     := $(patsubst %,$(FUZZ_OUT)/fuzz_%,$(FUZZ_NAMES))
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_MOD_import := app
fuzz_mod      = $(or $(FUZZ_MOD_$(1)),collectors)

$(FUZZ_OUT)/fuzz_%: $(BUILD)/test/fuzz/fuzz_%.o $$(call libs_for,$$(call fuzz_mod,$$*))
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(call LINK_GROUP,$(call libs_for,$(call fuzz_mod,$*))) $(PKG_LIBS)

fuzz-build:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_OBJ) CC=$(FUZZ_CC) \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) -fsanitize=fuzzer-no-link -Wno-error" \
	    LDFLAGS="$(FUZZ_SAN) -fsanitize=fuzzer" fuzz-bins

fuzz-bins: $(FUZZ_BINS)

fuzz:
	@./scripts/install-deps.sh
	@$(MAKE) --no-print-directory fuzz-build
	@./scripts/fuzz.sh run $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-smoke: fuzz-build
	@./scripts/fuzz.sh smoke $(FUZZ_SMOKE_SECONDS) $(FUZZ_NAMES)

test-tools: $(TOOLS) $(TEST_TOOLS)

check:
	@./scripts/install-deps.sh
	@$(MAKE) --no-print-directory check-all
	@$(MAKE) --no-print-directory check-faults
	@$(MAKE) --no-print-directory fuzz-smoke

check-all: check-unit check-integration

check-unit: $(UNIT_BINS)
	@./test/run-unit.sh $(UNIT_BINS)

check-integration: test-tools
	@BUILD=$(BUILD) ./test/integration/run.sh

# Faults while posts flow (test/faults/run.sh): nothing lost or doubled, komekd still up.
check-faults: test-tools
	@BUILD=$(BUILD) ./test/faults/run.sh

asan:
	@./scripts/install-deps.sh
	@$(MAKE) --no-print-directory BUILD=build-asan \
	    CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined" check-all

# Unit tests, the queue/db tests and komekd's --once rounds of the e2e test, under memcheck.
VALGRIND_CMD := valgrind --quiet --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite
valgrind: $(UNIT_BINS) test-tools
	@VALGRIND="$(VALGRIND_CMD)" ./test/run-unit.sh $(UNIT_BINS)
	@BUILD=$(BUILD) KM_VALGRIND="$(VALGRIND_CMD)" ./test/integration/test_modules.sh
	@BUILD=$(BUILD) KM_VALGRIND="$(VALGRIND_CMD)" ./test/integration/test_e2e.sh

# Triage measurements (not part of `make check`): test/eval/{eval,bench}.c.
EVAL_FILES := test/data/sample-posts.jsonl $(wildcard test/eval/*.jsonl) \
              $(wildcard ../shared/corpus/dev-posts.jsonl)
$(BUILD)/measure/%: $(BUILD)/test/eval/%.o $(call libs_for,triage)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(call LINK_GROUP,$(call libs_for,triage)) $(PKG_LIBS)

eval:
	@./scripts/install-deps.sh
	@$(MAKE) --no-print-directory eval-run

eval-run: $(BUILD)/measure/eval
	@$(BUILD)/measure/eval $(EVAL_FILES)

# make bench: every figure of issue 8 on one generated input (scripts/bench/bench.sh, README
# "Benchmarks"; BENCH_POSTS, BENCH_RUNS, ...). bench-peers adds ../shared/bench/peers.py on
# the same file, with its Debian packages (python3-redis, python3-psycopg2, rsyslog-hiredis).
BENCH_TOOLS := $(TOOLS) $(BUILD)/fakenet $(BUILD)/measure/bench $(BUILD)/measure/bench_parse

bench:
	@./scripts/install-deps.sh
	@$(MAKE) --no-print-directory bench-run

bench-run: $(BENCH_TOOLS)
	@BUILD=$(BUILD) ./scripts/bench/bench.sh

bench-peers:
	@./scripts/install-deps.sh
	@./scripts/bench/peer-deps.sh
	@$(MAKE) --no-print-directory $(BENCH_TOOLS)
	@BUILD=$(BUILD) ./scripts/bench/bench.sh --peers

# Parse rate per network format: the collectors' consume() on pages fakenet rendered
# (test/eval/bench_parse.c; run by scripts/bench/bench.sh).
$(BUILD)/measure/bench_parse: $(BUILD)/test/eval/bench_parse.o $(call libs_for,collectors)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(call LINK_GROUP,$(call libs_for,collectors)) $(PKG_LIBS)

# Tickets-role store throughput into a throwaway PostgreSQL (test/eval/bench_db.c).
$(BUILD)/measure/bench_db: $(BUILD)/test/eval/bench_db.o $(call libs_for,db)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(call LINK_GROUP,$(call libs_for,db)) $(PKG_LIBS)

bench-db: $(BUILD)/measure/bench_db
	@BUILD=$(BUILD) ./test/eval/bench_db.sh

demo:
	@./scripts/install-deps.sh
	@$(MAKE) --no-print-directory test-tools
	@BUILD=$(BUILD) ./scripts/demo.sh

format:
	clang-format -i $(wildcard */*.c */*.h test/*/*.c test/*/*.h)

# Static analysis: cppcheck and clang-tidy (.clang-tidy) over every source (scripts/lint.sh).
LINT_SRCS := $(foreach m,$(MODULES) daemon ctl,$(wildcard $(m)/*.c))
lint: $(BUILDCONF)
	@./scripts/lint.sh "$(CSTD) $(CPPFLAGS) $(PKG_CFLAGS)" $(LINT_SRCS)

install: $(TOOLS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSCONFDIR)/komek
	install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	[ -e $(DESTDIR)$(SYSCONFDIR)/komek/komek.conf ] || install -m 640 etc/komek.conf $(DESTDIR)$(SYSCONFDIR)/komek/komek.conf
	[ -e $(DESTDIR)$(SYSCONFDIR)/komek/tags.list ] || install -m 644 etc/tags.list $(DESTDIR)$(SYSCONFDIR)/komek/tags.list
	install -d $(DESTDIR)$(SYSCONFDIR)/komek/lexicon
	for f in etc/lexicon/*.lex; do \
	    [ -e $(DESTDIR)$(SYSCONFDIR)/komek/lexicon/$${f##*/} ] || \
	        install -m 644 $$f $(DESTDIR)$(SYSCONFDIR)/komek/lexicon/ || exit 1; \
	done
	[ -e $(DESTDIR)$(SYSCONFDIR)/komek/routing.conf ] || install -m 644 etc/routing.conf $(DESTDIR)$(SYSCONFDIR)/komek/routing.conf
	[ ! -e etc/places.conf ] || [ -e $(DESTDIR)$(SYSCONFDIR)/komek/places.conf ] || install -m 644 etc/places.conf $(DESTDIR)$(SYSCONFDIR)/komek/places.conf
	[ -e $(DESTDIR)$(SYSCONFDIR)/komek/replies.conf ] || install -m 644 etc/replies.conf $(DESTDIR)$(SYSCONFDIR)/komek/replies.conf
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)
	sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@CONFDIR@|$(SYSCONFDIR)/komek|g' \
	    -e 's|@DOCDIR@|$(DOCDIR)|g' -e 's|@USER@|$(or $(INSTALL_USER),komek)|g' etc/komekd.service.in > $(DESTDIR)$(UNITDIR)/komekd.service
	chmod 644 $(DESTDIR)$(UNITDIR)/komekd.service
	install -m 644 README.md $(DESTDIR)$(DOCDIR)/README.md
	@# The service's user: created on a real install as root (INSTALL_USER= skips it), and
	@# given read access to the config, which may hold secrets.
	if [ -n "$(INSTALL_USER)" ] && [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
	    id $(INSTALL_USER) >/dev/null 2>&1 || useradd --system --no-create-home \
	        --shell /usr/sbin/nologin $(INSTALL_USER); \
	    chgrp $(INSTALL_USER) $(SYSCONFDIR)/komek/komek.conf; \
	fi
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/komekd $(DESTDIR)$(PREFIX)/bin/komekctl
	rm -f $(DESTDIR)$(UNITDIR)/komekd.service $(DESTDIR)$(DOCDIR)/README.md

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

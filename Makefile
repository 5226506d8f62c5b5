# teletrack: a headless XMPP observer for Jitsi meetings.
#
#   make                 build ./teletrack
#   make test            install deps, unit tests, then integration tests
#   make unit            unit tests only (no server)
#   make demo            throwaway Prosody + simulated conference + report
#   make bench           throughput and memory figures
#   make fuzz            libFuzzer: single stanzas, then stanza sequences
#                        through the whole flow (needs clang)
#   make SANITIZE=address,undefined test

PKG_CONFIG ?= pkg-config
CC ?= cc
CFLAGS ?= -O2 -g
PREFIX ?= /usr/local
DESTDIR ?=

WARN = -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	-Wshadow -Wpointer-arith -Wcast-qual -Wsign-compare
PCS = libstrophe sqlite3 inih jansson libical libcrypto libsystemd
PC_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PCS) 2>/dev/null)
PC_LIBS = $(shell $(PKG_CONFIG) --libs $(PCS) 2>/dev/null)
CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

ifneq ($(SANITIZE),)
SAN = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
BUILD ?= build-san
else
BUILD ?= build
endif

FINAL_CFLAGS = -std=c11 -D_GNU_SOURCE $(CFLAGS) $(WARN) $(SAN) -MMD -MP \
	-Ibot -Ibot/core -Ibot/xmpp -Ibot/derive -Ibot/cmd -Istorage $(PC_CFLAGS)
FINAL_LDFLAGS = $(LDFLAGS) $(SAN)

COMMON = bot/core/log.c bot/core/xmalloc.c bot/core/event.c bot/core/jid.c \
	bot/core/text.c bot/core/settings.c
PARSE = bot/xmpp/presence.c bot/xmpp/message.c
ROOM = bot/derive/room.c bot/derive/session.c bot/derive/client.c
DERIVE = $(ROOM) bot/derive/appt.c
STORE = storage/db.c storage/db_repair.c storage/writer.c storage/report.c
# The schema: migrations in order, embedded by embed.awk (schema.h).
SCHEMA = storage/schema/001_schema.sql storage/schema/002_scheduling.sql \
	storage/schema/003_unused_settings.sql
SRCS = bot/main.c bot/config.c bot/ipkey.c bot/observer.c bot/alert.c \
	bot/status.c bot/cmd/run.c bot/xmpp/transport.c bot/xmpp/recvtext.c \
	$(DERIVE) bot/notify.c \
	$(PARSE) $(COMMON) storage/bookings.c \
	$(STORE) bot/cmd/cmd.c bot/cmd/report_cli.c

# The schedule and settings commands; libcsv ships no .pc file.
SCHED = bot/core/schedule_batch.c storage/schedule.c bot/cmd/schedule_import.c \
	bot/cmd/schedule_cli.c
SRCS += $(SCHED)
CSV_LIBS = -lcsv

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
SCHEMA_OBJ = $(BUILD)/storage/schema_sql.o
# The command line as the program has it (main.c's table and every command
# it names), for the tests that run commands: main() renamed away.
CLI_OBJS = $(filter-out $(BUILD)/bot/main.o,$(call obj,$(SRCS))) \
	$(BUILD)/tests/cli_main.o $(SCHEMA_OBJ)

PROG = teletrack
ifneq ($(SANITIZE),)
PROG = $(BUILD)/teletrack
endif

UNIT_TESTS = $(BUILD)/tests/test_presence $(BUILD)/tests/test_room \
	$(BUILD)/tests/test_config $(BUILD)/tests/test_storage \
	$(BUILD)/tests/test_appt $(BUILD)/tests/test_notify
UNIT_TESTS += $(BUILD)/tests/test_schedule
TOOLS = $(BUILD)/tests/integration/jitsim

all: $(PROG)

$(PROG): $(call obj,$(SRCS)) $(SCHEMA_OBJ)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CSV_LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(FINAL_CFLAGS) -c -o $@ $<

$(BUILD)/storage/schema_sql.c: $(SCHEMA) storage/schema/embed.awk
	@mkdir -p $(dir $@)
	awk -f storage/schema/embed.awk $(SCHEMA) > $@.tmp && mv $@.tmp $@
$(BUILD)/tests/cli_main.o: bot/main.c
	@mkdir -p $(dir $@)
	$(CC) $(FINAL_CFLAGS) -Wno-missing-prototypes -Dmain=teletrack_main \
		-c -o $@ $<
$(SCHEMA_OBJ): $(BUILD)/storage/schema_sql.c
	$(CC) $(FINAL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/test_presence: $(call obj,tests/test_presence.c $(PARSE) $(COMMON))
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CMOCKA_LIBS)
$(BUILD)/tests/test_room: $(call obj,tests/test_room.c $(ROOM) $(PARSE) $(COMMON))
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CMOCKA_LIBS)
$(BUILD)/tests/test_config: $(call obj,tests/test_config.c bot/config.c $(COMMON))
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CMOCKA_LIBS)
$(BUILD)/tests/test_storage: $(call obj,tests/test_storage.c) $(CLI_OBJS)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CSV_LIBS) $(CMOCKA_LIBS)
$(BUILD)/tests/test_notify: $(call obj,tests/test_notify.c bot/notify.c $(COMMON))
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CMOCKA_LIBS)
$(BUILD)/tests/test_appt: $(call obj,tests/test_appt.c bot/derive/appt.c $(COMMON))
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CMOCKA_LIBS)
$(BUILD)/tests/test_schedule: $(call obj,tests/test_schedule.c) $(CLI_OBJS)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CSV_LIBS) $(CMOCKA_LIBS)
$(BUILD)/tests/integration/jitsim: $(call obj,tests/integration/jitsim.c $(COMMON))
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS)

deps:
	@sh tests/install-deps.sh

unit: deps
	@$(MAKE) --no-print-directory unit-run

unit-run: $(UNIT_TESTS)
	@fail=0; for t in $(UNIT_TESTS); do \
		echo "== $$t"; $$t || fail=1; \
	done; exit $$fail

integration: deps
	@$(MAKE) --no-print-directory integration-run

integration-run: $(PROG) $(TOOLS)
	@TELETRACK=$(abspath $(PROG)) JITSIM=$(abspath $(BUILD)/tests/integration/jitsim) \
		sh tests/integration/run.sh

test: deps
	@$(MAKE) --no-print-directory unit-run
	@$(MAKE) --no-print-directory integration-run

demo: deps
	@$(MAKE) --no-print-directory $(PROG) $(TOOLS)
	@TELETRACK=$(abspath $(PROG)) JITSIM=$(abspath $(BUILD)/tests/integration/jitsim) \
		sh tests/integration/demo.sh

bench: deps
	@$(MAKE) --no-print-directory $(BUILD)/tests/bench
	@$(BUILD)/tests/bench

$(BUILD)/tests/bench: $(call obj,tests/bench.c $(DERIVE) $(PARSE) $(STORE) $(COMMON)) \
	    $(SCHEMA_OBJ)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS)

# Coverage-guided fuzzing with clang's libFuzzer under ASan and UBSan:
#   fuzz-stanza  single stanzas through the parsers (tests/fuzz_presence.c,
#                seeded from tests/fixtures)
#   fuzz-flow    sequences of stanzas, disco answers and time through parse
#                -> observer -> derivation -> writer on an in-memory
#                database, invariants checked after each (tests/fuzz_flow.c,
#                seeded from tests/fuzz/flow)
# `make fuzz` runs both, FUZZ_SECONDS each; FUZZ_RUNS=N stops each after N
# executions instead; FUZZ_OPTS adds libFuzzer options (-fork=2, ...).
# FUZZ_KNOWN=F1,F2,F3 lets fuzz-flow go on past known findings (listed in
# tests/fuzz/README) to look for others.  Its inputs are kept short
# (FUZZ_FLOW_MAX_LEN): a sequence is cheap to mutate but each one costs
# SQL; the longer seeds are cut to their first FUZZ_FLOW_MAX_LEN bytes.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=
FUZZ_OPTS ?=
FUZZ_KNOWN ?=
FUZZ_FLOW_MAX_LEN ?= 2048
FUZZ_DIR = build/fuzz
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -std=c11 -D_GNU_SOURCE $(WARN) \
	-Ibot -Ibot/core -Ibot/xmpp -Ibot/derive -Istorage $(PC_CFLAGS)
FUZZ_LIMIT = $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS))
FUZZ_STANZA_SRCS = tests/fuzz_presence.c $(PARSE) bot/core/log.c \
	bot/core/xmalloc.c bot/core/text.c
FUZZ_FLOW_SRCS = tests/fuzz_flow.c bot/observer.c bot/alert.c bot/notify.c \
	bot/status.c bot/config.c $(DERIVE) $(PARSE) $(COMMON) $(STORE) \
	storage/bookings.c $(BUILD)/storage/schema_sql.c

fuzz: fuzz-stanza fuzz-flow

fuzz-stanza: $(FUZZ_DIR)/fuzz_presence
	@mkdir -p $(FUZZ_DIR)/corpus-stanza
	$(FUZZ_DIR)/fuzz_presence $(FUZZ_LIMIT) -artifact_prefix=$(FUZZ_DIR)/ \
		$(FUZZ_OPTS) $(FUZZ_DIR)/corpus-stanza tests/fixtures

fuzz-flow: $(FUZZ_DIR)/fuzz_flow
	@mkdir -p $(FUZZ_DIR)/corpus-flow
	FUZZ_FLOW_KNOWN=$(FUZZ_KNOWN) \
	UBSAN_OPTIONS=$(if $(findstring F2,$(FUZZ_KNOWN)),suppressions=tests/fuzz/known.supp) \
	$(FUZZ_DIR)/fuzz_flow $(FUZZ_LIMIT) -max_len=$(FUZZ_FLOW_MAX_LEN) \
		-artifact_prefix=$(FUZZ_DIR)/ -dict=tests/fuzz/flow.dict $(FUZZ_OPTS) \
		$(FUZZ_DIR)/corpus-flow tests/fuzz/flow

$(FUZZ_DIR)/fuzz_presence: $(FUZZ_STANZA_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_STANZA_SRCS) $(PC_LIBS) -o $@

# float-cast-overflow recoverable (still fatal: halt_on_error) so that
# FUZZ_KNOWN=F2 can suppress it at run time.
$(FUZZ_DIR)/fuzz_flow: $(FUZZ_FLOW_SRCS) $(wildcard bot/*.h bot/*/*.h storage/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize-recover=float-cast-overflow \
		$(FUZZ_FLOW_SRCS) $(PC_LIBS) -o $@

install: $(PROG)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/teletrack/prosody
	install -m 0755 $(PROG) $(DESTDIR)$(PREFIX)/bin/teletrack
	install -m 0644 conf/teletrack.conf.example $(DESTDIR)$(PREFIX)/share/teletrack/
	install -m 0644 conf/prosody/*.lua $(DESTDIR)$(PREFIX)/share/teletrack/prosody/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/teletrack
	rm -rf $(DESTDIR)$(PREFIX)/share/teletrack

clean:
	rm -rf build build-san teletrack

.PHONY: all deps unit unit-run integration integration-run test demo bench \
	fuzz fuzz-stanza fuzz-flow \
	install uninstall clean

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# teletrack: a headless XMPP observer for Jitsi meetings.
#
#   make                 build ./teletrack
#   make test            install deps, unit tests, then integration tests
#   make unit            unit tests only (no server)
#   make demo            throwaway Prosody + simulated conference + report
#   make demo-postgres   two Jitsi shards, one throwaway PostgreSQL
#   make bench           throughput and memory figures
#   make test-container  build the Dockerfile's image with podman and run it
#   make install         binary, man pages, systemd unit, example config and
#                        the Prosody module under $(DESTDIR)$(PREFIX)
#   make fuzz            libFuzzer: single stanzas, then stanza sequences
#                        through the whole flow (needs clang)
#   make SANITIZE=address,undefined test

PKG_CONFIG ?= pkg-config
CC ?= cc
CFLAGS ?= -O2 -g
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/teletrack
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d

WARN = -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	-Wshadow -Wpointer-arith -Wcast-qual -Wsign-compare
PCS = libstrophe sqlite3 inih jansson libcrypto
# Headers only: schedule_import.c opens libical when a calendar is read,
# status.c libsystemd when systemd asks for notifications, db_pg.c libpq
# when a URL names a PostgreSQL server.
PC_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PCS) libical libsystemd \
	libpq 2>/dev/null)
PC_LIBS = $(shell $(PKG_CONFIG) --libs $(PCS) 2>/dev/null)
SQLITE_LIBS = $(shell $(PKG_CONFIG) --libs sqlite3 2>/dev/null)
CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)
# The dashboard: libmicrohttpd (its header: serve.c opens the library
# itself), libcrypt (password hashes); libcrypto is in PCS already.
WEB_PCS = libmicrohttpd
WEB_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(WEB_PCS) 2>/dev/null)
WEB_LIBS = -lcrypt

ifneq ($(SANITIZE),)
SAN = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
BUILD ?= build-san
else
BUILD ?= build
endif

FINAL_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread $(CFLAGS) $(WARN) $(SAN) -MMD -MP \
	-Ibot -Ibot/core -Ibot/xmpp -Ibot/derive -Ibot/cmd -Istorage $(PC_CFLAGS) \
	$(WEB_CFLAGS)
FINAL_LDFLAGS = $(LDFLAGS) $(SAN) -pthread

COMMON = bot/core/log.c bot/core/xmalloc.c bot/core/event.c bot/core/jid.c \
	bot/core/clock.c bot/core/readfile.c \
	bot/core/text.c bot/core/settings.c bot/core/keytree.c bot/core/dlsyms.c
PARSE = bot/xmpp/presence.c bot/xmpp/message.c
ROOM = bot/derive/room.c bot/derive/gap.c bot/derive/notes.c \
	bot/derive/session.c bot/derive/part.c bot/derive/tabs.c \
	bot/derive/client.c
APPT = bot/derive/appt.c bot/derive/appt_presence.c bot/derive/appt_rules.c
DERIVE = $(ROOM) $(APPT)
STORE = storage/db.c storage/db_sqlite.c storage/db_pg.c storage/db_repair.c \
	storage/writer.c storage/writer_queue.c storage/writer_sql.c \
	storage/claim.c storage/report.c
# The schema: migrations in order, embedded by embed.awk (schema.h), for
# SQLite and, step for step, for PostgreSQL, whose dialect pg.awk derives
# from them and from PostgreSQL's own lines in storage/schema/pg/.  squash
# (storage/schema/squash.c) is built and run here: it writes the schema
# SQLite's migrations end with as one SQL text, for a new database.
MIGRATIONS = 001_schema.sql 002_scheduling.sql 003_unused_settings.sql \
	004_lobby_breakout.sql 005_shards.sql 006_indexes.sql
SCHEMA = $(addprefix storage/schema/,$(MIGRATIONS))
SCHEMA_PG = $(addprefix $(BUILD)/storage/schema/pg/,$(MIGRATIONS))
SCHEMA_PG_ONLY = $(wildcard storage/schema/pg/*.sql)
SRCS = bot/main.c bot/config.c bot/ipkey.c bot/observer.c bot/observer_appt.c \
	bot/alert.c \
	bot/status.c bot/cmd/run.c bot/xmpp/transport.c bot/xmpp/recvtext.c \
	$(DERIVE) bot/notify.c \
	$(PARSE) $(COMMON) storage/bookings.c \
	$(STORE) bot/cmd/cmd.c bot/cmd/report_cli.c

# The schedule and settings commands; libcsv ships no .pc file.
SCHED = bot/core/schedule_batch.c storage/schedule.c bot/cmd/schedule_import.c \
	bot/cmd/schedule_cli.c
SRCS += $(SCHED)
# teletrack status: reads the daemon's status file.
SRCS += bot/cmd/status_cli.c
CSV_LIBS = -lcsv

# teletrack serve and report html; the assets are compiled in (xxd -i).
WEB_PURE = storage/web/webutil.c storage/web/page.c storage/web/timeline.c \
	storage/web/chart.c storage/web/views.c storage/web/metrics.c \
	storage/web/auth.c storage/web/router.c storage/web/html_report.c
WEB = $(WEB_PURE) storage/web/serve.c
WEB_ASSETS = storage/web/assets/style.css storage/web/assets/app.js \
	storage/web/assets/icon.svg
SRCS += $(WEB)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
SCHEMA_OBJ = $(BUILD)/storage/schema_sql.o $(BUILD)/storage/schema_pg_sql.o \
	$(BUILD)/storage/schema_fresh_sql.o
# The command line as the program has it (main.c's table and every command
# it names), for the tests that run commands: main() renamed away.
CLI_OBJS = $(filter-out $(BUILD)/bot/main.o,$(call obj,$(SRCS))) \
	$(BUILD)/tests/cli_main.o $(SCHEMA_OBJ) $(BUILD)/gen/assets.o

PROG = teletrack
ifneq ($(SANITIZE),)
PROG = $(BUILD)/teletrack
endif

UNIT_TESTS = $(BUILD)/tests/test_presence $(BUILD)/tests/test_room \
	$(BUILD)/tests/test_config $(BUILD)/tests/test_storage \
	$(BUILD)/tests/test_appt $(BUILD)/tests/test_notify
UNIT_TESTS += $(BUILD)/tests/test_schedule $(BUILD)/tests/test_web
UNIT_TESTS += $(BUILD)/tests/test_status
# What fuzz_flow drives: the observer, the derivation, the writer.
FLOW_SRCS = bot/observer.c bot/observer_appt.c bot/alert.c bot/notify.c \
	bot/status.c bot/config.c $(DERIVE) $(PARSE) $(COMMON) $(STORE) \
	storage/bookings.c
# test_pg runs in sc_postgres.sh, against the server it starts.
TOOLS = $(BUILD)/tests/integration/jitsim $(BUILD)/tests/test_pg

all: $(PROG)

$(PROG): $(call obj,$(SRCS)) $(SCHEMA_OBJ) $(BUILD)/gen/assets.o
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CSV_LIBS) $(WEB_LIBS)

$(BUILD)/gen/assets.c: $(WEB_ASSETS)
	@mkdir -p $(dir $@)
	cd storage/web/assets && { xxd -i -n asset_style_css style.css && \
		xxd -i -n asset_app_js app.js && \
		xxd -i -n asset_icon_svg icon.svg; } > $(abspath $@).tmp
	mv $@.tmp $@
$(BUILD)/gen/assets.o: $(BUILD)/gen/assets.c
	$(CC) $(FINAL_CFLAGS) -c -o $@ $<

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
$(BUILD)/storage/schema/pg/%.sql: storage/schema/%.sql storage/schema/pg.awk \
		$(SCHEMA_PG_ONLY)
	@mkdir -p $(dir $@)
	awk -v pgonly=$(wildcard storage/schema/pg/$*.sql) \
		-f storage/schema/pg.awk $< > $@.tmp && mv $@.tmp $@
$(BUILD)/storage/schema_pg_sql.c: $(SCHEMA_PG) storage/schema/embed.awk
	@mkdir -p $(dir $@)
	awk -v name=schema_pg -f storage/schema/embed.awk $(SCHEMA_PG) > $@.tmp && \
		mv $@.tmp $@
$(BUILD)/storage/schema/squash: $(BUILD)/storage/schema/squash.o \
		$(BUILD)/storage/schema_sql.o
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(SQLITE_LIBS)
$(BUILD)/storage/schema_fresh_sql.c: $(BUILD)/storage/schema/squash
	$(BUILD)/storage/schema/squash > $@.tmp && mv $@.tmp $@
$(BUILD)/storage/%_sql.o: $(BUILD)/storage/%_sql.c
	$(CC) $(FINAL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/test_presence: $(call obj,tests/test_presence.c tests/fixture.c \
		$(PARSE) $(COMMON))
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CMOCKA_LIBS)
$(BUILD)/tests/test_room: $(call obj,tests/test_room.c tests/fixture.c \
		$(ROOM) $(PARSE) $(COMMON))
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CMOCKA_LIBS)
$(BUILD)/tests/test_config: $(call obj,tests/test_config.c bot/config.c $(COMMON))
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CMOCKA_LIBS)
$(BUILD)/tests/test_storage: $(call obj,tests/test_storage.c) $(CLI_OBJS)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CSV_LIBS) $(WEB_LIBS) \
		$(CMOCKA_LIBS)
$(BUILD)/tests/test_notify: $(call obj,tests/test_notify.c bot/notify.c $(COMMON))
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CMOCKA_LIBS)
$(BUILD)/tests/test_appt: $(call obj,tests/test_appt.c $(APPT) $(COMMON))
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CMOCKA_LIBS)
$(BUILD)/tests/test_schedule: $(call obj,tests/test_schedule.c) $(CLI_OBJS)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CSV_LIBS) $(WEB_LIBS) \
		$(CMOCKA_LIBS)
$(BUILD)/tests/test_web: $(call obj,tests/test_web.c) $(CLI_OBJS)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CSV_LIBS) $(WEB_LIBS) \
		$(CMOCKA_LIBS)
$(BUILD)/tests/test_pg: $(call obj,tests/test_pg.c) $(CLI_OBJS)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CSV_LIBS) $(WEB_LIBS) \
		$(CMOCKA_LIBS) -lpthread
$(BUILD)/tests/test_status: $(call obj,tests/test_status.c \
	bot/cmd/status_cli.c bot/status.c bot/config.c $(COMMON))
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CMOCKA_LIBS)
# fuzz_flow's harness on files, without libFuzzer (tests/fuzz_replay.c).
$(BUILD)/tests/fuzz_replay: $(call obj,tests/fuzz_replay.c tests/fuzz_flow.c \
	    $(FLOW_SRCS)) $(SCHEMA_OBJ)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) -ldl
$(BUILD)/tests/integration/jitsim: $(call obj,tests/integration/jitsim.c $(COMMON))
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS)
$(BUILD)/tests/live/loadgen: $(call obj,tests/live/loadgen.c \
	bot/xmpp/recvtext.c $(COMMON))
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) -ldl

deps:
	@sh tests/install-deps.sh

unit: deps
	@$(MAKE) --no-print-directory unit-run

# The benchmarks are built with the tests (not run: make bench), so a
# change that breaks them fails here.
unit-run: $(UNIT_TESTS) $(BUILD)/tests/bench $(BUILD)/tests/bench_e2e \
	    $(BUILD)/tests/fuzz_replay
	@fail=0; for t in $(UNIT_TESTS); do \
		echo "== $$t"; $$t || fail=1; \
	done; \
	echo "== fuzz_flow's seeds and findings"; \
	$(BUILD)/tests/fuzz_replay tests/fuzz/flow/* tests/fuzz/findings/* \
		>/dev/null || fail=1; \
	exit $$fail

integration: deps
	@$(MAKE) --no-print-directory integration-run

integration-run: $(PROG) $(TOOLS)
	@TELETRACK=$(abspath $(PROG)) JITSIM=$(abspath $(BUILD)/tests/integration/jitsim) \
		TEST_PG=$(abspath $(BUILD)/tests/test_pg) \
		ARTIFACTS=$(abspath $(BUILD)/artifacts) sh tests/integration/run.sh

test: deps
	@$(MAKE) --no-print-directory unit-run
	@$(MAKE) --no-print-directory integration-run
ifeq ($(SANITIZE),)
	@$(MAKE) --no-print-directory deploy-run
endif

# Deployment checks: the package list, the systemd unit, make install and
# the man pages, the container entrypoint, status, logging, README steps.
# Not under SANITIZE: they check the binary a user installs.
deploy-run: $(PROG) $(TOOLS)
	@TELETRACK=$(abspath $(PROG)) JITSIM=$(abspath $(BUILD)/tests/integration/jitsim) \
		sh tests/deploy/run.sh

# Builds the Dockerfile's image with podman (no Docker engine needed) on a
# debootstrapped Debian 12 base, then runs it against a test Prosody.
test-container: $(PROG) $(TOOLS)
	@TELETRACK=$(abspath $(PROG)) JITSIM=$(abspath $(BUILD)/tests/integration/jitsim) \
		sh tests/deploy/run.sh container.sh

demo: deps
	@$(MAKE) --no-print-directory $(PROG) $(TOOLS)
	@TELETRACK=$(abspath $(PROG)) JITSIM=$(abspath $(BUILD)/tests/integration/jitsim) \
		sh tests/integration/demo.sh

demo-postgres: deps
	@$(MAKE) --no-print-directory $(PROG) $(TOOLS)
	@TELETRACK=$(abspath $(PROG)) JITSIM=$(abspath $(BUILD)/tests/integration/jitsim) \
		sh tests/integration/demo_postgres.sh

# Last, live against a real Prosody (tests/live/bench_live.sh: a few
# minutes; LIVE_CASES=none skips it, LIVE_CASES="sat-10 pace" picks).
bench: deps
	@$(MAKE) --no-print-directory $(BUILD)/tests/bench \
		$(BUILD)/tests/bench_e2e $(PROG) $(BUILD)/tests/live/loadgen
	@$(BUILD)/tests/bench
	@$(BUILD)/tests/bench_e2e
	@BENCH=$(abspath $(BUILD)/tests/bench) sh tests/bench_pg.sh
	@TELETRACK=$(abspath $(PROG)) \
		LOADGEN=$(abspath $(BUILD)/tests/live/loadgen) \
		sh tests/live/bench_live.sh

# The daemon's pipeline end to end: every object of teletrack but main.
$(BUILD)/tests/bench_e2e: $(call obj,tests/bench_e2e.c) \
	    $(filter-out $(BUILD)/bot/main.o,$(call obj,$(SRCS))) $(SCHEMA_OBJ) \
	    $(BUILD)/gen/assets.o
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(CSV_LIBS) $(WEB_LIBS) -ldl

# bench links libpq itself: its baseline is bare libpq.
$(BUILD)/tests/bench: $(call obj,tests/bench.c $(DERIVE) $(PARSE) $(STORE) $(COMMON)) \
	    $(SCHEMA_OBJ)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(PC_LIBS) \
		$(shell $(PKG_CONFIG) --libs libpq 2>/dev/null)

# Coverage-guided fuzzing with clang's libFuzzer under ASan and UBSan:
#   fuzz-stanza  single stanzas through the parsers (tests/fuzz_presence.c,
#                seeded from tests/fixtures)
#   fuzz-flow    sequences of stanzas, disco answers and time through parse
#                -> observer -> derivation -> writer on an in-memory
#                database, invariants checked after each (tests/fuzz_flow.c,
#                seeded from tests/fuzz/flow)
# `make fuzz` runs both, FUZZ_SECONDS each; FUZZ_RUNS=N stops each after N
# executions instead; FUZZ_OPTS adds libFuzzer options (-fork=2, ...).
# FUZZ_KNOWN=F1,... lets fuzz-flow go on past a finding still open (listed
# in tests/fuzz/README) to look for others.  Its inputs are kept short
# (FUZZ_FLOW_MAX_LEN): a sequence is cheap to mutate but each one costs
# SQL; the longer seeds are cut to their first FUZZ_FLOW_MAX_LEN bytes.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=
FUZZ_OPTS ?=
FUZZ_KNOWN ?=
FUZZ_FLOW_MAX_LEN ?= 2048
# FUZZ_SAN=undefined FUZZ_OPT=-O2: a faster campaign that still checks
# every invariant and undefined behaviour, without ASan's memory checks
# (its binaries go to build/fuzz-undefined).
FUZZ_SAN ?= address,undefined
FUZZ_OPT ?= -O1
FUZZ_DIR = build/fuzz$(if $(filter address%,$(FUZZ_SAN)),,-$(FUZZ_SAN))
FUZZ_CFLAGS = -g $(FUZZ_OPT) -fsanitize=fuzzer,$(FUZZ_SAN) \
	-fno-sanitize-recover=all -std=c11 -D_GNU_SOURCE $(WARN) \
	-Ibot -Ibot/core -Ibot/xmpp -Ibot/derive -Ibot/cmd -Istorage $(PC_CFLAGS)
FUZZ_LIMIT = $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS))
FUZZ_STANZA_SRCS = tests/fuzz_presence.c $(PARSE) bot/core/log.c \
	bot/core/xmalloc.c bot/core/text.c
FUZZ_FLOW_SRCS = tests/fuzz_flow.c $(FLOW_SRCS) $(BUILD)/storage/schema_sql.c \
	$(BUILD)/storage/schema_pg_sql.c $(BUILD)/storage/schema_fresh_sql.c

fuzz: fuzz-stanza fuzz-flow

fuzz-stanza: $(FUZZ_DIR)/fuzz_presence
	@mkdir -p $(FUZZ_DIR)/corpus-stanza
	$(FUZZ_DIR)/fuzz_presence $(FUZZ_LIMIT) -artifact_prefix=$(FUZZ_DIR)/ \
		$(FUZZ_OPTS) $(FUZZ_DIR)/corpus-stanza tests/fixtures

fuzz-flow: $(FUZZ_DIR)/fuzz_flow
	@mkdir -p $(FUZZ_DIR)/corpus-flow
	FUZZ_FLOW_KNOWN=$(FUZZ_KNOWN) \
	$(FUZZ_DIR)/fuzz_flow $(FUZZ_LIMIT) -max_len=$(FUZZ_FLOW_MAX_LEN) \
		-artifact_prefix=$(FUZZ_DIR)/ -dict=tests/fuzz/flow.dict $(FUZZ_OPTS) \
		$(FUZZ_DIR)/corpus-flow tests/fuzz/flow

$(FUZZ_DIR)/fuzz_presence: $(FUZZ_STANZA_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_STANZA_SRCS) $(PC_LIBS) -o $@

$(FUZZ_DIR)/fuzz_flow: $(FUZZ_FLOW_SRCS) $(wildcard bot/*.h bot/*/*.h storage/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_FLOW_SRCS) $(PC_LIBS) -ldl -o $@

# The unit names the binary by its installed path: /usr/local/bin in the
# file, rewritten for another BINDIR.
install: $(PROG)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR)/prosody \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(PROG) $(DESTDIR)$(BINDIR)/teletrack
	install -m 0644 conf/man/teletrack.8 $(DESTDIR)$(MANDIR)/man8/teletrack.8
	install -m 0644 conf/man/teletrack.conf.5 \
		$(DESTDIR)$(MANDIR)/man5/teletrack.conf.5
	install -m 0644 conf/teletrack.conf.example $(DESTDIR)$(DATADIR)/
	install -m 0644 conf/prosody/*.lua $(DESTDIR)$(DATADIR)/prosody/
	sed 's,/usr/local/bin/,$(BINDIR)/,g' conf/systemd/teletrack.service \
		> $(DESTDIR)$(UNITDIR)/teletrack.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/teletrack.service
	install -m 0644 conf/systemd/teletrack.sysusers \
		$(DESTDIR)$(SYSUSERSDIR)/teletrack.conf
	install -d $(DESTDIR)$(DATADIR)/grafana
	install -m 0644 conf/grafana/*.json $(DESTDIR)$(DATADIR)/grafana/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/teletrack
	rm -f $(DESTDIR)$(MANDIR)/man8/teletrack.8
	rm -f $(DESTDIR)$(MANDIR)/man5/teletrack.conf.5
	rm -f $(DESTDIR)$(UNITDIR)/teletrack.service
	rm -f $(DESTDIR)$(SYSUSERSDIR)/teletrack.conf
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-san teletrack

.PHONY: all deps unit unit-run integration integration-run test demo \
	demo-postgres bench fuzz fuzz-stanza fuzz-flow \
	deploy-run test-container install uninstall clean

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

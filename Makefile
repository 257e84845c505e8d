# rtstage build. Sources are listed once; dependencies come from -MMD.
#   make            build/rtstage
#   make run        install missing packages (as root), build, serve
#   make test       install missing packages (as root), build, every test tier
#                   on the normal and the sanitizer build
#   make gen        regenerate the shape tables from spec/
#   make bench      throughput and latency against an nginx ceiling (bench/README.md)
#   make bench-media the SFU against Janus and the per-packet floor (bench/README.md)
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (clang)
#   make SANITIZE=1 an ASan+UBSan build in build/asan/

MODEL   := spec/aws-models/ivs-realtime/2020-07-14/service-2.json
CC_MODEL := spec/aws-models/cloudcontrol/2021-09-30/service-2.json
# Each resource schema Cloud Control serves, and the C symbol it is embedded as.
SCHEMA_PAIRS := spec/schemas/AWS_IVS_Stage.schema.json stage_schema_json \
	spec/schemas/AWS_IVS_PublicKey.schema.json public_key_schema_json \
	spec/schemas/AWS_IVS_StorageConfiguration.schema.json storage_schema_json
SCHEMA  := $(filter %.json,$(SCHEMA_PAIRS))
PKGS    := libmicrohttpd jansson sqlite3 libpq libcrypto libssl libpcre2-8 libsrtp2 libcurl

# The sources by layer, lower layers first (docs/ARCHITECTURE.md, "Layers").
# util: the error type, buffers, text and number parsing, JSON helpers
SRC_UTIL := \
	src/util/err.c src/util/buf.c src/util/pct.c src/util/timefmt.c src/util/jsonw.c \
	src/util/jsonpatch.c src/util/jsonscan.c src/util/utf8.c src/util/num.c
# core: log, metrics, the event bus
SRC_CORE := \
	src/core/log.c src/core/metrics.c src/core/bus_wire.c src/core/bus.c
# crypto: ids, keys, JWT, TLS files
SRC_CRYPTO := \
	src/crypto/ids.c src/crypto/keys.c src/crypto/key_files.c src/crypto/jwt.c \
	src/crypto/tls_files.c
# http: libmicrohttpd adapter, request watch, Host rules
SRC_HTTP := \
	src/http/server.c src/http/host.c src/http/watch.c
# net: WebSocket framing, the event loop
SRC_NET := \
	src/net/ws.c src/net/loop.c
# aws: the AWS protocols: shapes, validation, SigV4, routing, the pipeline
SRC_AWS := \
	src/aws/shapes.c src/aws/shapes_gen.c src/aws/validate.c src/aws/sigv4.c src/aws/error.c \
	src/aws/route.c src/aws/auth.c src/aws/pipeline.c
# store: drivers, migrations, one file of queries per resource
SRC_STORE := \
	src/store/store.c src/store/sqlite.c src/store/postgres.c src/store/migrations.c \
	src/store/stage_store.c src/store/tag_store.c src/store/storage_store.c \
	src/store/usage_store.c src/store/token_store.c src/store/key_table.c \
	src/store/request_store.c src/store/admin_store.c src/store/session_store.c \
	src/store/notify.c src/store/public_key_store.c src/store/media_host_store.c
# ivs: the domain: one file per resource, tokens, sessions
SRC_IVS := \
	src/ivs/arn.c src/ivs/recording.c src/ivs/endpoints.c src/ivs/page_token.c \
	src/ivs/paging.c src/ivs/quota.c src/ivs/stage.c src/ivs/storage.c src/ivs/tags.c \
	src/ivs/token.c src/ivs/ops.c src/ivs/session.c src/ivs/participant.c src/ivs/public_key.c \
	src/ivs/ptoken.c
# cloudcontrol: the Cloud Control resource types over the domain
SRC_CC := \
	src/cloudcontrol/schema.c src/cloudcontrol/schema_gen.c src/cloudcontrol/model.c \
	src/cloudcontrol/ops.c src/cloudcontrol/protocol.c src/cloudcontrol/stage_type.c \
	src/cloudcontrol/publickey_type.c src/cloudcontrol/storage_type.c \
	src/cloudcontrol/tagged.c
# media: the SFU, its protocol elements, WHIP signalling, stages across nodes
SRC_MEDIA := \
	src/media/cert.c src/media/dtls.c src/media/srtp.c src/media/srtp_evp.c \
	src/media/stun.c src/media/sdp.c src/media/rtp.c src/media/rtcp.c src/media/nack.c \
	src/media/transport.c src/media/peer.c \
	src/media/forward.c src/media/sfu.c src/media/client.c src/media/whip.c src/media/h264.c \
	src/media/stage_host.c
# runtime: events sockets, rosters, the roster following the media
SRC_RUNTIME := \
	src/runtime/useragent.c src/runtime/roster.c src/runtime/jobs.c src/runtime/events.c \
	src/runtime/join.c src/runtime/media.c
# console: the web console route
SRC_CONSOLE := \
	src/console/console.c
# wiring: configuration, commands, the route table
SRC_TOP := \
	src/config.c src/commands.c src/routes.c
SRC := $(SRC_UTIL) $(SRC_CORE) $(SRC_CRYPTO) $(SRC_HTTP) $(SRC_NET) $(SRC_AWS) $(SRC_STORE) \
	$(SRC_IVS) $(SRC_CC) $(SRC_MEDIA) $(SRC_RUNTIME) $(SRC_CONSOLE) $(SRC_TOP)
MAIN := src/main.c
FUZZ := \
	tests/fuzz/fuzz_validate.c tests/fuzz/fuzz_sigv4.c tests/fuzz/fuzz_route.c \
	tests/fuzz/fuzz_jwt.c tests/fuzz/fuzz_jsonpatch.c tests/fuzz/fuzz_schema.c \
	tests/fuzz/fuzz_ws.c tests/fuzz/fuzz_bus.c tests/fuzz/fuzz_dtls.c \
	tests/fuzz/fuzz_stun.c tests/fuzz/fuzz_sdp.c tests/fuzz/fuzz_rtp.c \
	tests/fuzz/fuzz_rtcp.c tests/fuzz/fuzz_h264.c tests/fuzz/fuzz_claims.c
UNIT := tests/unit/test_validate.c tests/unit/test_route.c tests/unit/test_ids.c \
	tests/unit/test_page_token.c tests/unit/test_sigv4.c tests/unit/test_jsonw.c \
	tests/unit/test_jsonpatch.c tests/unit/test_jsonscan.c tests/unit/test_utf8.c \
	tests/unit/test_stmt_cache.c tests/unit/test_ws.c tests/unit/test_loop.c \
	tests/unit/test_num.c tests/unit/test_timefmt.c tests/unit/test_log.c tests/unit/test_routes.c tests/unit/test_pipeline.c \
	tests/unit/test_host.c tests/unit/test_endpoints.c \
	tests/unit/test_session.c tests/unit/test_bus_wire.c tests/unit/test_notify.c \
	tests/unit/test_dtls.c tests/unit/test_srtp.c tests/unit/test_ptoken.c \
	tests/unit/test_useragent.c tests/unit/test_roster.c tests/unit/test_bus.c \
	tests/unit/test_public_key.c tests/unit/test_stun.c tests/unit/test_sdp.c \
	tests/unit/test_rtp.c tests/unit/test_rtcp.c tests/unit/test_nack.c \
	tests/unit/test_sfu.c tests/unit/test_h264.c tests/unit/test_media_host.c

ifeq ($(SANITIZE),1)
BUILD   ?= build/asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT     ?= -O1 -g
else
BUILD   ?= build
OPT     ?= -O2 -g
endif

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
ifeq ($(CI),true)
WARN    += -Werror
endif
CFLAGS  ?= $(OPT)
ALL_CFLAGS := -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) -iquote src -MMD -MP \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

OBJ      := $(SRC:%.c=$(BUILD)/%.o) $(BUILD)/console_assets.o
REPLAY_BIN := $(FUZZ:tests/fuzz/%.c=$(BUILD)/fuzz/replay_%)
MAIN_OBJ := $(MAIN:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all run test unit e2e gen bench bench-media fuzz deps-build deps-test deps-bench deps-bench-media deps-fuzz clean install uninstall

all: $(BUILD)/rtstage

$(BUILD)/rtstage: $(OBJ) $(MAIN_OBJ)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The tables follow the committed model; python3 regenerates them when it changes.
src/aws/shapes_gen.c src/aws/shapes_gen.h: $(MODEL) $(CC_MODEL) tools/gen_shapes.py
	python3 tools/gen_shapes.py $(MODEL) src/aws/shapes_gen $(CC_MODEL):cc

src/cloudcontrol/schema_gen.c: $(SCHEMA) tools/embed_json.py
	python3 tools/embed_json.py $@ $(SCHEMA_PAIRS)

# The web console (web/console/): esbuild bundles its modules, CSS and the
# AWS SDK for JavaScript into build/console/dist (shared by every build),
# which tools/embed_assets.py turns into C. npm ci runs only when
# node_modules is older than the lock.
CONSOLE_SRC := $(wildcard web/console/src/*.* web/console/src/*/*.*) \
	web/console/build.mjs web/console/package-lock.json
build/console/.built: $(CONSOLE_SRC)
	@mkdir -p build/console
	@echo "  ESBUILD build/console/dist"
	@cd web/console && { [ node_modules/.package-lock.json -nt package-lock.json ] || \
	    npm ci --no-audit --no-fund --loglevel=error; }
	@cd web/console && node build.mjs ../../build/console/dist
	@touch $@

build/console/assets.c: build/console/.built tools/embed_assets.py
	@python3 tools/embed_assets.py $@ build/console/dist

$(BUILD)/console_assets.o: build/console/assets.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

gen:
	python3 tools/gen_shapes.py $(MODEL) src/aws/shapes_gen $(CC_MODEL):cc
	python3 tools/embed_json.py src/cloudcontrol/schema_gen.c $(SCHEMA_PAIRS)

# Every unit test links the shared fixture (tests/unit/unit_store.c).
UNIT_FIXTURE := $(BUILD)/tests/unit/unit_store.o
$(BUILD)/tests/%: tests/unit/%.c $(OBJ) $(UNIT_FIXTURE)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $< $(OBJ) $(UNIT_FIXTURE) $(LDLIBS) -lcmocka

# Fuzz targets, replayed over the committed corpus by any compiler (make test)...
$(BUILD)/fuzz/replay_%: tests/fuzz/%.c tests/fuzz/replay.c $(OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -o $@ tests/fuzz/replay.c $< $(OBJ) $(LDLIBS)

# ...and run for real by libFuzzer (clang): make fuzz [FUZZ_SECONDS=600].
# New inputs go to build/libfuzzer/new-NAME, the log to build/libfuzzer/NAME.log;
# a crash input is written as crash-* in the working directory and fails the
# target: add it to tests/fuzz/corpus/NAME as a regression input.
FUZZ_SECONDS ?= 600
FUZZ_NAMES := $(FUZZ:tests/fuzz/%.c=%)
fuzz: deps-fuzz
	@$(MAKE) --no-print-directory CC=clang BUILD=build/libfuzzer \
	    SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" OPT="-O1 -g" \
	    $(OBJ:$(BUILD)/%=build/libfuzzer/%)
	@for n in $(FUZZ_NAMES); do \
	    echo "  FUZZ    $$n for $(FUZZ_SECONDS) s"; \
	    clang -std=c17 -D_GNU_SOURCE -iquote src -O1 -g -fsanitize=fuzzer,address,undefined \
	        -o build/libfuzzer/$$n tests/fuzz/$$n.c $(OBJ:$(BUILD)/%=build/libfuzzer/%) $(LDLIBS) || exit 1; \
	    mkdir -p build/libfuzzer/new-$$n; \
	    build/libfuzzer/$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        build/libfuzzer/new-$$n tests/fuzz/corpus/$$n > build/libfuzzer/$$n.log 2>&1; \
	    status=$$?; tail -8 build/libfuzzer/$$n.log; [ $$status = 0 ] || exit $$status; \
	done

deps-fuzz:
	@tools/deps.sh fuzz

deps-build:
	@tools/deps.sh build

deps-test:
	@tools/deps.sh test

deps-bench:
	@tools/deps.sh bench

run: deps-build
	@$(MAKE) --no-print-directory all
	./$(BUILD)/rtstage serve

unit: $(UNIT_BIN) $(REPLAY_BIN)

# Every tier runs twice: on the optimised build and on the ASan+UBSan build.
test: deps-test
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory SANITIZE=1 all unit
	@tests/run.sh build build/asan

# wrk against the real server with signed requests, beside an nginx ceiling.
bench: deps-bench
	@$(MAKE) --no-print-directory all
	@/usr/bin/python3 bench/run.py

# The media load tool: rtstage's media modules in the client role (bench/load.c).
$(BUILD)/rtstage-load: bench/load.c $(OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $< $(OBJ) $(LDLIBS)

deps-bench-media:
	@tools/deps.sh bench-media

# The SFU against Janus and the per-packet floor, plus SDK join times in Chromium.
bench-media: deps-bench-media
	@$(MAKE) --no-print-directory all $(BUILD)/rtstage-load
	@/usr/bin/python3 bench/media.py

clean:
	rm -rf build

-include $(OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_FIXTURE:.o=.d)

# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, the models the AWS
# CLI needs (AWS_DATA_PATH), the licence files and a systemd unit.
PREFIX ?= /usr/local
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/rtstage \
	    $(DESTDIR)$(PREFIX)/share/doc/rtstage $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 0755 $(BUILD)/rtstage $(DESTDIR)$(PREFIX)/bin/rtstage
	cp -R spec/aws-models $(DESTDIR)$(PREFIX)/share/rtstage/
	install -m 0644 LICENSE NOTICE $(DESTDIR)$(PREFIX)/share/doc/rtstage/
	sed 's|@PREFIX@|$(PREFIX)|g' contrib/rtstage.service \
	    > $(DESTDIR)$(PREFIX)/lib/systemd/system/rtstage.service

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/rtstage $(DESTDIR)$(PREFIX)/lib/systemd/system/rtstage.service
	rm -rf $(DESTDIR)$(PREFIX)/share/rtstage $(DESTDIR)$(PREFIX)/share/doc/rtstage

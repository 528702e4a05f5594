# Sanitizer, fuzzing and valgrind targets for the pure-C core (see
# ngx_consent_module/test/ and ngx_consent_module/fuzz/).
#
#   make asan                     core + unit tests with ASan/UBSan, run them
#   make fuzz [FUZZ_SECONDS=60]   libFuzzer target for the gate on the corpus
#   make fuzz-build               only build build/fuzz_gate
#   make valgrind-unit            unit tests (normal build) under valgrind
#   make unit-scalar              gate tests with the portable byte loops
#                                 (-DCS_GATE_SCALAR: what non-x86 builds run)

.PHONY: asan fuzz fuzz-build valgrind-unit unit-scalar

# The unit tests share a header and a rule file the main Makefile does not
# know about.
TEST_SUPPORT := $(SRC)/test/test_support.h $(SRC)/test/rules_test.yaml
$(UNIT_BINS): $(TEST_SUPPORT)

# ---- ASan + UBSan ----

ASAN_CC     ?= clang
ASAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               -fno-omit-frame-pointer -O1 -g
ASAN_DIR    := $(BUILD)/asan
ASAN_OBJS   := $(patsubst $(SRC)/%.c,$(ASAN_DIR)/core/%.o,$(CORE_SRCS))
ASAN_BINS   := $(patsubst $(SRC)/test/%.c,$(ASAN_DIR)/%,$(UNIT_SRCS))
ASAN_ENV    := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
               UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

$(ASAN_DIR)/core/%.o: $(SRC)/%.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(ASAN_CC) $(ASAN_FLAGS) $(WARN) $(INCS) -c -o $@ $<

$(ASAN_DIR)/libconsentcore.a: $(ASAN_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(ASAN_DIR)/test_%: $(SRC)/test/test_%.c $(ASAN_DIR)/libconsentcore.a $(TEST_SUPPORT)
	$(ASAN_CC) $(ASAN_FLAGS) $(WARN) $(INCS) -o $@ $< \
	  $(ASAN_DIR)/libconsentcore.a $(CORE_LIBS) -lcmocka

# Runs every test binary even if one fails, then fails if any did.
asan: $(ASAN_BINS)
	@rc=0; for t in $(ASAN_BINS); do echo "== $$t"; \
	  $(ASAN_ENV) $$t || rc=1; done; exit $$rc

# ---- libFuzzer ----

FUZZ_CC       ?= clang
FUZZ_SECONDS  ?= 60
FUZZ_FLAGS    := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                 -fno-omit-frame-pointer -O1 -g
FUZZ_DIR      := $(BUILD)/fuzz
FUZZ_OBJS     := $(patsubst $(SRC)/%.c,$(FUZZ_DIR)/core/%.o,$(CORE_SRCS))
FUZZ_BIN      := $(BUILD)/fuzz_gate
FUZZ_SEEDS    := $(SRC)/fuzz/corpus
FUZZ_CORPUS   := $(FUZZ_DIR)/corpus
FUZZ_ARGS     ?=

# The core gets coverage instrumentation, the target links libFuzzer's main.
$(FUZZ_DIR)/core/%.o: $(SRC)/%.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(WARN) $(INCS) -c -o $@ $<

$(FUZZ_BIN): $(SRC)/fuzz/fuzz_gate.c $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(WARN) $(INCS) -o $@ $< \
	  $(FUZZ_OBJS) $(CORE_LIBS)

fuzz-build: $(FUZZ_BIN)

# New inputs go to build/fuzz/corpus; the checked-in seeds are read only.
fuzz: $(FUZZ_BIN)
	@mkdir -p $(FUZZ_CORPUS)
	$(FUZZ_BIN) -max_len=4096 -max_total_time=$(FUZZ_SECONDS) \
	  -dict=$(SRC)/fuzz/fuzz_gate.dict -print_final_stats=1 \
	  -artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_ARGS) $(FUZZ_CORPUS) $(FUZZ_SEEDS)

# ---- valgrind ----

valgrind-unit: $(UNIT_BINS)
	@rc=0; for t in $(UNIT_BINS); do echo "== valgrind $$t"; \
	  valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite \
	    --suppressions=$(SRC)/test/valgrind.supp $$t || rc=1; done; exit $$rc

# ---- the gate without SIMD ----

SCALAR_DIR  := $(BUILD)/scalar
SCALAR_OBJS := $(patsubst $(SRC)/%.c,$(SCALAR_DIR)/core/%.o,$(CORE_SRCS))

$(SCALAR_DIR)/core/%.o: $(SRC)/%.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DCS_GATE_SCALAR $(WARN) $(INCS) -c -o $@ $<

$(SCALAR_DIR)/test_gate: $(SRC)/test/test_gate.c $(SCALAR_OBJS) $(TEST_SUPPORT)
	$(CC) $(CFLAGS) -DCS_GATE_SCALAR $(WARN) $(INCS) -o $@ $< $(SCALAR_OBJS) $(CORE_LIBS) \
	  -lcmocka

unit-scalar: $(SCALAR_DIR)/test_gate
	$(SCALAR_DIR)/test_gate

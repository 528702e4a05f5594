# libFuzzer target for the consent cookie parsers (cs_cmp.c, cs_tcf.c;
# see ngx_consent_module/fuzz/fuzz_cmp.c). Built on its own objects, so it
# needs neither the rest of the core nor its libraries.
#
#   make fuzz-cmp [FUZZ_CMP_SECONDS=60]   run it on the seed corpus
#   make fuzz-cmp-build                   only build build/fuzz_cmp

.PHONY: fuzz-cmp fuzz-cmp-build

FUZZ_CMP_CC      ?= clang
FUZZ_CMP_SECONDS ?= 60
FUZZ_CMP_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                    -fno-omit-frame-pointer -O1 -g
FUZZ_CMP_DIR     := $(BUILD)/fuzz-cmp
FUZZ_CMP_SRCS    := $(SRC)/core/cs_cmp.c $(SRC)/core/cs_tcf.c
FUZZ_CMP_OBJS    := $(patsubst $(SRC)/%.c,$(FUZZ_CMP_DIR)/%.o,$(FUZZ_CMP_SRCS))
FUZZ_CMP_BIN     := $(BUILD)/fuzz_cmp
FUZZ_CMP_SEEDS   := $(SRC)/fuzz/corpus_cmp
FUZZ_CMP_CORPUS  := $(FUZZ_CMP_DIR)/corpus
FUZZ_CMP_ARGS    ?=

$(FUZZ_CMP_DIR)/%.o: $(SRC)/%.c $(SRC)/core/cs_cmp.h $(SRC)/core/cs_tcf.h
	@mkdir -p $(dir $@)
	$(FUZZ_CMP_CC) $(FUZZ_CMP_FLAGS) -fsanitize=fuzzer-no-link $(WARN) $(INCS) -c -o $@ $<

$(FUZZ_CMP_BIN): $(SRC)/fuzz/fuzz_cmp.c $(FUZZ_CMP_OBJS)
	$(FUZZ_CMP_CC) $(FUZZ_CMP_FLAGS) -fsanitize=fuzzer $(WARN) $(INCS) -o $@ $< \
	  $(FUZZ_CMP_OBJS)

fuzz-cmp-build: $(FUZZ_CMP_BIN)

# New inputs go to build/fuzz-cmp/corpus; the checked-in seeds are read only.
# max_len leaves room for the longest raw value (3 * CS_CMP_VALUE_MAX) + 1.
fuzz-cmp: $(FUZZ_CMP_BIN)
	@mkdir -p $(FUZZ_CMP_CORPUS)
	$(FUZZ_CMP_BIN) -max_len=12300 -max_total_time=$(FUZZ_CMP_SECONDS) \
	  -dict=$(SRC)/fuzz/fuzz_cmp.dict -print_final_stats=1 \
	  -artifact_prefix=$(FUZZ_CMP_DIR)/ $(FUZZ_CMP_ARGS) \
	  $(FUZZ_CMP_CORPUS) $(FUZZ_CMP_SEEDS)

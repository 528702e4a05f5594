# make bench: throughput of the gate vs a plain proxy vs subs_filter regexes
# (bench/bench.sh; BENCH_SECONDS, BENCH_ROUNDS, ... are passed through).
# make bench-driver: the gate alone on the bench page, for perf/callgrind.
# make bench-scale: the bench page with rules/ana.yaml alone vs with ~2,500
# imported entities (bench/bench-scale.sh; BENCH_ENTITIES, BENCH_CALLGRIND
# and bench.sh's BENCH_* are passed through).

.PHONY: bench bench-driver bench-scale

bench: all $(MODULE) $(BUILD)/consentctl $(BUILD)/bench/gate-driver
	bash bench/bench.sh

$(BUILD)/bench/gate-driver: bench/gate-driver.c $(BUILD)/libconsentcore.a $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(INCS) \
	  -o $@ $< $(BUILD)/libconsentcore.a $(CORE_LIBS)

bench-driver: $(BUILD)/bench/gate-driver $(BUILD)/consentctl
	perl bench/make-page.pl $(BUILD)/bench/page.html
	$(BUILD)/consentctl compile rules/ana.yaml -o $(BUILD)/bench/rules.mdb
	$(BUILD)/bench/gate-driver $(BUILD)/bench/rules.mdb $(BUILD)/bench/page.html

$(BUILD)/bench/rules-load $(BUILD)/bench/consent-driver: $(BUILD)/bench/%: bench/%.c $(BUILD)/libconsentcore.a $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(INCS) -o $@ $< $(BUILD)/libconsentcore.a $(CORE_LIBS)

bench-scale: all $(MODULE) $(BUILD)/consentctl $(BUILD)/bench/gate-driver \
             $(BUILD)/bench/rules-load $(BUILD)/bench/consent-driver
	bash bench/bench-scale.sh

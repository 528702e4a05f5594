# make bench: throughput of the gate vs a plain proxy vs subs_filter regexes
# (bench/bench.sh; BENCH_SECONDS, BENCH_ROUNDS, ... are passed through).
# make bench-driver: the gate alone on the bench page, for perf/callgrind.

.PHONY: bench bench-driver

bench: all $(MODULE) $(BUILD)/consentctl
	bash bench/bench.sh

$(BUILD)/bench/gate-driver: bench/gate-driver.c $(BUILD)/libconsentcore.a $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I$(SRC) \
	  -o $@ $< $(BUILD)/libconsentcore.a $(CORE_LIBS)

bench-driver: $(BUILD)/bench/gate-driver $(BUILD)/consentctl
	perl bench/make-page.pl $(BUILD)/bench/page.html
	$(BUILD)/consentctl compile rules/ana.yaml -o $(BUILD)/bench/rules.mdb
	$(BUILD)/bench/gate-driver $(BUILD)/bench/rules.mdb $(BUILD)/bench/page.html

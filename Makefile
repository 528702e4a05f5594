# ngx_consent_module — see README.md.  `make deps && make && make test`.

SHELL       := /bin/bash
BUILD       := build
SRC         := ngx_consent_module
NGINX_SRC   ?= /usr/share/nginx/src

CC          ?= cc
CFLAGS      ?= -O2 -g
WARN        := -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror \
               -Wshadow -Wpointer-arith -Wstrict-prototypes
CORE_LIBS   := -lfyaml -llmdb -lpcre2-8

# Sources by role: core/ (pure C, in the module), gate/ (the streaming gate,
# in the module), tools/ (the rules compiler and consentctl's commands, the
# only code that links libfyaml), nginx/ (the glue, built by nginx's build
# through ./config). The static library holds core, gate and tools for the
# CLI, the unit tests, the fuzzers and the benchmarks.
CORE_DIRS   := core gate tools
INCS        := $(addprefix -I$(SRC)/,$(CORE_DIRS))
CORE_SRCS   := $(wildcard $(addsuffix /cs_*.c,$(addprefix $(SRC)/,$(CORE_DIRS))))
CORE_HDRS   := $(wildcard $(addsuffix /cs_*.h,$(addprefix $(SRC)/,$(CORE_DIRS))))
CORE_OBJS   := $(patsubst $(SRC)/%.c,$(BUILD)/core/%.o,$(CORE_SRCS))
UNIT_SRCS   := $(wildcard $(SRC)/test/test_*.c)
UNIT_BINS   := $(patsubst $(SRC)/test/%.c,$(BUILD)/%,$(UNIT_SRCS))

DEB_PACKAGES := build-essential nginx-core nginx-dev libpcre2-dev liblmdb-dev \
                lmdb-utils libfyaml-dev libcmocka-dev zlib1g-dev libssl-dev \
                libnginx-mod-http-subs-filter wrk valgrind clang \
                libclang-rt-14-dev perl pkg-config curl chromium openssl \
                dpkg-dev

.PHONY: all deps module unit test demo clean

MODULE      := $(BUILD)/ngx_http_consent_module.so
NGINX_BUILD := $(BUILD)/nginx
MODULE_SRCS := config $(wildcard $(SRC)/nginx/*.c $(SRC)/nginx/*.h) \
               $(CORE_SRCS) $(CORE_HDRS)

all: $(MODULE) $(BUILD)/consentctl

module: $(MODULE)

# Configure a private copy of the nginx source with the flags the installed
# nginx was built with (Debian's nginx-dev ships them in conf_flags), so the
# stock binary accepts the module with load_module.
$(NGINX_BUILD)/objs/Makefile: config
	@test -x $(NGINX_SRC)/configure || { echo "no nginx source at $(NGINX_SRC): run 'make deps' or set NGINX_SRC" >&2; exit 2; }
	rm -rf $(NGINX_BUILD) && mkdir -p $(BUILD) && cp -r $(NGINX_SRC) $(NGINX_BUILD)
	cd $(NGINX_BUILD) && flags=(--with-compat); \
	  if [ -f conf_flags ]; then . ./conf_flags; flags=("$${NGX_CONF_FLAGS[@]}"); fi; \
	  ./configure "$${flags[@]}" --with-cc-opt="-O2" --add-dynamic-module=$(CURDIR) > configure.log 2>&1 \
	  || { tail -20 configure.log; exit 1; }

$(MODULE): $(NGINX_BUILD)/objs/Makefile $(MODULE_SRCS)
	$(MAKE) -s -C $(NGINX_BUILD) -f objs/Makefile modules
	@# a new inode: running nginx processes keep the old file mapped intact
	cp $(NGINX_BUILD)/objs/ngx_http_consent_filter_module.so $@.tmp && mv -f $@.tmp $@

# Installs what is missing (Debian 12, as root); a no-op when all is there.
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	    echo "installing:" $$missing; \
	    apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/core/%.o: $(SRC)/%.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(INCS) -c -o $@ $<

$(BUILD)/libconsentcore.a: $(CORE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/consentctl: $(SRC)/tools/consentctl.c $(BUILD)/libconsentcore.a
	$(CC) $(CFLAGS) $(WARN) $(INCS) -o $@ $< $(BUILD)/libconsentcore.a $(CORE_LIBS)

$(BUILD)/test_%: $(SRC)/test/test_%.c $(BUILD)/libconsentcore.a
	$(CC) $(CFLAGS) $(WARN) $(INCS) -o $@ $< $(BUILD)/libconsentcore.a $(CORE_LIBS) -lcmocka

unit: $(UNIT_BINS) $(BUILD)/consentctl
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# The README's test command: core unit tests, then the request-replay suite
# against the stock nginx with the built module.
test: deps all unit
	PERL5LIB=t/lib prove -r t/

demo: deps all
	bash conf/demo/demo.sh

clean:
	rm -rf $(BUILD)

# Extra targets (sanitizers, fuzzing, benchmarks) live in mk/*.mk.
-include $(wildcard mk/*.mk)

# The whole stack under ASan + UBSan: Debian's own nginx source (the package
# the stock binary is built from, same configure flags) compiled with
# -fsanitize=address,undefined together with this module as a dynamic
# module, and the whole request-replay suite run against that binary.
# The build takes a while: run it with make -j2.
#
#   make asan-nginx          fetch + build (once), then run t/ against it
#   make asan-nginx-build    only fetch and build
#
# The source comes through a private apt configuration under build/ (a
# deb-src list, its own package lists and cache): the system's apt setup is
# neither read nor changed. Needs dpkg-dev (dpkg-source) and clang.

.PHONY: asan-nginx asan-nginx-build

ANGX_DIR     := $(BUILD)/asan-nginx
ANGX_APT     := $(ANGX_DIR)/apt
ANGX_SRC     := $(ANGX_DIR)/src
ANGX_BIN     := $(ANGX_SRC)/nginx/objs/nginx
ANGX_MODULE  := $(ANGX_SRC)/nginx/objs/ngx_http_consent_filter_module.so
# gcc, as Debian builds nginx (nginx's flags for clang add
# -Wconditional-uninitialized -Werror, a warning our own flags do not ask for)
ANGX_CC      ?= gcc
ANGX_CFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -O1 -g
ANGX_SUPP    := $(CURDIR)/mk/ubsan-nginx.supp
# detect_odr_violation=0: nginx's dynamic-module build defines
# ngx_module_names in both the binary and every module (nginx's, not ours).
ANGX_ENV     := ASAN_OPTIONS=detect_leaks=1:detect_odr_violation=0 \
                UBSAN_OPTIONS=print_stacktrace=1:suppressions=$(ANGX_SUPP) \
                LSAN_OPTIONS=suppressions=$(CURDIR)/mk/lsan-nginx.supp \
                CONSENT_TEST_NGINX=$(CURDIR)/$(ANGX_BIN) \
                CONSENT_TEST_MODULE=$(CURDIR)/$(ANGX_MODULE)
ANGX_APT_OPTS = -o Dir::Etc::SourceList=$(CURDIR)/$(ANGX_APT)/sources.list \
                -o Dir::Etc::SourceParts=/dev/null \
                -o Dir::State::Lists=$(CURDIR)/$(ANGX_APT)/lists \
                -o Dir::Cache=$(CURDIR)/$(ANGX_APT)/cache \
                -o APT::Sandbox::User=root -q

# The source of the installed nginx version when the mirror has it, else the
# newest version the lists name that can be fetched (a mirror may list a
# security update whose files it lacks); unpacked with Debian's patches.
$(ANGX_DIR)/source.stamp:
	@command -v dpkg-source >/dev/null || { echo "dpkg-source missing: make deps (dpkg-dev)" >&2; exit 2; }
	rm -rf $(ANGX_APT) $(ANGX_SRC) && mkdir -p $(ANGX_APT)/lists/partial $(ANGX_APT)/cache/archives/partial $(ANGX_SRC)
	@keys=/usr/share/keyrings/debian-archive-keyring.gpg; \
	{ echo "deb-src [signed-by=$$keys] http://deb.debian.org/debian bookworm main"; \
	  echo "deb-src [signed-by=$$keys] http://deb.debian.org/debian bookworm-updates main"; \
	  echo "deb-src [signed-by=$$keys] http://deb.debian.org/debian-security bookworm-security main"; \
	} > $(ANGX_APT)/sources.list
	apt-get $(ANGX_APT_OPTS) update
	@cd $(ANGX_SRC) && installed=$$(dpkg-query -W -f='$${Version}' nginx-core 2>/dev/null); \
	  listed=$$(apt-cache $(ANGX_APT_OPTS) showsrc --only-source nginx | sed -n 's/^Version: //p' | sort -rV); \
	  for v in $$installed $$listed; do \
	    echo "fetching the source of nginx $$v"; \
	    apt-get $(ANGX_APT_OPTS) source --only-source nginx=$$v > fetch.log 2>&1 && exit 0; \
	    grep '^E:' fetch.log; \
	  done; echo "no nginx source could be fetched" >&2; exit 1
	cd $(ANGX_SRC) && mv $$(find . -maxdepth 1 -type d -name 'nginx-*') nginx
	touch $@

# Configured with the stock binary's own flags (nginx -V: nginx-dev's
# conf_flags plus the modules nginx-core adds, gunzip, sub, addition...,
# which the suite uses), but its compiler flags and its dynamic modules; the
# sanitizers in both compile and link flags.
ANGX_STOCK   ?= /usr/sbin/nginx
$(ANGX_SRC)/nginx/objs/Makefile: $(ANGX_DIR)/source.stamp config debian/changelog \
                                 $(MODULE_LIST) mk/asan-nginx.mk
	cd $(ANGX_SRC)/nginx && args=$$($(ANGX_STOCK) -V 2>&1 | sed -n 's/^configure arguments: //p'); \
	  [ -n "$$args" ] || { echo "no configure arguments from $(ANGX_STOCK) -V" >&2; exit 2; }; \
	  eval "stock=($$args)"; flags=(); \
	  for f in "$${stock[@]}"; do case $$f in \
	    --with-cc-opt=*|--with-ld-opt=*|*=dynamic|--add-dynamic-module=*) ;; \
	    *) flags+=("$$f") ;; esac; done; \
	  ./configure "$${flags[@]}" --with-cc=$(ANGX_CC) --with-cc-opt="$(ANGX_CFLAGS)" \
	    --with-ld-opt="-fsanitize=address,undefined" \
	    --add-dynamic-module=$(CURDIR) > configure.log 2>&1 \
	  || { tail -20 configure.log; exit 1; }

$(ANGX_BIN): $(ANGX_SRC)/nginx/objs/Makefile $(MODULE_SRCS)
	$(MAKE) -s -C $(ANGX_SRC)/nginx -f objs/Makefile binary modules

asan-nginx-build: $(ANGX_BIN)

asan-nginx: asan-nginx-build $(BUILD)/consentctl
	$(ANGX_ENV) PERL5LIB=t/lib prove -r t/

# consentctl audit reads HAR captures with jansson (and inflates bodies
# still gzip-compressed with zlib): every binary linking the core library
# links them too.
CORE_LIBS += -ljansson -lz

# make audit: the request-replay matrix (every site x consent none / all /
# each declared recipient alone / each declared category / undeclared
# recipients only, and the fetch paths) through the built module in the
# stock nginx, filed as build/audit/index.html (+ index.png, a headless
# Chromium screenshot) and build/audit/audit.json. Not part of make test;
# t/152-audit-report.t runs a reduced matrix of it.
.PHONY: audit

audit: deps all
	perl t/tools/audit-matrix.pl --out $(BUILD)/audit

# consentctl audit reads HAR captures with jansson (and inflates bodies
# still gzip-compressed with zlib): every binary linking the core library
# links them too.
CORE_LIBS += -ljansson -lz

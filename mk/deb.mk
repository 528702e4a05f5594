# Debian packages (see debian/ and README "Installing").
#
#   make deb [DEB_OUT=build/deb]   libnginx-mod-http-consent and consentctl
#                                  .deb files in DEB_OUT, checked by lintian
#
# dpkg-buildpackage runs in a copy of the source tree (DEB_OUT/SOURCE, kept
# for incremental rebuilds: t/120-deb.t rebuilds it with a bumped version)
# and writes its results next to it, so the tree itself stays clean.

.PHONY: deb

DEB_OUT     ?= $(BUILD)/deb
DEB_SOURCE  := $(shell sed -n '1s/ .*//p' debian/changelog)
DEB_TREE    := $(DEB_OUT)/$(DEB_SOURCE)

deb: deps
	rm -rf $(DEB_OUT) && mkdir -p $(DEB_TREE)
	tar -c --exclude=./.git --exclude=./$(BUILD) --exclude='./t/servroot*' . \
	    | tar -x -C $(DEB_TREE)
	cd $(DEB_TREE) && DEB_BUILD_OPTIONS="parallel=2 $(DEB_BUILD_OPTIONS)" \
	    dpkg-buildpackage -us -uc -b > ../dpkg-buildpackage.log 2>&1 \
	    || { tail -40 ../dpkg-buildpackage.log; exit 1; }
	lintian --fail-on error --info $(DEB_OUT)/*.changes
	@ls -1 $(DEB_OUT)/*.deb

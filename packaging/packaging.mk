# The release tarball, the two source packages built from it, and the
# binary packages built from those, as Debian and Fedora would build them.
# Included by the top Makefile, which defines OUT and ENSURE.
#
#   make dist     $(OUT)/unprivileged-ports-$(VERSION).tar.gz and .sha256:
#                 the tracked files, reproducible (mtimes from the commit date)
#   make source   Debian: $(OUT)/unprivileged-ports_$(VERSION)-1.dsc with its
#                 .orig.tar.gz (the release tarball) and .debian.tar.xz, in
#                 format 3.0 (quilt), lintian-clean;
#                 Fedora: $(OUT)/unprivileged-ports-$(VERSION)-1.src.rpm,
#                 rpmlint-clean
#   make deb      dpkg-source -x of the .dsc, dpkg-buildpackage: the .deb as
#                 $(OUT)/unprivileged-ports_$(VERSION)_all.deb (the name the
#                 harness and tests use), lintian-clean with its .changes
#   make rpm      rpmbuild --rebuild of the .src.rpm:
#                 $(OUT)/unprivileged-ports-$(VERSION)-1.noarch.rpm, rpmlint-clean
#   make deb-broken  $(OUT)/broken/..._all.deb without the sysctl file
#                 (negative control for the VM tests)
#   PKG_VERSION=0.0.1  the same tree as an older version (upgrade tests)
#
# Each file is a real target, rebuilt only when an input changes, and moved
# into $(OUT) only after its linter passed: a lint failure leaves no stale
# target behind. Builds are reproducible: SOURCE_DATE_EPOCH comes from the
# changelog (tests/packages.bats builds twice and compares).

VERSION     := $(shell cat packaging/VERSION)
PKG_VERSION ?= $(VERSION)
PKG_NAME    := unprivileged-ports
# Debian revision: format 3.0 (quilt) needs one; the Fedora Release is 1 too.
PKG_REVISION := 1
PKG_FULL    := $(PKG_VERSION)-$(PKG_REVISION)

# Where a version's binary packages land: $(call pkg-deb-of,0.0.1).
pkg-deb-of = $(OUT)/$(PKG_NAME)_$(1)_all.deb
pkg-rpm-of = $(OUT)/$(PKG_NAME)-$(1)-$(PKG_REVISION).noarch.rpm

PKG_DIST       := $(OUT)/$(PKG_NAME)-$(PKG_VERSION).tar.gz
PKG_DSC        := $(OUT)/$(PKG_NAME)_$(PKG_FULL).dsc
PKG_SRPM       := $(OUT)/$(PKG_NAME)-$(PKG_FULL).src.rpm
PKG_DEB        := $(call pkg-deb-of,$(PKG_VERSION))
PKG_DEB_BROKEN := $(OUT)/broken/$(PKG_NAME)_$(VERSION)_all.deb
PKG_RPM        := $(call pkg-rpm-of,$(PKG_VERSION))

# debhelper and build-essential come from debian/control (apt-get build-dep
# ./packaging, through tools/ensure-packages), lintian for the lint step, and
# mmdebstrap for the trixie root packaging/lintian-newest lints in (a bare
# machine lacked it, and the lint fell back to bookworm's lintian).
PKG_DEB_TOOLS := lintian mmdebstrap ./packaging
PKG_RPM_TOOLS := rpm rpmlint
PKG_LINTIAN   := packaging/lintian-newest

.PHONY: dist source deb-broken

packages: deb rpm
dist: $(PKG_DIST)
source: $(PKG_DSC) $(PKG_SRPM)
deb: $(PKG_DEB)
deb-broken: $(PKG_DEB_BROKEN)
rpm: $(PKG_RPM)

# --- the release tarball ------------------------------------------------------

# Every tracked file as it is in the work tree (so a change shows in the next
# build before it is committed), under one top directory. Reproducible: names
# sorted, owner root, modes normalised, mtimes the commit's date, gzip without
# a name or time stamp.
PKG_DIST_FILES := $(wildcard $(shell git ls-files 2>/dev/null))
PKG_DIST_EPOCH = $(shell git log -1 --format=%ct 2>/dev/null)

$(PKG_DIST): $(PKG_DIST_FILES)
	@git rev-parse --git-dir >/dev/null 2>&1 || { echo "make dist: $(CURDIR) is not a git checkout; run it in a clone of the repository" >&2; exit 2; }
	mkdir -p $(@D)
	git ls-files -z >$@.files
	tar --create --file=$@.tmp --use-compress-program='gzip -n -9' --format=gnu --sort=name \
		--mtime=@$(PKG_DIST_EPOCH) --owner=0 --group=0 --numeric-owner --mode=u+rw,go=rX \
		--transform='s,^,$(PKG_NAME)-$(PKG_VERSION)/,S' --no-recursion --null --files-from=$@.files
	rm $@.files
	mv $@.tmp $@
	cd $(@D) && sha256sum $(@F) >$(@F).sha256

# --- Debian -------------------------------------------------------------------

# $(call pkg-deb-unpack,DIR): DIR/$(PKG_NAME)-$(PKG_VERSION) from the .dsc.
define pkg-deb-unpack
	rm -rf $(1)
	mkdir -p $(1)
	dpkg-source --no-check -x $(abspath $(PKG_DSC)) $(1)/$(PKG_NAME)-$(PKG_VERSION)
endef

# The source package: the release tarball as .orig.tar.gz, debian/ from its
# packaging/debian. The changelog's top entry gets PKG_VERSION, so an older
# or newer version builds from the same files.
PKG_SRC_DIR := $(abspath $(OUT))/build/source-$(PKG_VERSION)
PKG_SRC_TREE := $(PKG_SRC_DIR)/$(PKG_NAME)-$(PKG_VERSION)
PKG_DSC_FILES := $(PKG_NAME)_$(PKG_FULL).dsc $(PKG_NAME)_$(PKG_VERSION).orig.tar.gz \
	$(PKG_NAME)_$(PKG_FULL).debian.tar.xz

$(PKG_DSC): $(PKG_DIST) $(PKG_LINTIAN)
	$(ENSURE) $(PKG_DEB_TOOLS)
	rm -rf $(PKG_SRC_DIR)
	mkdir -p $(PKG_SRC_DIR)
	cp $(PKG_DIST) $(PKG_SRC_DIR)/$(PKG_NAME)_$(PKG_VERSION).orig.tar.gz
	tar -xzf $(PKG_DIST) -C $(PKG_SRC_DIR)
	cp -R $(PKG_SRC_TREE)/packaging/debian $(PKG_SRC_TREE)/debian
	sed -i '1s/^$(PKG_NAME) ([^)]*)/$(PKG_NAME) ($(PKG_FULL))/' $(PKG_SRC_TREE)/debian/changelog
	cd $(PKG_SRC_DIR) && SOURCE_DATE_EPOCH=$$(dpkg-parsechangelog -l $(PKG_SRC_TREE)/debian/changelog -STimestamp) \
		dpkg-source -b $(PKG_NAME)-$(PKG_VERSION)
	$(PKG_LINTIAN) $(PKG_SRC_DIR)/$(@F)
	cd $(PKG_SRC_DIR) && cp $(PKG_DSC_FILES) $(abspath $(@D))/

# The binary package, built from the source package. dpkg-buildpackage takes
# SOURCE_DATE_EPOCH from the changelog. out/ keeps the name without the
# Debian revision, the one the harness and tests use.
PKG_DEB_DIR := $(abspath $(OUT))/build/deb-$(PKG_VERSION)
PKG_DEB_BUILT := $(PKG_NAME)_$(PKG_FULL)_all.deb

$(PKG_DEB): $(PKG_DSC)
	$(call pkg-deb-unpack,$(PKG_DEB_DIR))
	cd $(PKG_DEB_DIR)/$(PKG_NAME)-$(PKG_VERSION) && dpkg-buildpackage -b -us -uc
	$(PKG_LINTIAN) $(PKG_DEB_DIR)/$(PKG_NAME)_$(PKG_FULL)_*.changes
	mkdir -p $(@D)
	cp $(PKG_DEB_DIR)/$(PKG_DEB_BUILT) $@

# The broken package: the same source without the sysctl file and the
# .install entry for it. Not linted: it is wrong on purpose.
PKG_DEB_BROKEN_DIR := $(abspath $(OUT))/build/deb-broken-$(VERSION)

$(PKG_DEB_BROKEN): $(PKG_DSC)
	$(call pkg-deb-unpack,$(PKG_DEB_BROKEN_DIR))
	cd $(PKG_DEB_BROKEN_DIR)/$(PKG_NAME)-$(PKG_VERSION) && \
		rm sysctl.d/30-unprivileged-ports.conf debian/$(PKG_NAME).install && dpkg-buildpackage -b -us -uc
	mkdir -p $(@D)
	cp $(PKG_DEB_BROKEN_DIR)/$(PKG_DEB_BUILT) $@

# --- Fedora -------------------------------------------------------------------

# rpmbuild in private _topdirs. Reproducible as Fedora's own builders make it:
# SOURCE_DATE_EPOCH from the %changelog, which is also the build time, file
# mtimes clamped to it, and a fixed build host. %{?dist} is empty on Debian;
# elsewhere the glob picks up e.g. 1.fc42 and the copy keeps the name in
# $(OUT) predictable.
PKG_RPM_DEFINES := --define "source_date_epoch_from_changelog 1" \
	--define "use_source_date_epoch_as_buildtime 1" \
	--define "clamp_mtime_to_source_date_epoch 1" \
	--define "_buildhost reproducible"
PKG_RPM_SPEC := packaging/rpm/$(PKG_NAME).spec
# Strict: a warning fails too. The .src.rpm alone does not use the filters
# for the binary package; the rpm target lints all three and so also finds a
# filter that nothing needs any more.
PKG_RPMLINT  := rpmlint --strict -r packaging/rpm/$(PKG_NAME).rpmlintrc

# The source package. An older PKG_VERSION is the same spec with its Version
# and top changelog entry rewritten; the spec in git always says VERSION.
PKG_SRPM_TOP  := $(abspath $(OUT))/build/srpm-$(PKG_VERSION)
PKG_SRPM_SPEC := $(PKG_SRPM_TOP)/SPECS/$(PKG_NAME).spec

$(PKG_SRPM): $(PKG_DIST) $(PKG_RPM_SPEC) packaging/rpm/$(PKG_NAME).rpmlintrc
	$(ENSURE) $(PKG_RPM_TOOLS)
	rm -rf $(PKG_SRPM_TOP)
	mkdir -p $(PKG_SRPM_TOP)/SOURCES $(PKG_SRPM_TOP)/SPECS
	cp $(PKG_DIST) $(PKG_SRPM_TOP)/SOURCES/
	sed -e 's/^Version:\( *\)$(subst .,\.,$(VERSION))$$/Version:\1$(PKG_VERSION)/' \
	    -e 's/> - $(subst .,\.,$(VERSION))-1$$/> - $(PKG_VERSION)-1/' $(PKG_RPM_SPEC) >$(PKG_SRPM_SPEC)
	grep -q '^Version: *$(subst .,\.,$(PKG_VERSION))$$' $(PKG_SRPM_SPEC)
	rpmbuild -bs $(PKG_RPM_DEFINES) --define "_topdir $(PKG_SRPM_TOP)" $(PKG_SRPM_SPEC)
	$(PKG_RPMLINT) --ignore-unused-rpmlintrc $(PKG_SRPM_SPEC) $(PKG_SRPM_TOP)/SRPMS/$(PKG_NAME)-$(PKG_FULL)*.src.rpm
	cp $(PKG_SRPM_TOP)/SRPMS/$(PKG_NAME)-$(PKG_FULL)*.src.rpm $@

PKG_RPM_TOP := $(abspath $(OUT))/build/rpm-$(PKG_VERSION)

$(PKG_RPM): $(PKG_SRPM)
	rm -rf $(PKG_RPM_TOP)
	rpmbuild --rebuild $(PKG_RPM_DEFINES) --define "_topdir $(PKG_RPM_TOP)" $<
	$(PKG_RPMLINT) $(PKG_SRPM_SPEC) $< $(PKG_RPM_TOP)/RPMS/noarch/$(PKG_NAME)-$(PKG_FULL)*.noarch.rpm
	cp $(PKG_RPM_TOP)/RPMS/noarch/$(PKG_NAME)-$(PKG_FULL)*.noarch.rpm $@

# The unprivileged-ports policy package as a .deb and an .rpm.
# Included by the top Makefile, which defines OUT and ENSURE.
#
#   make deb                      $(OUT)/unprivileged-ports_$(VERSION)_all.deb, lintian-clean
#   make deb PKG_VERSION=0.0.1    the same tree as an older version (upgrade tests)
#   make deb-broken               $(OUT)/broken/..._all.deb without the sysctl file
#                                 (negative control for the VM tests)
#   make rpm                      $(OUT)/unprivileged-ports-$(VERSION)-1.noarch.rpm, rpmlint-clean
#   make rpm PKG_VERSION=0.0.1    the same spec as an older version (upgrade tests)
#
# Each package is a real file target: it is rebuilt only when an input changes.
# A package is moved into $(OUT) only after its linter passed, so a lint
# failure leaves no stale target behind.

VERSION     := $(shell cat packaging/VERSION)
PKG_VERSION ?= $(VERSION)
PKG_NAME    := unprivileged-ports
PKG_CONF    := sysctl.d/30-unprivileged-ports.conf
PKG_LICENSE := packaging/LICENSE

# Where a version's packages land: $(call pkg-deb-of,0.0.1).
pkg-deb-of = $(OUT)/$(PKG_NAME)_$(1)_all.deb
pkg-rpm-of = $(OUT)/$(PKG_NAME)-$(1)-1.noarch.rpm

PKG_DEB        := $(call pkg-deb-of,$(PKG_VERSION))
PKG_DEB_BROKEN := $(OUT)/broken/$(PKG_NAME)_$(VERSION)_all.deb
PKG_RPM        := $(call pkg-rpm-of,$(PKG_VERSION))

PKG_COMMON_INPUTS := $(PKG_CONF) $(PKG_LICENSE) packaging/VERSION packaging/packaging.mk
PKG_DEB_INPUTS    := $(shell find packaging/debian -type f) $(PKG_COMMON_INPUTS)
PKG_RPM_INPUTS    := $(wildcard packaging/rpm/*) $(PKG_COMMON_INPUTS)

PKG_DEB_TOOLS := lintian ./packaging
PKG_RPM_TOOLS := rpm rpmlint

.PHONY: deb-broken

packages: deb rpm

deb: $(PKG_DEB)
deb-broken: $(PKG_DEB_BROKEN)
rpm: $(PKG_RPM)

# $(call pkg-deb-tree,DIR,VERSION): a fresh source tree for dpkg-buildpackage.
# The changelog's top entry gets VERSION, so PKG_VERSION builds an older or
# newer package from the same files. The tree has no Makefile on purpose:
# dh's build steps then do nothing.
define pkg-deb-tree
	rm -rf $(1)
	mkdir -p $(1)/sysctl.d
	cp -R packaging/debian $(1)/debian
	cp $(PKG_CONF) $(1)/sysctl.d/
	cp $(PKG_LICENSE) $(1)/LICENSE
	sed -i '1s/^$(PKG_NAME) ([^)]*)/$(PKG_NAME) ($(2))/' $(1)/debian/changelog
endef

PKG_DEB_DIR := $(abspath $(OUT))/build/deb/$(PKG_NAME)-$(PKG_VERSION)

$(PKG_DEB): $(PKG_DEB_INPUTS)
	$(ENSURE) $(PKG_DEB_TOOLS)
	$(call pkg-deb-tree,$(PKG_DEB_DIR),$(PKG_VERSION))
	cd $(PKG_DEB_DIR) && dpkg-buildpackage -b -us -uc
	lintian --fail-on error,warning $(dir $(PKG_DEB_DIR))$(notdir $@)
	mkdir -p $(dir $@)
	mv $(dir $(PKG_DEB_DIR))$(notdir $@) $@

# The broken package: the same tree without the sysctl file and without the
# .install entry for it. Not linted: it is wrong on purpose.
PKG_DEB_BROKEN_DIR := $(abspath $(OUT))/build/deb-broken/$(PKG_NAME)-$(VERSION)

$(PKG_DEB_BROKEN): $(PKG_DEB_INPUTS)
	$(ENSURE) $(PKG_DEB_TOOLS)
	$(call pkg-deb-tree,$(PKG_DEB_BROKEN_DIR),$(VERSION))
	rm $(PKG_DEB_BROKEN_DIR)/$(PKG_CONF) $(PKG_DEB_BROKEN_DIR)/debian/$(PKG_NAME).install
	cd $(PKG_DEB_BROKEN_DIR) && dpkg-buildpackage -b -us -uc
	mkdir -p $(dir $@)
	mv $(dir $(PKG_DEB_BROKEN_DIR))$(notdir $@) $@

# rpmbuild in a private _topdir. %{?dist} is empty on Debian; elsewhere the
# glob picks up e.g. 1.fc40 and the copy keeps the name in $(OUT) predictable.
# An older PKG_VERSION is the same spec with its Version and top changelog
# entry rewritten in the build tree; the spec in git always says VERSION.
PKG_RPM_TOP  := $(abspath $(OUT))/build/rpm-$(PKG_VERSION)
PKG_RPM_SPEC := packaging/rpm/$(PKG_NAME).spec
PKG_RPM_BUILT_SPEC := $(PKG_RPM_TOP)/SPECS/$(PKG_NAME).spec

$(PKG_RPM): $(PKG_RPM_INPUTS)
	$(ENSURE) $(PKG_RPM_TOOLS)
	rm -rf $(PKG_RPM_TOP)
	mkdir -p $(PKG_RPM_TOP)/SOURCES $(PKG_RPM_TOP)/SPECS
	cp $(PKG_CONF) $(PKG_RPM_TOP)/SOURCES/
	cp $(PKG_LICENSE) $(PKG_RPM_TOP)/SOURCES/LICENSE
	sed -e 's/^Version:\( *\)$(subst .,\.,$(VERSION))$$/Version:\1$(PKG_VERSION)/' \
	    -e 's/> - $(subst .,\.,$(VERSION))-1$$/> - $(PKG_VERSION)-1/' $(PKG_RPM_SPEC) > $(PKG_RPM_BUILT_SPEC)
	grep -q '^Version: *$(subst .,\.,$(PKG_VERSION))$$' $(PKG_RPM_BUILT_SPEC)
	rpmbuild -bb --define "_topdir $(PKG_RPM_TOP)" $(PKG_RPM_BUILT_SPEC)
	rpmlint -r packaging/rpm/$(PKG_NAME).rpmlintrc $(PKG_RPM_BUILT_SPEC) \
		$(PKG_RPM_TOP)/RPMS/noarch/$(PKG_NAME)-$(PKG_VERSION)-1*.noarch.rpm
	cp $(PKG_RPM_TOP)/RPMS/noarch/$(PKG_NAME)-$(PKG_VERSION)-1*.noarch.rpm $@

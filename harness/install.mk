# Installing portcheck, and the Debian ecosystem check (autopkgtest).
# Included by the top Makefile, which defines OUT, ENSURE and PORTCHECK_CACHE
# (and, through packaging.mk and harness.mk, PKG_DEB and HARNESS_BUILD).
#
#   make install [PREFIX=/usr/local] [DESTDIR=]
#       $(PREFIX)/libexec/portcheck/portcheck        the program
#       $(PREFIX)/libexec/portcheck/portcheck-agent  the static guest agent
#       $(PREFIX)/bin/portcheck                      symlink to the program
#       $(PREFIX)/share/man/man1/portcheck.1
#     portcheck looks for the agent in the directory of its own binary after
#     resolving symlinks (/proc/self/exe), so the agent stays out of bin/ and
#     the default needs no path compiled in.
#   make uninstall [PREFIX=...] [DESTDIR=]
#   make man           check that portcheck.1 renders without warnings
#   make autopkgtest   the package's autopkgtests (packaging/debian/tests) in a
#                      qemu testbed built on first use (docs/evidence.md)

PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
PKGLIBEXECDIR ?= $(PREFIX)/libexec/portcheck
MAN1DIR       ?= $(PREFIX)/share/man/man1
INSTALL       ?= install
PORTCHECK_MAN := harness/man/portcheck.1

.PHONY: install uninstall man autopkgtest autopkgtest-image

install: portcheck
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGLIBEXECDIR) $(DESTDIR)$(MAN1DIR)
	$(INSTALL) -m 0755 $(HARNESS_BUILD)/portcheck $(DESTDIR)$(PKGLIBEXECDIR)/portcheck
	$(INSTALL) -m 0755 $(HARNESS_BUILD)/portcheck-agent $(DESTDIR)$(PKGLIBEXECDIR)/portcheck-agent
	ln -sfn $(PKGLIBEXECDIR)/portcheck $(DESTDIR)$(BINDIR)/portcheck
	$(INSTALL) -m 0644 $(PORTCHECK_MAN) $(DESTDIR)$(MAN1DIR)/portcheck.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/portcheck $(DESTDIR)$(PKGLIBEXECDIR)/portcheck \
		$(DESTDIR)$(PKGLIBEXECDIR)/portcheck-agent $(DESTDIR)$(MAN1DIR)/portcheck.1
	-rmdir $(DESTDIR)$(PKGLIBEXECDIR)

# man --warnings prints groff's warnings on stderr; any is an error here.
man:
	@$(ENSURE) man-db groff-base
	@warnings=$$(MANWIDTH=80 man --warnings -l $(PORTCHECK_MAN) 2>&1 >/dev/null); \
	if [ -n "$$warnings" ]; then echo "$$warnings" >&2; exit 1; fi

# The testbed: Debian $(AUTOPKGTEST_SUITE) for autopkgtest-virt-qemu, kept
# out of the tree in the image cache (tools/autopkgtest-image says why it is
# not autopkgtest-build-qemu here). Built once, reused until deleted.
AUTOPKGTEST_SUITE ?= bookworm
AUTOPKGTEST_DIR   ?= $(PORTCHECK_CACHE)/autopkgtest
AUTOPKGTEST_CFG   := $(AUTOPKGTEST_DIR)/$(AUTOPKGTEST_SUITE)-amd64.cfg
AUTOPKGTEST_DEPS  := autopkgtest mmdebstrap qemu-system-x86 qemu-utils e2fsprogs util-linux

autopkgtest-image:
	@$(ENSURE) $(AUTOPKGTEST_DEPS)
	tools/autopkgtest-image $(AUTOPKGTEST_SUITE) $(AUTOPKGTEST_DIR)

# Under TCG this takes about 6 minutes (two boots and a reboot). The log,
# summary and artifacts land in $(OUT)/autopkgtest/.
autopkgtest: deb autopkgtest-image
	tools/autopkgtest-qemu $(AUTOPKGTEST_CFG) $(PKG_DEB) $(OUT)/autopkgtest
	@cat $(OUT)/autopkgtest/summary

# VM images: one recipe per image in vm-images/recipes, built by one script
# and cached by recipe hash in $(PORTCHECK_CACHE)/images.

IMAGE_TOOLS := mmdebstrap e2fsprogs busybox-static kmod jq cpio xz-utils zstd lz4 bzip2 binutils openssl curl
.PHONY: image image-deps images matrix
image-deps:
	@$(ENSURE) $(IMAGE_TOOLS)

# make image IMAGE=debian-trixie. An image with the package baked in
# (recipe key preinstall) takes the .deb of this tree.
IMAGE ?= $(DEFAULT_IMAGE)
image: image-deps deb
	PORTCHECK_PREINSTALL_DEB=$(abspath $(PKG_DEB)) vm-images/build-image $(IMAGE)

# Every recipe is an image: adding a distro is adding vm-images/recipes/NAME.conf.
IMAGES := $(sort $(basename $(notdir $(wildcard vm-images/recipes/*.conf))))
IMAGES_EMPTY :=
IMAGES_SPACE := $(IMAGES_EMPTY) $(IMAGES_EMPTY)
IMAGES_COMMA := ,
IMAGES_LIST := $(subst $(IMAGES_SPACE),$(IMAGES_COMMA),$(IMAGES))

# Build (or reuse) every image. One this machine cannot build (build-image
# exit 3, e.g. no Fedora mirror) is reported and does not fail the target.
images: image-deps deb
	@rc=0; for i in $(IMAGES); do \
	    PORTCHECK_PREINSTALL_DEB=$(abspath $(PKG_DEB)) vm-images/build-image $$i; s=$$?; \
	    case $$s in 0) ;; 3) echo "images: $$i skipped (see the reason above)" >&2 ;; *) rc=1 ;; esac; \
	done; exit $$rc

# Every scenario on every image: portcheck builds the images (one at a time)
# and then runs them in parallel. Exit status is portcheck's.
matrix: portcheck deb rpm packages-old image-deps
	$(HARNESS_BUILD)/portcheck run --image $(IMAGES_LIST) --scenario all \
		--package $(PKG_DEB) --package $(PKG_RPM) $(OLD_PACKAGE_ARGS) --out $(OUT)/matrix

# VM images: one recipe per image in vm-images/recipes, built by one script
# and cached by recipe hash in $(PORTCHECK_CACHE)/images.

IMAGE_TOOLS := mmdebstrap e2fsprogs busybox-static kmod jq cpio xz-utils zstd openssl
.PHONY: image image-deps
image-deps:
	@$(ENSURE) $(IMAGE_TOOLS)

# make image IMAGE=debian-trixie
IMAGE ?= $(DEFAULT_IMAGE)
image: image-deps
	vm-images/build-image $(IMAGE)

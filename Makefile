# Coral: `make up` starts a cluster, `make test` runs every test.
# Each step is a script or a single command; the targets only chain them.

BUILD_DIR ?= build
CORAL     := $(BUILD_DIR)/coral
SPEC      ?=

# The set-up steps must run in order, even under `make -j`.
.NOTPARALLEL:
.DEFAULT_GOAL := help
.PHONY: help deps docker build images up down test bench clean

help:
	@echo 'Coral targets:'
	@echo '  make up [SPEC=file]  install deps, start Docker, build, build images, start the cluster'
	@echo '  make down            stop the cluster'
	@echo '  make test            the same set-up, then every test (ctest)'
	@echo '  make bench           time cluster start-up (bench/up.sh)'
	@echo 'Steps: deps (apt packages), docker (start dockerd), build (cmake),'
	@echo '       images (coral/base, coral/worker, coral/notebook), clean (remove $(BUILD_DIR)/)'

deps:
	@scripts/install-deps.sh

docker:
	@scripts/start-docker.sh

build:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_DIR) -j$$(nproc)

images: docker
	@images/build.sh

up: deps docker build images
	$(CORAL) up $(if $(SPEC),-f $(SPEC))

down:
	$(CORAL) down

test: deps docker build images
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 900

bench:
	bash bench/up.sh

clean:
	rm -rf $(BUILD_DIR)

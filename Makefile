# SPDX-License-Identifier: MIT
# A thin wrapper around CMake: `make`, `make check`, `make demo`.

BUILD ?= build
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FACTURE = $(BUILD)/facture

all: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

check: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Validate the bundled examples: the good ones pass, the bad ones are caught.
demo: all
	$(FACTURE) --version
	$(FACTURE) validate -v examples/*.xml
	@echo
	@echo '# the invalid examples are expected to fail (exit status 1):'
	$(FACTURE) validate examples/invalid/; test $$? -eq 1

# Speed and memory against xmllint, side by side (needs ../shared).
bench: all
	python3 bench/schema.py --facture $(FACTURE)
	python3 bench/rules.py --facture $(FACTURE)
	python3 bench/pdf.py --facture $(FACTURE)

install: all
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD)

.PHONY: all check demo bench install clean

# Packaging and ecosystem rules.  Included by the top-level Makefile.
#
#   make package      dist/mip: the mip packages (Python part + one per chip + unix-x64)
#   make serve-mip    serve dist/mip on 127.0.0.1:$(MIP_PORT) for `mpremote mip install`
#   make stubs        build/stubs/<board>: the pinned micropython-<board>-stubs, one
#                     directory per board (they cannot share one site-packages)
#   make typecheck    mypy over our stubs, the examples and tests/typing/ per board
#   make i2c-shim     build/host/libi2cshim.so: /dev/i2c-N for the real i2c-tools (LD_PRELOAD)

PYTHON ?= python3
MIP_PORT ?= 8000
# Where dist/mip will be served: package.json files name their files and
# dependencies by absolute URL under it.  For a published tree, e.g.
#   make package MIP_BASE_URL=github:ORG/REPO/mip MIP_REF=v0.1.0
MIP_BASE_URL ?= http://127.0.0.1:$(MIP_PORT)
MIP_REF ?=
MIP_VERSION ?= 0.1.0
MIP_OUT ?= dist/mip

.PHONY: package serve-mip stubs typecheck i2c-shim

package: natmod
	$(PYTHON) -m tools.packaging.build_mip --base-url "$(MIP_BASE_URL)" --out "$(MIP_OUT)" \
		--version "$(MIP_VERSION)" --ref "$(MIP_REF)" --require unix-x64

serve-mip:
	@test -f $(MIP_OUT)/index.json || { echo "serve-mip: run 'make package' first" >&2; exit 1; }
	@echo "serving $(MIP_OUT) on http://127.0.0.1:$(MIP_PORT) (Ctrl-C stops)"
	cd $(MIP_OUT) && $(PYTHON) -m http.server $(MIP_PORT) --bind 127.0.0.1

# ---- type stubs ---------------------------------------------------------------
STUB_BOARDS := rp2 samd esp32 stm32
STUB_PINS := tools/packaging/stubs-requirements.txt
stubs: $(foreach b,$(STUB_BOARDS),build/stubs/$(b)/.installed)

build/stubs/%/.installed: $(STUB_PINS)
	@rm -rf $(@D) && mkdir -p $(@D)
	$(PYTHON) -m pip install -q --disable-pip-version-check --no-deps --target $(@D) \
		$$(grep -E '^(micropython-$*-stubs|micropython-stdlib-stubs)==' $(STUB_PINS))
	@touch $@

typecheck: stubs
	$(PYTHON) -m tools.packaging.typecheck

# ---- i2c-tools shim -------------------------------------------------------------
i2c-shim: build/host/libi2cshim.so

build/host/libi2cshim.so: tools/packaging/i2cshim.c
	@mkdir -p $(@D)
	$(HOST_CC) -std=gnu99 -Wall -Wextra -Werror -O1 -g -fPIC -shared -o $@ $< -ldl

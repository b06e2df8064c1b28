# Developer shortcuts. The README's two commands need none of this.
PY ?= .venv/bin/python

.PHONY: setup test bench-accuracy bench-speed samples screenshots

setup:            ## a venv with everything: app, tests, browser, dask, renderer
	python3 -m venv .venv
	$(PY) -m pip install -q -e ".[app,test,browser,dask,synth]"

test:             ## the README's test command
	$(PY) -m pytest -q

bench-accuracy:   ## the README's headline: render 240 mixed synthetic photos (seed 102) and report accuracy; installs what it needs
	@test -x $(PY) || python3 -m venv .venv
	@dpkg -s libegl-mesa0 libgl1-mesa-dri >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq libegl1 libegl-mesa0 libgl1-mesa-dri >/dev/null)
	$(PY) -m pip install -q -e ".[synth]"
	$(PY) benchmarks/accuracy.py --seed 102 --n 240 --horizon auto auto+noflip
	$(PY) benchmarks/accuracy.py --seed 102 --n 240 --horizon auto+noflip --model full   # the --fast preset measured and not offered

bench-speed:      ## speed figures on this machine
	@test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q -e .
	$(PY) benchmarks/speed.py

samples:          ## regenerate sample_images/ (seed 7) and the clip (seed 11)
	$(PY) -m tools.synth samples

screenshots:      ## refresh docs/screenshots/ (the browser tests, screenshots kept)
	THOMAS_CV_SCREENSHOTS=docs/screenshots $(PY) -m pytest -q tests/test_browser.py tests/test_browser_clinic.py

# The two commands of the README. Everything else is in scripts/.
.PHONY: demo test
demo:  ## install and start the demo city on http://127.0.0.1:8050/ (SCENARIO=typhoon: with a drill)
	DEMO_SCENARIO=$(SCENARIO) scripts/demo.sh
test:  ## install test needs (mosquitto, chromium, CJK fonts, venv) and run every test
	scripts/test.sh

# Two commands do it all on a fresh Debian/Ubuntu machine:
#   make run    set up what a desktop user lacks, then start the tray app
#   make test   set up everything the tests need (browser, X server, tray host), then run them
# Both create .venv/ at the repository root; afterwards .venv/bin/face2emoji is the CLI.
# They install the exact versions of constraints.txt (setup.cfg declares ranges).

# The Python of .venv/ (3.10 to 3.14): PYTHON=... if given, else tools/find-python.sh
# picks an installed one, or says in one line what to install, before anything is installed.
# make test asks for 3.11 first: torch's wheels on this project's machines are for 3.11.
PYTHON ?=
PREFER ?=
VENV := .venv
PIP := $(VENV)/bin/pip
# What the tray's menu and typing need on a Linux desktop (PyGObject builds against these):
# typing on X11 (xdotool, xclip) and on Wayland (wtype, wl-clipboard).
RUN_DEBS := xdotool xclip wtype wl-clipboard gir1.2-gtk-3.0 gir1.2-ayatanaappindicator3-0.1 \
            libgirepository1.0-dev libcairo2-dev pkg-config
# What the tests add: a virtual X server, a tray host, a notification daemon, a session bus,
# Tk for a real text field, Debian's Chromium for the web page, and a headless Wayland
# session (sway) with a Wayland text field (foot); GNOME's shortcut schema, to run the
# gsettings line `doctor` gives under Wayland.
TEST_DEBS := $(RUN_DEBS) xvfb xsel trayer dunst dbus dbus-x11 x11-utils python3-tk chromium \
             sway foot libglib2.0-bin gnome-settings-daemon-common
ARGS ?=

.PHONY: run test python debs-run debs-test clean

run: debs-run $(VENV)/.run
	$(VENV)/bin/face2emoji $(ARGS)

test: PREFER := 3.11
test: debs-test $(VENV)/.test
	bash tools/run-tests.sh

# An existing .venv/ is kept; otherwise a suitable Python must be there.
python:
	@test -x $(VENV)/bin/python || PYTHON='$(PYTHON)' bash tools/find-python.sh $(PREFER) >/dev/null

debs-run: python
	@bash tools/apt-ensure.sh $(RUN_DEBS)

debs-test: python
	@bash tools/apt-ensure.sh $(TEST_DEBS)

$(VENV)/bin/pip:
	py=$$(PYTHON='$(PYTHON)' bash tools/find-python.sh $(PREFER)) && "$$py" -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.run: $(VENV)/bin/pip setup.cfg pyproject.toml constraints.txt
	$(PIP) install -q -c constraints.txt -e '.[tray-gtk]'
	touch $@

$(VENV)/.test: $(VENV)/bin/pip setup.cfg pyproject.toml constraints.txt
	$(PIP) install -q -c constraints.txt -e '.[tray-gtk,train,test]'
	touch $@ $(VENV)/.run

clean:
	rm -rf $(VENV) build *.egg-info

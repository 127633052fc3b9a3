#!/bin/bash -e
# The kiosk lives in its own venv so OS Python packages never change under it. Our wheel is
# installed by path (never by name from an index, so no other package can pose as it); its
# pinned dependencies come from the wheels copied alongside, else from the package index.
venv=/opt/xinyi-kiosk/venv
wheels=/opt/xinyi-kiosk/wheels
rm -rf "$venv"
python3 -m venv "$venv"
kiosk_wheel=$(find "$wheels" -maxdepth 1 -name 'xinyi_kiosk-*.whl' | sort | tail -n 1)
if [ -z "$kiosk_wheel" ]; then
	echo "no xinyi_kiosk wheel in $wheels" >&2
	exit 1
fi
"$venv/bin/pip" install --disable-pip-version-check --prefer-binary \
	--find-links "$wheels" "$kiosk_wheel"
"$venv/bin/python" -c "import kiosk.cli"
rm -rf "$wheels" /root/.cache/pip

#!/bin/bash -e
# The app runs as `kiosk`: no password, no login shell, no home; device access through groups
# only (video/render: the display and GPU; input: the touch screen; dialout: serial scanners
# and card readers; audio: spoken guidance).
for group in video render input dialout audio; do
	groupadd -f -r "$group"
done
if ! id -u kiosk > /dev/null 2>&1; then
	useradd --system --user-group --home-dir /nonexistent --no-create-home \
		--shell /usr/sbin/nologin --comment "Xinyi Kiosk" kiosk
fi
usermod --append --groups video,render,input,dialout,audio kiosk
usermod --lock kiosk

#!/bin/bash -e
# Operator settings laid out by build.sh. Secrets are readable by root and the kiosk group only.
etc="${ROOTFS_DIR}/etc/xinyi-kiosk"
install -d -m 0750 "$etc"
install -m 0640 files/kiosk.toml "$etc/kiosk.toml"
install -m 0640 files/device-token "$etc/device-token"
install -m 0644 files/authority-key.pem "$etc/authority-key.pem"
if [ -f files/device-key.pem ]; then
	install -m 0640 files/device-key.pem "$etc/device-key.pem"
fi
install -m 0644 files/firewall.env "$etc/firewall.env"
install -D -m 0644 files/kivy-config.ini "$etc/kivy/config.ini"
if [ -f files/wifi.nmconnection ]; then
	install -D -m 0600 files/wifi.nmconnection \
		"${ROOTFS_DIR}/etc/NetworkManager/system-connections/xinyi-wifi.nmconnection"
fi

#!/bin/bash -e
systemctl enable kiosk.service 'var-lib-xinyi\x2dkiosk.mount' nftables.service \
	xinyi-firewall-backend.service xinyi-firewall-backend.timer
# No RTC on the Pi: the clock must come from NTP before TLS and bundle expiry can be trusted.
if [ -e /lib/systemd/system/systemd-timesyncd.service ]; then
	systemctl enable systemd-timesyncd.service
fi
systemctl set-default multi-user.target
# tty1 belongs to the kiosk's screen; no login prompt anywhere a passer-by can reach.
systemctl mask getty@tty1.service

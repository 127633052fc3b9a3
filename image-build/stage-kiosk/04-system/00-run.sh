#!/bin/bash -e
units="${ROOTFS_DIR}/etc/systemd/system"
install -d "$units"
install -m 0644 files/kiosk.service "$units/kiosk.service"
install -m 0644 'files/var-lib-xinyi\x2dkiosk.mount' "$units/"
install -m 0644 files/xinyi-firewall-backend.service files/xinyi-firewall-backend.timer "$units/"
# Mount point of the data partition; the directory underneath stays empty on the root.
install -d -m 0755 "${ROOTFS_DIR}/var/lib/xinyi-kiosk"
install -D -m 0644 files/journald-volatile.conf \
	"${ROOTFS_DIR}/etc/systemd/journald.conf.d/xinyi-volatile.conf"
install -D -m 0644 files/logind-no-vts.conf \
	"${ROOTFS_DIR}/etc/systemd/logind.conf.d/xinyi-no-vts.conf"
install -m 0644 files/nftables.conf "${ROOTFS_DIR}/etc/nftables.conf"
install -D -m 0755 files/xinyi-firewall-backend \
	"${ROOTFS_DIR}/usr/local/lib/xinyi-kiosk/xinyi-firewall-backend"
install -d "${ROOTFS_DIR}/etc/udev/rules.d"
for rules in files/udev/*.rules; do
	[ -e "$rules" ] || continue
	install -m 0644 "$rules" "${ROOTFS_DIR}/etc/udev/rules.d/"
done

#!/bin/bash -e
# Raspberry Pi only (the x86 install test skips this sub-stage): kernel command line, first-boot
# resize, the image's admin account, and last of all the read-only root.
cmdline="${ROOTFS_DIR}/boot/firmware/cmdline.txt"
words=()
read -r -a words < "$cmdline"
kept=()
for word in "${words[@]}"; do
	case "$word" in
	# resize: the root stays the size pi-gen made it (it is read-only; the data partition
	# build.sh appends after it must stay where it is).
	# console=serial0,...: frees the GPIO UART for a card reader, and no console on it.
	resize | console=serial0,* | consoleblank=* | quiet | loglevel=* | logo.nologo | vt.global_cursor_default=*) ;;
	*) kept+=("$word") ;;
	esac
done
# consoleblank=0: the console never blanks (the kernel default is 10 minutes).
kept+=(consoleblank=0 quiet loglevel=3 logo.nologo vt.global_cursor_default=0)
printf '%s\n' "${kept[*]}" > "$cmdline"

on_chroot << CHROOT
if systemctl list-unit-files rpi-resize.service > /dev/null 2>&1; then
	systemctl disable rpi-resize.service
fi
# The first user only exists to carry the operator's SSH key: no password at all.
usermod --password '*' "${FIRST_USER_NAME}"
CHROOT

#!/bin/bash
# Append the kiosk's writable data partition to a pi-gen image file:
#   add-data-partition.sh IMAGE SIZE_MIB
# pi-gen makes two partitions (boot, root). The root becomes a read-only overlay, so the policy
# bundle cache and counters need a partition of their own that survives reboots: an ext4
# partition labelled XINYI-DATA, mounted at /var/lib/xinyi-kiosk by a systemd mount unit.
# Works on the image file directly (no loop device, no root needed): sfdisk edits the
# partition table, mke2fs writes the file system at the partition's byte offset.
set -euo pipefail

DATA_LABEL="XINYI-DATA"
ALIGN=$((8 * 1024 * 1024))

if (($# != 2)); then
	echo "usage: $0 IMAGE SIZE_MIB" >&2
	exit 2
fi
image="$1"
size_mib="$2"
if [[ ! -f "$image" ]]; then
	echo "add-data-partition: no such image file: $image" >&2
	exit 3
fi
if [[ ! "$size_mib" =~ ^[0-9]+$ ]] || ((size_mib < 16)); then
	echo "add-data-partition: size must be a whole number of MiB, at least 16" >&2
	exit 2
fi
for tool in sfdisk mke2fs; do
	if ! command -v "$tool" > /dev/null; then
		echo "add-data-partition: $tool not found (Debian packages fdisk and e2fsprogs)" >&2
		exit 3
	fi
done
partitions=$(sfdisk --dump "$image" 2> /dev/null | grep -c ' : start=' || true)
if [[ "$partitions" != 2 ]]; then
	echo "add-data-partition: expected the 2 partitions pi-gen makes (boot, root), found ${partitions:-0}" >&2
	exit 3
fi

current_size=$(stat -c %s "$image")
start=$(((current_size + ALIGN - 1) / ALIGN * ALIGN))
size=$((size_mib * 1024 * 1024))
truncate -s $((start + size)) "$image"

printf 'start=%d, size=%d, type=83\n' $((start / 512)) $((size / 512)) |
	sfdisk --quiet --append --no-reread --no-tell-kernel "$image"

# data=journal is a mount option (see the mount unit); the journal itself needs no tuning here.
mke2fs -q -F -t ext4 -L "$DATA_LABEL" -E "offset=$start" -m 0 "$image" "$((size / 1024))k"
echo "add-data-partition: appended ${size_mib} MiB ext4 partition $DATA_LABEL at byte $start"

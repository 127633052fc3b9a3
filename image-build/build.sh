#!/bin/bash
# Build the Xinyi Kiosk Raspberry Pi OS image with pi-gen from an operator config.
#
#   image-build/build.sh [--dry-run] [--out DIR] [--wheel-dir DIR] OPERATOR_CONFIG
#
# --dry-run     check the config and lay out the pi-gen stage and config in DIR, build nothing
# --out DIR     where the laid-out stage, pi-gen config and image go (default image-build/out)
# --wheel-dir   use the wheels in DIR (our xinyi_kiosk wheel, optionally its dependencies for
#               an offline build) instead of building the wheel from this checkout
#
# Environment: PI_GEN_DIR, a pi-gen checkout (arm64 branch); when it does not exist yet it is
# cloned there. PI_GEN_REPO / PI_GEN_BRANCH override what is cloned.
# Exit codes: 0 done, 2 usage, 3 invalid operator config, 4 build failed.
set -euo pipefail
export LC_ALL=C
shopt -u patsub_replacement 2> /dev/null || true

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/operator-config.sh
. "$here/lib/operator-config.sh"

usage() {
	sed -n '2,15s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

dry_run=0
out_dir="$here/out"
wheel_dir=""
config_file=""
while (($#)); do
	case "$1" in
	--dry-run) dry_run=1 ;;
	--out)
		(($# >= 2)) || usage
		out_dir="$2"
		shift
		;;
	--wheel-dir)
		(($# >= 2)) || usage
		wheel_dir="$2"
		shift
		;;
	-h | --help) usage ;;
	-*)
		echo "build.sh: unknown option $1" >&2
		usage
		;;
	*)
		[[ -z "$config_file" ]] || usage
		config_file="$1"
		;;
	esac
	shift
done
[[ -n "$config_file" ]] || usage

if ! load_operator_config "$config_file"; then
	echo "build.sh: the operator config $config_file has problems:" >&2
	printf '  - %s\n' "${CONFIG_ERRORS[@]}" >&2
	echo "See image-build/README.md and image-build/examples/operator.conf.example." >&2
	exit 3
fi

# pi-gen runs from its own folder and splits STAGE_LIST on spaces: an absolute path, no spaces.
if [[ "$out_dir" =~ [[:space:]] ]]; then
	echo "build.sh: the --out folder must not contain spaces: $out_dir" >&2
	exit 2
fi
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)

# Fill @NAME@ placeholders with literal values (no sed: values may hold any character).
fill_template() {
	local template="$1" content name value
	content=$(< "$template")
	shift
	while (($#)); do
		name="$1" value="$2"
		content="${content//"@${name}@"/"$value"}"
		shift 2
	done
	printf '%s\n' "$content"
}

# NetworkManager keyfile: SSID as a byte list (any UTF-8 name survives), PSK with keyfile escapes.
wifi_ssid_bytes() {
	printf '%s' "$WIFI_SSID" | od -An -tu1 -v | tr -s ' \n' ';' | sed 's/^;//'
}

keyfile_escape() {
	local value="${1//\\/\\\\}"
	[[ "$value" == ' '* ]] && value="\\s${value:1}"
	printf '%s' "$value"
}

lay_out_stage() {
	local stage="$out_dir/stage-kiosk"
	rm -rf "$stage"
	mkdir -p "$out_dir"
	cp -a "$here/stage-kiosk" "$stage"

	local wheels="$stage/02-kiosk-app/files/wheels"
	mkdir -p "$wheels"
	if [[ -n "$wheel_dir" ]]; then
		cp "$wheel_dir"/*.whl "$wheels/"
	else
		"${PYTHON:-python3}" -m pip wheel "$repo" --no-deps --quiet -w "$wheels"
	fi
	if ! compgen -G "$wheels/xinyi_kiosk-*.whl" > /dev/null; then
		echo "build.sh: no xinyi_kiosk wheel in $wheels" >&2
		exit 4
	fi
	cp "$here/README.md" "$stage/02-kiosk-app/files/README.md"

	local files="$stage/03-kiosk-config/files"
	if [[ -n "${CFG[KIOSK_TOML]:-}" ]]; then
		cp "${CFG[KIOSK_TOML]}" "$files/kiosk.toml"
	else
		fill_template "$files/kiosk.toml.in" DEVICE_ID "${CFG[DEVICE_ID]}" \
			BACKEND_URL "${CFG[BACKEND_URL]}" > "$files/kiosk.toml"
	fi
	rm -f "$files/kiosk.toml.in"
	install -m 0600 "${CFG[DEVICE_TOKEN_FILE]}" "$files/device-token"
	cp "${CFG[AUTHORITY_KEY_FILE]}" "$files/authority-key.pem"
	if [[ -n "${CFG[DEVICE_KEY_FILE]:-}" ]]; then
		install -m 0600 "${CFG[DEVICE_KEY_FILE]}" "$files/device-key.pem"
		if [[ -z "${CFG[KIOSK_TOML]:-}" ]]; then
			printf 'device_key = "/etc/xinyi-kiosk/device-key.pem"   # signs offline receipts\n' >> "$files/kiosk.toml"
		fi
		# What the service's device registry needs, so every bundle lets counters verify
		# this kiosk's offline receipts.
		cp "$DEVICE_PUBLIC_KEY_FILE" "$out_dir/${CFG[DEVICE_ID]}-device-public.pem"
	fi
	printf 'backend_host=%q\nbackend_port=%q\n' "$BACKEND_HOST" "$BACKEND_PORT" > "$files/firewall.env"
	if [[ -n "${CFG[WIFI_FILE]:-}" ]]; then
		(umask 077 && fill_template "$files/wifi.nmconnection.in" WIFI_SSID "$(wifi_ssid_bytes)" \
			WIFI_PSK "$(keyfile_escape "$WIFI_PSK")" > "$files/wifi.nmconnection")
	fi
	rm -f "$files/wifi.nmconnection.in"

	local system="$stage/04-system/files" ssh_rule=""
	if [[ -n "${CFG[SSH_PUBKEY_FILE]:-}" ]]; then
		ssh_rule=$'\t\ttcp dport 22 ct state new limit rate 10/minute accept'
	fi
	fill_template "$system/nftables.conf.in" BACKEND_PORT "$BACKEND_PORT" \
		SSH_INPUT_RULE "$ssh_rule" SSH_NOTE "${ssh_rule:+ and SSH (key only)}" > "$system/nftables.conf"
	rm -f "$system/nftables.conf.in"
	mkdir -p "$system/udev"
	if compgen -G "$repo/config/udev/*.rules" > /dev/null; then
		cp "$repo"/config/udev/*.rules "$system/udev/"
	else
		echo "build.sh: warning: no udev rules in config/udev/; devices keep their default names" >&2
	fi
}

write_pi_gen_config() {
	local config="$out_dir/pi-gen-config" ssh_key=""
	[[ -n "${CFG[SSH_PUBKEY_FILE]:-}" ]] && ssh_key=$(grep -v '^#' "${CFG[SSH_PUBKEY_FILE]}" | grep .)
	{
		echo "# pi-gen config written by Xinyi Kiosk image-build/build.sh; pi-gen sources it."
		printf '%s=%q\n' \
			IMG_NAME "xinyi-${CFG[DEVICE_ID]}" \
			RELEASE "${CFG[RELEASE]}" \
			DEPLOY_DIR "$out_dir/deploy" \
			DEPLOY_COMPRESSION none \
			TARGET_HOSTNAME "${CFG[DEVICE_ID]}" \
			LOCALE_DEFAULT "${CFG[LOCALE]}" \
			TIMEZONE_DEFAULT "${CFG[TIMEZONE]}" \
			KEYBOARD_KEYMAP "${CFG[KEYBOARD_KEYMAP]}" \
			FIRST_USER_NAME xinyi-admin \
			FIRST_USER_PASS "$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" \
			DISABLE_FIRST_BOOT_USER_RENAME 1 \
			ENABLE_CLOUD_INIT 0 \
			ENABLE_SSH "$([[ -n "$ssh_key" ]] && echo 1 || echo 0)" \
			PUBKEY_ONLY_SSH 1 \
			STAGE_LIST "stage0 stage1 stage2 $out_dir/stage-kiosk"
		[[ -n "$ssh_key" ]] && printf '%s=%q\n' PUBKEY_SSH_FIRST_USER "$ssh_key"
		[[ -n "${CFG[WIFI_COUNTRY]:-}" ]] && printf '%s=%q\n' WPA_COUNTRY "${CFG[WIFI_COUNTRY]}"
		printf '%s=%q\n' XINYI_DATA_PARTITION_MB "${CFG[DATA_PARTITION_MB]}"
	} > "$config"
	chmod 0600 "$config"
}

run_pi_gen() {
	local pi_gen="${PI_GEN_DIR:-}"
	if [[ -z "$pi_gen" ]]; then
		echo "build.sh: set PI_GEN_DIR to a pi-gen checkout (or to where one should be cloned)" >&2
		exit 2
	fi
	if ((EUID != 0)); then
		echo "build.sh: pi-gen needs root (loop devices, chroot); run with sudo" >&2
		exit 2
	fi
	if [[ ! -x "$pi_gen/build.sh" ]]; then
		git clone --depth 1 --branch "${PI_GEN_BRANCH:-arm64}" \
			"${PI_GEN_REPO:-https://github.com/RPi-Distro/pi-gen.git}" "$pi_gen"
	fi
	# Only our image is wanted; skip exporting the plain Lite image of stage2.
	touch "$pi_gen/stage2/SKIP_IMAGES"
	(cd "$pi_gen" && ./build.sh -c "$out_dir/pi-gen-config") || {
		echo "build.sh: pi-gen failed; its log is in $pi_gen/work/*/build.log" >&2
		exit 4
	}
	local image
	image=$(find "$out_dir/deploy" -maxdepth 1 -name '*-kiosk.img' -newer "$out_dir/pi-gen-config" | head -n 1)
	if [[ -z "$image" ]]; then
		echo "build.sh: pi-gen finished but no *-kiosk.img is in $out_dir/deploy" >&2
		exit 4
	fi
	"$here/lib/add-data-partition.sh" "$image" "${CFG[DATA_PARTITION_MB]}"
	xz --force --threads 0 -6 "$image"
	echo "build.sh: image ready: $image.xz (write it with Raspberry Pi Imager or: xzcat | dd)"
}

lay_out_stage
write_pi_gen_config
echo "build.sh: stage laid out in $out_dir/stage-kiosk, pi-gen config in $out_dir/pi-gen-config"
if ((dry_run)); then
	echo "build.sh: dry run; nothing built"
	exit 0
fi
run_pi_gen

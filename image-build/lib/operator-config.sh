# shellcheck shell=bash
# Read and check the operator config (KEY=value lines) without executing it.
# Sourced by build.sh. Every problem is collected, so the operator sees all of them at once.
# Messages name the key and the line, never a secret's content.

# Keys the operator may set; anything else is a typo worth reporting.
OPERATOR_KEYS=(BACKEND_URL DEVICE_ID DEVICE_TOKEN_FILE AUTHORITY_KEY_FILE DEVICE_KEY_FILE WIFI_FILE
	WIFI_COUNTRY SSH_PUBKEY_FILE TIMEZONE LOCALE KEYBOARD_KEYMAP KIOSK_TOML DATA_PARTITION_MB RELEASE)

declare -A CFG=()
CONFIG_ERRORS=()
BACKEND_HOST=""
# shellcheck disable=SC2034  # set by check_device_key, read by build.sh
DEVICE_PUBLIC_KEY_FILE=""
BACKEND_PORT=""
WIFI_SSID=""
WIFI_PSK=""

config_error() {
	CONFIG_ERRORS+=("$1")
}

is_operator_key() {
	local key
	for key in "${OPERATOR_KEYS[@]}"; do
		[[ "$key" == "$1" ]] && return 0
	done
	return 1
}

# KEY=value, optional surrounding single or double quotes, '#' comments, blank lines.
read_operator_config() {
	local file="$1" line key value number=0
	if [[ ! -f "$file" || ! -r "$file" ]]; then
		config_error "operator config $file: no such readable file"
		return
	fi
	while IFS= read -r line || [[ -n "$line" ]]; do
		number=$((number + 1))
		line="${line%$'\r'}"
		[[ "$line" =~ ^[[:space:]]*(#.*)?$ ]] && continue
		if [[ ! "$line" =~ ^[[:space:]]*([A-Z_][A-Z0-9_]*)[[:space:]]*=(.*)$ ]]; then
			config_error "line $number: expected KEY=value"
			continue
		fi
		key="${BASH_REMATCH[1]}"
		value="${BASH_REMATCH[2]}"
		value="${value#"${value%%[![:space:]]*}"}"
		value="${value%"${value##*[![:space:]]}"}"
		if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then
			value="${BASH_REMATCH[1]}"
		fi
		if ! is_operator_key "$key"; then
			config_error "line $number: unknown key $key (known: ${OPERATOR_KEYS[*]})"
			continue
		fi
		if [[ -v "CFG[$key]" ]]; then
			config_error "line $number: $key is set twice"
			continue
		fi
		CFG[$key]="$value"
	done < "$file"
}

# Paths in the config are relative to the config file's folder.
resolve_config_path() {
	local path="$1" base="$2"
	if [[ "$path" == /* ]]; then
		printf '%s' "$path"
	else
		printf '%s/%s' "$base" "$path"
	fi
}

require_readable_file() {
	local key="$1" path="$2"
	if [[ ! -f "$path" || ! -r "$path" ]]; then
		config_error "$key: no such readable file: $path"
		return 1
	fi
	if [[ ! -s "$path" ]]; then
		config_error "$key: file is empty: $path"
		return 1
	fi
	return 0
}

check_backend_url() {
	local url="${CFG[BACKEND_URL]:-}"
	local label='[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
	local host_re="(${label}(\.${label})*|\[[0-9A-Fa-f:.]+\])"
	if [[ -z "$url" ]]; then
		config_error "BACKEND_URL is required, e.g. BACKEND_URL=https://eligibility.example.gov.cn"
		return
	fi
	if [[ "$url" != https://* ]]; then
		config_error "BACKEND_URL must start with https:// (the device token must never travel in clear)"
		return
	fi
	if [[ ! "$url" =~ ^https://${host_re}(:([0-9]{1,5}))?(/[A-Za-z0-9._~/-]*)?$ ]]; then
		config_error "BACKEND_URL must be https://HOST[:PORT][/PATH] with no user, query or fragment"
		return
	fi
	BACKEND_HOST="${BASH_REMATCH[1]}"
	BACKEND_PORT="${BASH_REMATCH[6]:-443}"
	BACKEND_HOST="${BACKEND_HOST#[}"
	BACKEND_HOST="${BACKEND_HOST%]}"
	if ((10#$BACKEND_PORT < 1 || 10#$BACKEND_PORT > 65535)); then
		config_error "BACKEND_URL: port $BACKEND_PORT is outside 1-65535"
	fi
	BACKEND_PORT=$((10#$BACKEND_PORT))
}

check_device_id() {
	local id="${CFG[DEVICE_ID]:-}"
	if [[ -z "$id" ]]; then
		config_error "DEVICE_ID is required, e.g. DEVICE_ID=kiosk-0042 (also the host name)"
	elif [[ ! "$id" =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ ]]; then
		config_error "DEVICE_ID must be 1-63 lower-case letters, digits and inner hyphens (it is the host name)"
	fi
}

check_device_token() {
	local path
	if [[ -z "${CFG[DEVICE_TOKEN_FILE]:-}" ]]; then
		config_error "DEVICE_TOKEN_FILE is required: a file holding this device's token for the backend"
		return
	fi
	path=$(resolve_config_path "${CFG[DEVICE_TOKEN_FILE]}" "$CONFIG_DIR")
	CFG[DEVICE_TOKEN_FILE]="$path"
	require_readable_file DEVICE_TOKEN_FILE "$path" || return
	if (($(wc -c < "$path") > 4096)); then
		config_error "DEVICE_TOKEN_FILE: larger than 4096 bytes; is it the right file? ($path)"
	elif [[ $(grep -c . "$path") -ne 1 ]] || grep -q '[^[:graph:]]' <(tr -d '\n' < "$path"); then
		config_error "DEVICE_TOKEN_FILE: must hold the token on one line, without spaces ($path)"
	fi
}

check_authority_key() {
	local path
	if [[ -z "${CFG[AUTHORITY_KEY_FILE]:-}" ]]; then
		config_error "AUTHORITY_KEY_FILE is required: the authority's public key (PEM) that signs policy bundles"
		return
	fi
	path=$(resolve_config_path "${CFG[AUTHORITY_KEY_FILE]}" "$CONFIG_DIR")
	CFG[AUTHORITY_KEY_FILE]="$path"
	require_readable_file AUTHORITY_KEY_FILE "$path" || return
	if grep -q 'PRIVATE KEY' "$path"; then
		config_error "AUTHORITY_KEY_FILE holds a PRIVATE key; give the public key only, and keep the private one off every device ($path)"
	elif ! grep -q -- '-----BEGIN PUBLIC KEY-----' "$path" || ! grep -q -- '-----END PUBLIC KEY-----' "$path"; then
		config_error "AUTHORITY_KEY_FILE must be a PEM public key (-----BEGIN PUBLIC KEY-----) ($path)"
	fi
}

# DEVICE_KEY_FILE: the device key `kiosk keys new --device DEVICE_ID --out FILE` wrote (it signs
# the receipts of offline decisions). Its public half, which that command writes beside it as
# NAME-public.pem, is what the service's device registry (device_keys) needs; the build copies it
# to the output folder. Both name the device, and it must be this one.
check_device_key() {
	local path public id="${CFG[DEVICE_ID]:-}"
	[[ -z "${CFG[DEVICE_KEY_FILE]:-}" ]] && return
	path=$(resolve_config_path "${CFG[DEVICE_KEY_FILE]}" "$CONFIG_DIR")
	CFG[DEVICE_KEY_FILE]="$path"
	require_readable_file DEVICE_KEY_FILE "$path" || return
	if ! grep -q -- '-----BEGIN PRIVATE KEY-----' "$path" || ! grep -qx 'Xinyi-Key-Kind: device' "$path"; then
		config_error "DEVICE_KEY_FILE must be a device key made with: kiosk keys new --device $id --out FILE ($path)"
		return
	fi
	if ! grep -qx "Xinyi-Device: $id" "$path"; then
		config_error "DEVICE_KEY_FILE names another device than DEVICE_ID=$id; make this kiosk its own key ($path)"
		return
	fi
	public="${path%.pem}-public.pem"
	if [[ ! -f "$public" || ! -r "$public" ]]; then
		config_error "DEVICE_KEY_FILE: its public half $public is missing (kiosk keys new writes both)"
	elif grep -q 'PRIVATE KEY' "$public" || ! grep -q -- '-----BEGIN PUBLIC KEY-----' "$public" ||
		! grep -qx "Xinyi-Device: $id" "$public"; then
		config_error "DEVICE_KEY_FILE: $public is not this device's public key"
	else
		# shellcheck disable=SC2034  # read by build.sh
		DEVICE_PUBLIC_KEY_FILE="$public"
	fi
}

# WIFI_FILE: two lines, ssid=NAME and psk=PASSPHRASE (kept apart from the main config because
# the passphrase is a secret).
check_wifi() {
	local path line
	if [[ -z "${CFG[WIFI_FILE]:-}" ]]; then
		[[ -n "${CFG[WIFI_COUNTRY]:-}" ]] && config_error "WIFI_COUNTRY is set but WIFI_FILE is not"
		return
	fi
	path=$(resolve_config_path "${CFG[WIFI_FILE]}" "$CONFIG_DIR")
	CFG[WIFI_FILE]="$path"
	require_readable_file WIFI_FILE "$path" || return
	while IFS= read -r line || [[ -n "$line" ]]; do
		line="${line%$'\r'}"
		case "$line" in
		ssid=*) WIFI_SSID="${line#ssid=}" ;;
		psk=*) WIFI_PSK="${line#psk=}" ;;
		'' | '#'*) ;;
		*) config_error "WIFI_FILE: only ssid=... and psk=... lines are allowed ($path)" ;;
		esac
	done < "$path"
	local ssid_bytes
	ssid_bytes=$(printf '%s' "$WIFI_SSID" | wc -c)
	if ((ssid_bytes < 1 || ssid_bytes > 32)); then
		config_error "WIFI_FILE: ssid must be 1-32 bytes ($path)"
	fi
	if [[ ! "$WIFI_PSK" =~ ^[[:xdigit:]]{64}$ ]] &&
		{ ((${#WIFI_PSK} < 8 || ${#WIFI_PSK} > 63)) || [[ "$WIFI_PSK" =~ [^\ -~] ]]; }; then
		config_error "WIFI_FILE: psk must be 8-63 printable ASCII characters or 64 hex digits ($path)"
	fi
	if [[ ! "${CFG[WIFI_COUNTRY]:-}" =~ ^[A-Z]{2}$ ]]; then
		config_error "WIFI_COUNTRY is required with WIFI_FILE: the two-letter country code, e.g. CN (radio rules)"
	fi
}

check_ssh_key() {
	local path line keys=0
	[[ -z "${CFG[SSH_PUBKEY_FILE]:-}" ]] && return
	path=$(resolve_config_path "${CFG[SSH_PUBKEY_FILE]}" "$CONFIG_DIR")
	CFG[SSH_PUBKEY_FILE]="$path"
	require_readable_file SSH_PUBKEY_FILE "$path" || return
	if grep -q 'PRIVATE KEY' "$path"; then
		config_error "SSH_PUBKEY_FILE holds a PRIVATE key; give the .pub file ($path)"
		return
	fi
	while IFS= read -r line || [[ -n "$line" ]]; do
		[[ -z "$line" || "$line" == '#'* ]] && continue
		if [[ "$line" =~ ^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)\ AAAA[A-Za-z0-9+/]+=*(\ .*)?$ ]]; then
			keys=$((keys + 1))
		else
			config_error "SSH_PUBKEY_FILE: each line must be an OpenSSH public key (ssh-ed25519 AAAA... comment) ($path)"
			return
		fi
	done < "$path"
	((keys > 0)) || config_error "SSH_PUBKEY_FILE: no public key found ($path)"
}

check_optional_settings() {
	local tz="${CFG[TIMEZONE]:=Asia/Shanghai}"
	if [[ ! "$tz" =~ ^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$ ]]; then
		config_error "TIMEZONE must look like Area/City, e.g. Asia/Shanghai"
	fi
	local locale="${CFG[LOCALE]:=zh_CN.UTF-8}"
	if [[ ! "$locale" =~ ^[a-z]{2,3}_[A-Z]{2}\.UTF-8$ ]]; then
		config_error "LOCALE must look like zh_CN.UTF-8"
	fi
	local keymap="${CFG[KEYBOARD_KEYMAP]:=us}"
	if [[ ! "$keymap" =~ ^[a-z]{2,8}$ ]]; then
		config_error "KEYBOARD_KEYMAP must be a keymap name such as us"
	fi
	local release="${CFG[RELEASE]:=trixie}"
	if [[ ! "$release" =~ ^(bookworm|trixie)$ ]]; then
		config_error "RELEASE must be trixie or bookworm"
	fi
	local size="${CFG[DATA_PARTITION_MB]:=512}"
	if [[ ! "$size" =~ ^[0-9]{1,6}$ ]] || ((10#$size < 64 || 10#$size > 65536)); then
		config_error "DATA_PARTITION_MB must be a whole number of MiB between 64 and 65536"
	fi
	if [[ -n "${CFG[KIOSK_TOML]:-}" ]]; then
		CFG[KIOSK_TOML]=$(resolve_config_path "${CFG[KIOSK_TOML]}" "$CONFIG_DIR")
		require_readable_file KIOSK_TOML "${CFG[KIOSK_TOML]}" || true
	fi
}

# Fills CFG, BACKEND_HOST/PORT and WIFI_SSID/PSK; returns 1 with CONFIG_ERRORS when invalid.
load_operator_config() {
	local file="$1"
	CONFIG_DIR=$(cd "$(dirname "$file")" 2> /dev/null && pwd) || CONFIG_DIR="."
	read_operator_config "$file"
	((${#CONFIG_ERRORS[@]} == 0)) || return 1
	check_backend_url
	check_device_id
	check_device_token
	check_authority_key
	check_device_key
	check_wifi
	check_ssh_key
	check_optional_settings
	((${#CONFIG_ERRORS[@]} == 0))
}

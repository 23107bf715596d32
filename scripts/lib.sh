# shellcheck shell=bash
# scripts/lib.sh - shared by scripts/demo and scripts/test: install what is missing, build.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# a heading, with the seconds since the script began
say() { printf '==> [%ss] %s\n' "$SECONDS" "$*" >&2; }

# Debian packages the build and the tests need
packages=(gcc make cmake pkg-config libuv1-dev libjansson-dev python3 jq bats bats-assert bats-support parallel
	clang libclang-rt-14-dev valgrind groff-base man-db dpkg-dev file procps shellcheck)

# shellcheck disable=SC2120 # extra packages are optional
install_missing() {
	local missing=() p
	for p in "${packages[@]}" "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# build DIR [cmake options...]: configure and build into $top/DIR
build() {
	local dir=$1
	shift
	cmake -S "$top" -B "$top/$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
	cmake --build "$top/$dir" -j "$(nproc)" >/dev/null
}

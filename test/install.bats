#!/usr/bin/env bats
# test/install.bats - `cmake --install`, the Debian package from `cpack -G DEB`, the man
# page and the bash completion. One fresh build in a temporary directory, shared by every
# test (setup_file): configure, build, install into a DESTDIR, build the package.

load test_helper

setup_file() {
	# packaging does not depend on the build variant; scripts/test runs every suite once
	# per variant, and once is enough here
	if [[ ${THREESCALE_UPGRADE:-} == */build-asan/* ]]; then
		skip "packaging is checked on the normal build"
	fi
	export BUILD="$BATS_FILE_TMPDIR/build"
	export ROOT="$BATS_FILE_TMPDIR/root" # DESTDIR
	export PKG="$BATS_FILE_TMPDIR/pkg"
	local log="$BATS_FILE_TMPDIR/setup.log"
	{
		cmake -S "$TOP" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF &&
			cmake --build "$BUILD" -j "$(nproc)" &&
			DESTDIR="$ROOT" cmake --install "$BUILD" --prefix /usr &&
			(cd "$BUILD" && cpack -G DEB -B "$PKG")
	} >"$log" 2>&1 || {
		cat "$log"
		return 1
	}
	VERSION=$(sed -n 's/^project(3scale-upgrade VERSION \([0-9.]*\).*/\1/p' "$TOP/CMakeLists.txt")
	export VERSION
	export DEB="$PKG/3scale-upgrade_${VERSION}_$(dpkg --print-architecture).deb"
}

# ---- cmake --install ----------------------------------------------------------------------

@test "cmake --install puts every file in place" {
	[ -x "$ROOT/usr/bin/3scale-upgrade" ]
	[ -x "$ROOT/usr/bin/oc-sim" ]
	[ -f "$ROOT/usr/share/man/man1/3scale-upgrade.1.gz" ] || [ -f "$ROOT/usr/share/man/man1/3scale-upgrade.1" ]
	[ -f "$ROOT/usr/share/bash-completion/completions/3scale-upgrade" ]
	cmp "$TOP/completion/3scale-upgrade" "$ROOT/usr/share/bash-completion/completions/3scale-upgrade"
	cmp "$TOP/scripts/oc-sim" "$ROOT/usr/bin/oc-sim"
	local doc="$ROOT/usr/share/doc/3scale-upgrade"
	[ -f "$doc/README.md" ]
	[ -f "$doc/oc-sim.md" ]
	[ -f "$doc/runbook.md" ]
	[ -f "$doc/events.md" ]
	[ -x "$doc/examples/runbook/upgrade-system-image.sh" ]
	[ -f "$doc/examples/runbook/runbook.bats" ]
}

@test "the installed binary runs: --help and --version" {
	run "$ROOT/usr/bin/3scale-upgrade" --help
	assert_success
	assert_line --index 0 "usage: 3scale-upgrade [OPTIONS] COMMAND"
	run "$ROOT/usr/bin/3scale-upgrade" --version
	assert_success
	assert_output "3scale-upgrade $VERSION"
}

@test "the installed man page renders without warnings and names this version" {
	local man="$ROOT/usr/share/man/man1/3scale-upgrade.1.gz"
	run bash -c "gzip -dc '$man' | groff -man -Tutf8 -ww -z 2>&1"
	assert_success
	assert_output ""
	run bash -c "gzip -dc '$man' | sed -n 's/^\.TH .*\"\(3scale-upgrade [0-9.]*\)\".*/\1/p'"
	assert_output "3scale-upgrade $VERSION"
	run env MANWIDTH=80 man -l "$man"
	assert_success
	assert_output --partial "EXIT STATUS"
}

@test "the man page documents every option of --help" {
	local opt page
	page=$(groff -man -Tutf8 -P-c -P-b -P-u "$TOP/docs/3scale-upgrade.1" 2>/dev/null)
	for opt in $("$ROOT/usr/bin/3scale-upgrade" --help | grep -oE -- '(^|[ ,])--?[a-z][a-z-]*' | tr -d ' ,' | sort -u); do
		grep -qF -- "$opt" <<<"$page" || fail "the man page does not mention $opt"
	done
	for word in plan run status scale-down backup OC NO_COLOR 130 143; do
		grep -qw -- "$word" <<<"$page" || fail "the man page does not mention $word"
	done
}

@test "cmake --install --prefix without DESTDIR" {
	local prefix="$BATS_TEST_TMPDIR/local"
	run cmake --install "$BUILD" --prefix "$prefix"
	assert_success
	[ -x "$prefix/bin/3scale-upgrade" ]
	[ -f "$prefix/share/bash-completion/completions/3scale-upgrade" ]
	[ -f "$prefix/share/man/man1/3scale-upgrade.1.gz" ]
}

@test "the installed programs work together, as the man page's simulator example" {
	export PATH="$ROOT/usr/bin:/usr/bin:$PATH" OC=oc-sim OC_SIM_STATE="$BATS_TEST_TMPDIR/sim"
	oc-sim sim init --namespace 3scale --set rollout_seconds=0.6 --set terminate_seconds=0.4 \
		--set trigger_lag_seconds=0.2 --set import_seconds=0.2
	run 3scale-upgrade run --only system -n 3scale --yes 3>&-
	assert_success
	run 3scale-upgrade status --only system -n 3scale 3>&-
	assert_success
}

# ---- the Debian package -------------------------------------------------------------------

@test "cpack -G DEB builds a package with every file" {
	[ -f "$DEB" ]
	run dpkg-deb -c "$DEB"
	assert_success
	assert_line --regexp ' \./usr/bin/3scale-upgrade$'
	assert_line --regexp ' \./usr/bin/oc-sim$'
	assert_line --regexp ' \./usr/share/man/man1/3scale-upgrade\.1\.gz$'
	assert_line --regexp ' \./usr/share/bash-completion/completions/3scale-upgrade$'
	assert_line --regexp ' \./usr/share/doc/3scale-upgrade/README\.md$'
	assert_line --regexp '^-rwxr-xr-x root/root .* \./usr/bin/3scale-upgrade$'
}

@test "the package's control fields: depends on libuv1 and libjansson4, section admin" {
	run dpkg-deb -f "$DEB" Package Version Section Maintainer Depends Recommends Description
	assert_success
	assert_line "Package: 3scale-upgrade"
	assert_line "Version: $VERSION"
	assert_line "Section: admin"
	assert_line --regexp '^Maintainer: .+ <.+@.+>$'
	assert_line --regexp '^Depends: .*libuv1'
	assert_line --regexp '^Depends: .*libjansson4'
	assert_line --regexp '^Recommends: .*python3'
	assert_line --regexp '^Description: .+'
	# every dependency is a package this machine has, so the package would install here
	local dep
	for dep in $(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/(.*//; s/|.*//' | tr -d ' '); do
		dpkg-query -W -f='${Status}\n' "$dep" | grep -q 'install ok installed' || fail "$dep is not installed"
	done
}

@test "the package installs into an empty root and removes cleanly" {
	local r="$BATS_TEST_TMPDIR/dpkgroot"
	mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates"
	: >"$r/var/lib/dpkg/status"
	# the root has no libuv1 etc.: --force-depends; nothing touches the real system
	run dpkg --root="$r" --force-depends --force-not-root -i "$DEB"
	assert_success
	[ -x "$r/usr/bin/3scale-upgrade" ]
	run "$r/usr/bin/3scale-upgrade" --version
	assert_output "3scale-upgrade $VERSION"
	run dpkg --root="$r" -r 3scale-upgrade
	assert_success
	[ ! -e "$r/usr/bin/3scale-upgrade" ]
	[ ! -e "$r/usr/share/bash-completion/completions/3scale-upgrade" ]
}

# ---- bash completion ----------------------------------------------------------------------

# complete WORD...: the completions for a command line whose last WORD is being completed,
# one per line
complete_words() {
	# shellcheck source=../completion/3scale-upgrade
	. "$TOP/completion/3scale-upgrade"
	set -u # the completion must not trip over nounset shells
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_3scale_upgrade 3scale-upgrade "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	[ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}"
}

@test "completion: registered for 3scale-upgrade" {
	run bash -c ". '$TOP/completion/3scale-upgrade' && complete -p 3scale-upgrade"
	assert_success
	assert_output "complete -F _3scale_upgrade 3scale-upgrade"
}

@test "completion: commands" {
	run complete_words 3scale-upgrade ""
	assert_output "$(printf '%s\n' plan run status scale-down backup help)"
	run complete_words 3scale-upgrade s
	assert_output "$(printf '%s\n' status scale-down)"
	# after options and their values
	run complete_words 3scale-upgrade -n 3scale --database oracle --yes r
	assert_output "run"
	run complete_words 3scale-upgrade --output = json p
	assert_output "plan"
	# one command only; help takes one
	run complete_words 3scale-upgrade run ""
	assert_output ""
	run complete_words 3scale-upgrade help s
	assert_output "$(printf '%s\n' status scale-down)"
	run complete_words 3scale-upgrade help b
	assert_output "backup"
}

@test "completion: options, before and after the command" {
	run complete_words 3scale-upgrade --re
	assert_output "--retry-failed"
	run complete_words 3scale-upgrade run --c
	assert_output "$(printf '%s\n' --call-timeout --color)"
	run complete_words 3scale-upgrade status -
	local opt
	for opt in -n --namespace --from --to --database --oc --timeout --call-timeout --only --skip --backup-dir --retry-failed \
		--parallel -o --output -v --verbose -q --quiet --color -y --yes -h --help --version; do
		assert_line -- "$opt"
	done
}

@test "completion: option values" {
	run complete_words 3scale-upgrade --database ""
	assert_output "$(printf '%s\n' auto oracle other)"
	run complete_words 3scale-upgrade run -o j
	assert_output "json"
	run complete_words 3scale-upgrade --output ""
	assert_output "$(printf '%s\n' text json)"
	run complete_words 3scale-upgrade --color n
	assert_output "never"
	run complete_words 3scale-upgrade --from ""
	assert_output "$(printf '%s\n' 2.8 2.9 2.10)"
	run complete_words 3scale-upgrade --to ""
	assert_output "$(printf '%s\n' 2.9 2.10 2.11)"
	run complete_words 3scale-upgrade run --only s
	assert_output "$(printf '%s\n' system system-redis system-database)"
	run complete_words 3scale-upgrade run --skip system,ba
	assert_output "$(printf '%s\n' system,backup system,base-url system,backend-route system,backend-cron system,backend system,backend-redis)"
	run complete_words 3scale-upgrade run --only re
	assert_output "release"
	run complete_words 3scale-upgrade run --only bas
	assert_output "base-url"
	# --opt=value split at '=' by COMP_WORDBREAKS, as bash does by default
	run complete_words 3scale-upgrade --color =
	assert_output "$(printf '%s\n' auto always never)"
	run complete_words 3scale-upgrade --database = o
	assert_output "$(printf '%s\n' oracle other)"
	# and as one word, when '=' is not a word break
	run complete_words 3scale-upgrade --output=t
	assert_output "--output=text"
	# no value to offer for a boolean option's next word: commands again
	run complete_words 3scale-upgrade --yes pl
	assert_output "plan"
}

@test "completion: --oc completes file names" {
	mkdir -p "$BATS_TEST_TMPDIR/tools"
	touch "$BATS_TEST_TMPDIR/tools/oc-4.6"
	run complete_words 3scale-upgrade --oc "$BATS_TEST_TMPDIR/tools/oc"
	assert_output "$BATS_TEST_TMPDIR/tools/oc-4.6"
}

@test "completion: -n asks oc for the projects" {
	common_setup
	sim_init
	run complete_words 3scale-upgrade -n ""
	assert_output "3scale"
	run complete_words 3scale-upgrade run --namespace 3
	assert_output "3scale"
	# an oc given on the line is used
	rm -f "$BATS_TEST_TMPDIR/bin/oc"
	run complete_words 3scale-upgrade --oc "$SIM" -n ""
	assert_output "3scale"
}

@test "completion: -n offers nothing, at once, without oc or when oc hangs" {
	mkdir -p "$BATS_TEST_TMPDIR/empty"
	PATH="$BATS_TEST_TMPDIR/empty:/usr/bin:/bin" OC="$BATS_TEST_TMPDIR/empty/oc" run complete_words 3scale-upgrade -n ""
	assert_success
	assert_output ""
	# an oc that never answers within the completion's limit; it leaves a mark if it
	# ever finishes, so the completion must have returned before that
	printf '#!/bin/sh\nsleep 30\ntouch "%s"\n' "$BATS_TEST_TMPDIR/empty/answered" >"$BATS_TEST_TMPDIR/empty/slow-oc"
	chmod +x "$BATS_TEST_TMPDIR/empty/slow-oc"
	run complete_words 3scale-upgrade --oc "$BATS_TEST_TMPDIR/empty/slow-oc" -n ""
	assert_success
	assert_output ""
	[ ! -e "$BATS_TEST_TMPDIR/empty/answered" ] || fail "the completion waited for oc to answer"
}

@test "completion: nothing on the command line is executed" {
	cd "$BATS_TEST_TMPDIR"
	run complete_words 3scale-upgrade --oc "\$(touch pwned1)" -n ""
	run complete_words 3scale-upgrade --oc "\`touch pwned2\`" -n ""
	run complete_words 3scale-upgrade --oc "x;touch pwned3" -n ""
	run complete_words 3scale-upgrade --database "\$(touch pwned4)" ""
	[ ! -e pwned1 ] && [ ! -e pwned2 ] && [ ! -e pwned3 ] && [ ! -e pwned4 ]
}

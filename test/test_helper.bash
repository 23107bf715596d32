# test/test_helper.bash - shared set-up of the bats suites: the program under test
# ($THREESCALE_UPGRADE, default build/3scale-upgrade) against scripts/oc-sim as `oc`,
# with the simulator's state in the test's own temporary directory.

bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
UPGRADE=${THREESCALE_UPGRADE:-$TOP/build/3scale-upgrade}
SIM=${OC_SIM:-$TOP/scripts/oc-sim}
# scripts/test runs a fork server of oc-sim (test/forkserver) and points OC_SIM_SERVER at
# its socket: the suite's oc is then its client, and each call skips python's start-up
if [ -n "${OC_SIM_SERVER:-}" ] && [ -z "${OC_SIM:-}" ] && [ -x "${OC_SIM_FORK_CLIENT:-}" ]; then
	SIM=$OC_SIM_FORK_CLIENT
fi

common_setup() {
	export OC_SIM_STATE="$BATS_TEST_TMPDIR/sim"
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	ln -sf "$SIM" "$BATS_TEST_TMPDIR/bin/oc"
	# the system python3 starts in 0.08 s, a pyenv shim in 0.7 s
	export PATH="$BATS_TEST_TMPDIR/bin:/usr/bin:$PATH"
	unset OC
}

# the oc client the simulator plays: 4.x, or 3.11 (a Kubernetes 1.11 client: no
# --output-watch-events, plain -w streams that end at the first change); scripts/test
# runs some suites a second time with OC_SIM_CLIENT=3.11
OC_SIM_CLIENT=${OC_SIM_CLIENT:-4.x}

# sim_init [oc-sim sim init options]: a settled 3scale 2.9 project "3scale" with short rollouts
sim_init() {
	"$SIM" sim init --namespace 3scale --set client_version="$OC_SIM_CLIENT" \
		--set rollout_seconds=0.6 --set terminate_seconds=0.4 \
		--set trigger_lag_seconds=0.2 --set import_seconds=0.2 "$@"
}

# upgrade ARGS: the program under test; fd 3 closed so that bats never waits on children
upgrade() {
	"$UPGRADE" "$@" 3>&-
}

# the mutating oc calls the simulator has seen, one per line
mutating_calls() {
	"$SIM" sim calls --mutating
}

# jq-like access without jq: py EXPR reads JSON on stdin as `d`, prints the result
py() {
	python3 -c "import json,sys; d=json.load(sys.stdin); r=($1); print(r if isinstance(r,str) else json.dumps(r, sort_keys=True))"
}

# dc_field NAME EXPR: EXPR over `oc get dc/NAME -o json` as d
dc_field() {
	oc get "dc/$1" -n 3scale -o json | py "$2"
}

# image triggers of dc NAME as "tag=containers" lines, in order
image_triggers() {
	dc_field "$1" "'\n'.join(t['imageChangeParams']['from']['name'] + '=' + ','.join(t['imageChangeParams']['containerNames']) for t in d['spec']['triggers'] if t['type']=='ImageChange')"
}

# assert the documented final state for tag suffix $1 ("" or "-oracle")
assert_upgraded() {
	local suffix=$1
	run oc get imagestream/amp-system -n 3scale -o json
	assert_success
	local tags
	tags=$(echo "$output" | py "','.join(t['name'] for t in d['spec']['tags'])")
	[[ ",$tags," == *",2.10,"* ]] || fail "no tag 2.10 in: $tags"
	[ "$(echo "$output" | py "len([t for t in d['spec']['tags'] if t['name']=='2.10'])")" = 1 ] || fail "tag 2.10 twice"
	run image_triggers system-app
	assert_output "amp-system:2.10$suffix=system-master,system-developer,system-provider"
	run image_triggers system-sidekiq
	assert_output "amp-system:2.10$suffix=system-sidekiq,check-svc"
	run image_triggers system-sphinx
	assert_output "amp-system:2.10$suffix=system-sphinx,system-master-svc"
}

# a wrapper `oc` in $BATS_TEST_TMPDIR/cutat that SIGKILLs the program right after its first
# oc call whose arguments contain $CUT_AT has ended
make_cut_at() {
	local dir=$BATS_TEST_TMPDIR/cutat
	mkdir -p "$dir"
	cat >"$dir/oc" <<EOS
#!/bin/bash
"$SIM" "\$@"
rc=\$?
case " \$* " in *"\$CUT_AT"*) [ -e "$dir/cut" ] || { touch "$dir/cut"; kill -KILL \$PPID; } ;; esac
exit \$rc
EOS
	chmod +x "$dir/oc"
}

# a wrapper `oc` in $BATS_TEST_TMPDIR/cut that SIGKILLs the program right after its
# oc call number $CUT has ended (watches are not counted: they end when the program
# ends them)
make_cutter() {
	local dir=$BATS_TEST_TMPDIR/cut
	mkdir -p "$dir"
	{
		echo '#!/bin/bash'
		echo 'for a in "$@"; do [ "$a" = -w ] && exec "'"$SIM"'" "$@"; done'
		echo 'n=$(flock "'"$dir"'/lock" bash -c '\''n=$(( $(cat "'"$dir"'/count" 2>/dev/null || echo 0) + 1 )); echo $n >"'"$dir"'/count"; echo $n'\'')'
		echo '"'"$SIM"'" "$@"'
		echo 'rc=$?'
		echo '[ "$n" = "$CUT" ] && kill -KILL $PPID'
		echo 'exit $rc'
	} >"$dir/oc"
	chmod +x "$dir/oc"
}

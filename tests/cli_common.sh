# Shared by the CLI test scripts (sourced): the check counters, the status
# check, the requirement checks and the summary. A block that needs python3
# or the shared data skips without them, except under CI=true, where a
# missing requirement is a failure.
fails=0 checks=0
ok() { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*" >&2; }
expect_status() { # expected actual what
    if [ "$1" = "$2" ]; then ok; else fail "$3: exit $2, expected $1"; fi
}
have_python() {
    command -v python3 >/dev/null && return 0
    [ "${CI:-}" = true ] && fail "python3 missing under CI" || echo "skipping: no python3" >&2
    return 1
}
have_data() {
    [ -e "$1" ] && return 0
    [ "${CI:-}" = true ] && fail "test data missing under CI: $1" || echo "skipping: $1 missing" >&2
    return 1
}
# summary NAME: print the counts; the script's status
summary() {
    echo "$1: $((checks - fails)) passed, $fails failed"
    [ "$fails" = 0 ]
}

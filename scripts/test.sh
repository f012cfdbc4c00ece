#!/usr/bin/env bash
# `npm test`: lint, then the type-check and both vitest tiers side by side. tsc is about 20 s of one core
# that the integration tests' waits (git, DynamoDB Local, polls) leave room for; run one after the other
# they added up. Fails when any of the three fails, and says which.
set -u
cd "$(dirname "$0")/.."
npx biome check --error-on-warnings . || { echo 'npm test: lint failed' >&2; exit 1; }
npx tsc --noEmit &
types=$!
npx vitest run "$@"
tests=$?
wait "$types"
typecheck=$?
if [ "$typecheck" -ne 0 ]; then echo 'npm test: type-check failed (tsc --noEmit; its errors are in the output)' >&2; fi
if [ "$tests" -ne 0 ]; then echo 'npm test: tests failed' >&2; fi
[ "$typecheck" -eq 0 ] && [ "$tests" -eq 0 ]

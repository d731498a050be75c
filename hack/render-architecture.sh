#!/usr/bin/env bash
# Renders docs/architecture.dot to docs/architecture.svg (linked from docs/architecture.md) and
# docs/architecture.png (for viewers without SVG). Needs Graphviz: apt-get install -y graphviz.
set -euo pipefail
docs=$(cd "$(dirname "${BASH_SOURCE[0]}")/../docs" && pwd)
command -v dot >/dev/null || { echo "render-architecture: Graphviz's dot is not on PATH (apt-get install -y graphviz)" >&2; exit 1; }
dot -Tsvg "$docs/architecture.dot" -o "$docs/architecture.svg"
dot -Tpng -Gdpi=110 "$docs/architecture.dot" -o "$docs/architecture.png"
echo "wrote $docs/architecture.svg and $docs/architecture.png"

#!/usr/bin/env bash
# Create .venv (if missing) and install pyproject.toml's pinned dependencies, runtime and [dev].
#   scripts/bootstrap.sh            -> .venv ready; prints nothing when already up to date
# The requirements are read from pyproject.toml with tomllib and installed with pip (the project
# itself is not a package: [tool.setuptools] packages = []). A stamp file keyed on the SHA-256 of
# pyproject.toml and of this script makes a second run instant. PYTHON=/path/to/python3.11 picks
# the interpreter; otherwise python3.11, then python3 if it is 3.11.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP=$VENV/.deps-stamp

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "错误：需要 Python 3.11（找不到 python3.11；可用 PYTHON=/path/to/python3.11 指定）。" >&2
  return 1
}

wanted=$(cat pyproject.toml scripts/bootstrap.sh | sha256sum | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ] \
  && "$VENV/bin/python" -c '' 2>/dev/null; then
  exit 0
fi

mkdir -p var
exec 9>var/.bootstrap.lock
flock 9   # two `make` at once must not run pip into the same venv together
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ] && "$VENV/bin/python" -c '' 2>/dev/null; then
  exit 0   # the other one finished the job while we waited
fi

start=$(date +%s)
if ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
  PY=$(find_python)
  if ! "$PY" -c 'import ensurepip, venv' 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "==> 安装 python3-venv（$PY 缺少 ensurepip）"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    else
      echo "错误：$PY 缺少 venv/ensurepip 模块：请安装 python3-venv（sudo apt-get install python3-venv）。" >&2
      exit 1
    fi
  fi
  echo "==> 创建虚拟环境 $VENV（$("$PY" --version)）"
  # --clear: a venv left half-made (or made by another Python) is rebuilt, not patched.
  "$PY" -m venv --clear "$VENV"
fi

req=$(mktemp)
trap 'rm -f "$req"' EXIT
"$VENV/bin/python" - "$req" <<'PY'
import sys
import tomllib

with open("pyproject.toml", "rb") as fh:
    project = tomllib.load(fh)["project"]
requirements = list(project["dependencies"])
for extra in ("dev",):
    requirements += project.get("optional-dependencies", {}).get(extra, [])
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write("\n".join(requirements) + "\n")
PY
echo "==> 安装依赖（pyproject.toml：$(wc -l <"$req") 个固定版本的包）"
"$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$req"
echo "$wanted" >"$STAMP"
echo "==> 依赖就绪（$(($(date +%s) - start)) 秒）"

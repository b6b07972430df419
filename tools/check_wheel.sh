#!/usr/bin/env bash
# A real install: build the wheel, install it into a fresh virtual environment (torch held
# at the CPU build, as .ci/run does), and use it as a user would, outside the checkout:
#   optwidgets --version; a one-epoch run with --json; the quickstart lesson, executed.
# Usage: bash tools/check_wheel.sh [WORKDIR]   (run from anywhere; exits non-zero on failure)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$(mktemp -d -t ow-wheel-XXXXXX)}"
mkdir -p "$work"
echo "::: building the wheel"
python -m build --wheel --no-isolation --outdir "$work/dist" "$repo" > "$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log"; exit 1; }
wheel=$(ls "$work"/dist/optwidgets-*.whl)
listing=$(unzip -Z1 "$wheel")  # not piped into grep -q: pipefail would see unzip's SIGPIPE
grep -qx "optwidgets/lessons/00_quickstart.ipynb" <<< "$listing" \
    || { echo "the wheel does not ship the lessons"; exit 1; }
echo "::: fresh venv: $work/venv"
python -m venv "$work/venv"
py="$work/venv/bin/python"
"$py" -m pip install -q --upgrade pip > /dev/null
"$py" -m pip install -q torch==2.13.0
"$py" -m pip install -q -c "$repo/.ci/constraints.txt" "$wheel[lab]" nbconvert ipykernel
cd "$work"  # not the checkout: the installed kit must stand alone
export OPTWIDGETS_DATA="$work/data"
echo "::: optwidgets --version"
"$work/venv/bin/optwidgets" --version
echo "::: optwidgets run --json"
"$work/venv/bin/optwidgets" run --dataset digits --model mlp --epochs 1 --json > run.json
"$py" -c "import json; d = json.load(open('run.json')); assert d['status'] == 'done', d; \
print('run', d['run_id'], 'test_acc', round(d['metrics']['test_acc'], 4), 'size_bytes', d['size_bytes'])"
echo "::: a lesson from the install"
lessons=$("$work/venv/bin/optwidgets" lessons --dir "$work/lessons")
test -f "$lessons/00_quickstart.ipynb"
"$py" -m jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 \
    --output "$work/quickstart.out.ipynb" "$lessons/00_quickstart.ipynb" > nbconvert.log 2>&1 \
    || { tail -40 nbconvert.log; exit 1; }
echo "::: the installed wheel works"

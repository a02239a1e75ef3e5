#!/bin/bash
# Builds build/bomvault_<version>_<arch>.deb from the built tree with dpkg-deb (no debhelper, no
# network): the binary, the hardened systemd unit, /etc/default/bomvault, the docs, and
# maintainer scripts that create the `bomvault` system user and /var/lib/bomvault (0700).
# Dependencies come from dpkg-shlibdeps over the binary itself.
#   tools/build-deb.sh [build/bomvault] [OUT_DIR, default build]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/bomvault}
version=$("$bin" version | awk '{print $2}')
arch=$(dpkg --print-architecture)
outdir=${2:-build}
mkdir -p "$outdir"
out="$outdir/bomvault_${version}_${arch}.deb"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"

install -D -m 0755 "$bin" "$root/usr/bin/bomvault"
install -D -m 0644 packaging/bomvault.service "$root/lib/systemd/system/bomvault.service"
install -D -m 0644 packaging/default "$root/etc/default/bomvault"
install -d -m 0755 "$root/usr/share/doc/bomvault"
install -m 0644 README.md LICENSE docs/*.md "$root/usr/share/doc/bomvault/"

# dpkg-shlibdeps wants a debian/control beside it.
mkdir -p "$work/shl/debian"
printf 'Source: bomvault\n\nPackage: bomvault\nArchitecture: any\n' > "$work/shl/debian/control"
depends=$(cd "$work/shl" && dpkg-shlibdeps -O -e"$root/usr/bin/bomvault" 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')

mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<CONTROL
Package: bomvault
Version: ${version}
Architecture: ${arch}
Maintainer: bomvault maintainers <bomvault@localhost>
Depends: ${depends}, adduser
Section: net
Priority: optional
Installed-Size: $(du -sk "$root" | cut -f1)
Homepage: file:///usr/share/doc/bomvault/README.md
Description: encrypted on-premises vault for bills of materials
 One executable serving a JSON API and a web UI over an encrypted SQLCipher
 store, opened only with a quorum of Shamir key shares. Includes a hardened
 systemd unit; initialise the store with
 sudo -u bomvault bomvault init --data /var/lib/bomvault
CONTROL
echo "/etc/default/bomvault" > "$root/DEBIAN/conffiles"

cat > "$root/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  if ! getent passwd bomvault >/dev/null; then
    adduser --system --group --home /var/lib/bomvault --no-create-home \
      --shell /usr/sbin/nologin --quiet bomvault
  fi
  install -d -m 0700 -o bomvault -g bomvault /var/lib/bomvault
  if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi
  if [ ! -e /var/lib/bomvault/keyring.json ]; then
    echo "bomvault: create the store with: sudo -u bomvault bomvault init --data /var/lib/bomvault"
    echo "bomvault: then: systemctl enable --now bomvault"
  fi
fi
exit 0
SCRIPT
cat > "$root/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
  systemctl stop bomvault.service >/dev/null 2>&1 || true
fi
exit 0
SCRIPT
cat > "$root/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
# The data directory and the user are never removed automatically: the store is the customer's.
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
exit 0
SCRIPT
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"

dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "$out"

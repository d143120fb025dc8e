#!/usr/bin/env bash
# Runs the README's two set-up commands on a fresh Debian 12 machine: a debootstrap
# minbase root (cached tarball, the same one the recipe tests use), this machine's
# Node 20 + npm copied in, a fresh `git clone` of this repository's HEAD, then as root
# in a chroot:  npm ci && npm run examples   and   npm ci && npm test
# Prints each command's time and jest's summary. Needs root, debootstrap, network
# access to the Debian archive and the npm registry. About 11 minutes (see README).
#
# Besides Node, this machine's CA bundle is copied in for npm's TLS (minbase has no
# ca-certificates), and the offline provider mirror named by CAW_TF_PLUGIN_DIR (if this
# machine has one) is bound in. terraform is not copied: both commands install it
# (scripts/install-terraform.sh, HashiCorp's zip, SHA-256 pinned); as HashiCorp's site
# may be out of reach here, a zip of this machine's terraform (which must be that
# pinned build) is served on 127.0.0.1, which the chroot shares, and named by
# CAW_TERRAFORM_ZIP_URL. Without terraform here the root downloads it from HashiCorp.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${CAW_ROOTFS_CACHE:-/var/cache/cdktf-apache-wsgi/bookworm-minbase.tar}
plugins=${CAW_TF_PLUGIN_DIR:-/opt/tf-plugins}
limit=${CAW_FRESH_TIMEOUT_SEC:-2400}  # per command
keep=${1:-}

[ "$(id -u)" = 0 ] || { echo "fresh-debian: run as root (debootstrap, chroot, mounts)" >&2; exit 1; }
node_bin=$(command -v node)
npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
case "$("$node_bin" -v)" in v20.*) ;; *) echo "fresh-debian: needs Node 20 here to copy in" >&2; exit 1 ;; esac

if [ ! -f "$cache" ]; then
  echo "fresh-debian: debootstrap bookworm minbase into $cache (once, ~1 min)" >&2
  mkdir -p "$(dirname "$cache")"
  rm -rf "$cache.d"
  debootstrap --variant=minbase bookworm "$cache.d" http://deb.debian.org/debian >/dev/null
  tar -C "$cache.d" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache" && rm -rf "$cache.d"
fi

root=$(mktemp -d /var/tmp/caw-fresh-XXXXXX)
mounts=()
tf_serve=""
tf_server=""
cleanup() {
  if [ -n "$tf_server" ]; then kill "$tf_server" 2>/dev/null || true; fi
  if [ -n "$tf_serve" ]; then rm -rf "$tf_serve"; fi
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
  if [ "$keep" = --keep ]; then echo "fresh-debian: kept $root" >&2; else rm -rf --one-file-system "$root"; fi
}
trap cleanup EXIT
mnt() { mount "$@"; mounts+=("${!#}"); }

tar -C "$root" -xf "$cache"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# Debian's convention for chroots: package scripts must not start daemons (apache2 on :80).
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d" && chmod 755 "$root/usr/sbin/policy-rc.d"
# The root as a mount point of its own: `ip netns exec` remounts / as a slave,
# which fails on a plain directory. /sys with its cgroup mounts, for systemd-nspawn.
mnt --bind "$root" "$root"
mnt -t proc proc "$root/proc"
mnt --rbind /sys "$root/sys"
mnt --rbind /dev "$root/dev"
mnt -t tmpfs tmpfs "$root/run"
# The recipe tests' own debootstrap cache: the same tarball, read-only.
mkdir -p "$root/var/cache/cdktf-apache-wsgi"
mnt --bind -o ro "$(dirname "$cache")" "$root/var/cache/cdktf-apache-wsgi"

# Node 20 and npm, as a Node tarball would install them.
install -D -m 755 "$node_bin" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
# Outside /etc/ssl: installing the ca-certificates package (a Recommends of apache2)
# would regenerate that bundle without this network's own CA.
install -D -m 644 /etc/ssl/certs/ca-certificates.crt "$root/usr/local/share/host-ca.crt"
if [ -d "$plugins" ]; then mkdir -p "$root$plugins" && mnt --bind -o ro "$plugins" "$root$plugins"; fi

# terraform's release zip, as a mirror of HashiCorp's would serve it (see above).
tf_env=()
if command -v terraform >/dev/null; then
  tf_serve=$(mktemp -d /tmp/caw-fresh-terraform-XXXXXX)
  python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.write(sys.argv[2], "terraform")' "$tf_serve/terraform_linux_amd64.zip" "$(command -v terraform)"
  python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$tf_serve" > "$tf_serve/server.log" 2>&1 &
  tf_server=$!
  tf_port=""
  for _ in $(seq 50); do
    tf_port=$(grep -oE ' port [0-9]+ ' "$tf_serve/server.log" | tr -dc 0-9) && [ -n "$tf_port" ] && break
    sleep 0.2
  done
  [ -n "$tf_port" ] || { echo "fresh-debian: the terraform zip server did not start: $(cat "$tf_serve/server.log")" >&2; exit 1; }
  tf_env=("CAW_TERRAFORM_ZIP_URL=http://127.0.0.1:$tf_port/terraform_linux_amd64.zip")
  echo "fresh-debian: serving this machine's terraform as ${tf_env[0]#*=}" >&2
fi

# pip's index as this network provides it (PyPI elsewhere): its config files and any
# local index or wheel directories they name, read-only.
for conf in /etc/pip.conf /etc/xdg/pip/pip.conf /root/.config/pip/pip.conf; do
  [ -f "$conf" ] || continue
  install -D -m 644 "$conf" "$root$conf"
  for dir in $(grep -oE '(file://)?/[^ ]+' "$conf" | sed 's#^file://##; s#/simple/*$##' | sort -u); do
    [ -d "$dir" ] || continue                       # e.g. the cert file
    mountpoint -q "$root$dir" && continue           # named by two configs
    mkdir -p "$root$dir" && mnt --bind -o ro "$dir" "$root$dir"
  done
done

git clone -q --no-hardlinks "$repo" "$root/src"
echo "fresh-debian: $(git -C "$root/src" log --oneline -1) in $root/src" >&2

in_root() {
  timeout "$limit" chroot "$root" env -i HOME=/root LANG=C.UTF-8 TERM=dumb CI=1 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    npm_config_cafile=/usr/local/share/host-ca.crt NODE_EXTRA_CA_CERTS=/usr/local/share/host-ca.crt npm_config_update_notifier=false \
    "${tf_env[@]}" sh -c "cd /src && $1"
}

# Outside the root, which is removed at the end.
logs=${CAW_FRESH_LOG_DIR:-$(mktemp -d /tmp/caw-fresh-logs-XXXXXX)}
mkdir -p "$logs"
status=0
n=0
for cmd in 'npm ci && npm run examples' 'npm ci && npm test'; do
  n=$((n + 1))
  started=$(date +%s)
  rc=0
  in_root "$cmd" > "$logs/fresh-$n.log" 2>&1 || rc=$?
  took=$(( $(date +%s) - started ))
  tail -n 30 "$logs/fresh-$n.log" | sed 's/^/  | /'
  echo "fresh-debian: '$cmd' exited $rc after ${took} s (log: $logs/fresh-$n.log)"
  [ "$rc" = 0 ] || status=1
done
(cd "$root/src" && node scripts/jest-summary.js) | sed 's/^/fresh-debian: /'
exit $status

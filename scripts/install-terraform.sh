#!/bin/sh
# Installs Terraform 1.11.4 (the version the tests run with) from HashiCorp's release
# zip into /usr/local/bin: the examples' synth runs `terraform version` (cdktf's check for
# terraform_data) and the EC2 stack test `terraform validate`/`plan`. scripts/system-deps.sh
# runs it in both modes, after the Debian packages, when no terraform is on PATH. The binary's SHA-256 is pinned: on a mismatch nothing is
# installed. linux_amd64 only (the one pinned build); elsewhere it says to install
# terraform yourself.
#   CAW_TERRAFORM_ZIP_URL   where to download the zip (a mirror); the hash check still applies
#   CAW_TERRAFORM_BIN_DIR   where to install it (default /usr/local/bin)
# Needs curl and python3 (its zipfile module: both package lists bring python3 as a
# dependency of python3-venv and mod_wsgi, so no unzip package is needed).
# Installs as root, or through `sudo -n` (never prompts) when the directory is not writable.
set -eu

version=1.11.4
# sha256sum of `terraform` inside terraform_1.11.4_linux_amd64.zip (the official build).
sha256_linux_amd64=268000fca5c61021c6396893d9483007ba589ad9d0aaccbd7dfa8c78bf7dbe23
bin_dir=${CAW_TERRAFORM_BIN_DIR:-/usr/local/bin}

say() { echo "install-terraform: $*" >&2; }

case "$(uname -m)" in
  x86_64 | amd64) expected=$sha256_linux_amd64 ;;
  *)
    say "no pinned terraform build for $(uname -m); the EC2 stack test runs terraform validate/plan:"
    say "  install terraform >= 1.5 from https://developer.hashicorp.com/terraform/install"
    exit 1
    ;;
esac
url=${CAW_TERRAFORM_ZIP_URL:-https://releases.hashicorp.com/terraform/$version/terraform_${version}_linux_amd64.zip}

for tool in curl python3 sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || { say "needs $tool to install terraform $version"; exit 1; }
done

# Elevate the final copy only: download, unpacking and the hash check run as the caller.
if [ "$(id -u)" = 0 ] || { [ -d "$bin_dir" ] && [ -w "$bin_dir" ]; }; then
  as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root="sudo -n"
else
  say "cannot write $bin_dir: not root and no passwordless sudo; run as root:"
  say "  sh $0"
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/caw-terraform-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

say "downloading terraform $version from $url"
if ! curl -fsS --proto '=http,https' --connect-timeout 30 --max-time 900 -o "$tmp/terraform.zip" "$url"; then
  say "download failed: $url (nothing installed)"
  exit 1
fi

# Only the `terraform` member, written under a name of our choosing (no paths from the zip).
if ! python3 - "$tmp/terraform.zip" "$tmp/terraform" <<'EOF'
import shutil, sys, zipfile
try:
    with zipfile.ZipFile(sys.argv[1]) as z, z.open("terraform") as src, open(sys.argv[2], "wb") as dst:
        shutil.copyfileobj(src, dst)
except (zipfile.BadZipFile, KeyError) as e:
    sys.exit(f"install-terraform: not a terraform release zip: {e}")
EOF
then
  say "could not unpack $url (nothing installed)"
  exit 1
fi

got=$(sha256sum "$tmp/terraform" | cut -d ' ' -f 1)
if [ "$got" != "$expected" ]; then
  say "SHA-256 mismatch for terraform from $url: expected $expected, got $got (nothing installed)"
  exit 1
fi

# Copy next to the target, then rename: no half-written terraform on PATH.
# shellcheck disable=SC2086  # empty, or the two words "sudo -n"
$as_root mkdir -p "$bin_dir"
$as_root install -m 755 "$tmp/terraform" "$bin_dir/.terraform.new"
$as_root mv -f "$bin_dir/.terraform.new" "$bin_dir/terraform"
say "installed terraform $version at $bin_dir/terraform (sha256 $got)"

#!/bin/sh
# Installs the Debian/Ubuntu packages the README's commands need, when missing:
#   system-deps.sh examples   Apache + mod_wsgi (+ venv) to serve the example sites, and
#                             curl for terraform's download (below)
#   system-deps.sh test       the same, plus debootstrap (the recipe's Debian 12 root),
#                             cloud-init (the user-data schema check) and git (the
#                             packaging test packs the tracked files, as a clone has them),
#                             systemd-container, haproxy, nftables and iproute2 (the EC2
#                             first-boot and rolling-deploy roots, their load balancer,
#                             the metadata-service rule and their network namespaces),
#                             postgresql, openssl and curl (the Django-on-PostgreSQL and TLS tests).
# Then, in both modes, when no terraform is on PATH: Terraform 1.11.4 from HashiCorp's
# release zip, its hash checked (scripts/install-terraform.sh; no Debian package has it).
# The examples' synth needs it (cdktf checks `terraform version` for a terraform_data
# resource, which DockerHost has), the EC2 stack test runs terraform validate/plan.
# Runs apt-get as root, or through `sudo -n` (never prompts). Set CAW_SKIP_SYSTEM_DEPS=1
# to install them yourself.
set -eu

mode=${1:-test}
case "$mode" in
  examples) pkgs="apache2 libapache2-mod-wsgi-py3 python3-venv curl" ;;
  test) pkgs="apache2 libapache2-mod-wsgi-py3 python3-venv debootstrap cloud-init git systemd-container haproxy nftables iproute2 postgresql openssl curl" ;;
  *) echo "usage: $0 examples|test" >&2; exit 2 ;;
esac

[ "${CAW_SKIP_SYSTEM_DEPS:-}" = 1 ] && exit 0

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: no apt-get here; install the equivalents of: $pkgs" >&2
  if ! command -v terraform >/dev/null 2>&1; then
    echo "system-deps: and terraform >= 1.5 (https://developer.hashicorp.com/terraform/install)" >&2
    exit 1  # neither the examples' synth nor the tests run without it
  fi
  [ "$mode" = examples ] && exit 0  # examples synthesize without Apache and say so
  exit 1
fi

missing=""
for p in $pkgs; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done

if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    as_root=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root="sudo -n"
  else
    echo "system-deps: missing Debian packages:$missing" >&2
    echo "system-deps: not root and no passwordless sudo; run as root:" >&2
    echo "  apt-get install -y$missing" >&2
    echo "  (or set CAW_SKIP_SYSTEM_DEPS=1 to go on without them)" >&2
    exit 1
  fi

  echo "system-deps: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086  # word splitting of the package list is intended
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  # shellcheck disable=SC2086
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

# After the packages: the installer uses their curl and python3.
if ! command -v terraform >/dev/null 2>&1; then
  sh "$(dirname "$0")/install-terraform.sh"
  command -v terraform >/dev/null 2>&1 || {
    echo "system-deps: terraform is installed in ${CAW_TERRAFORM_BIN_DIR:-/usr/local/bin}, which is not on PATH" >&2
    exit 1
  }
fi

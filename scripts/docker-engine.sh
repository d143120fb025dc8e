#!/usr/bin/env bash
# A private Docker engine for tests and benchmarks, in a directory of its own:
#   scripts/docker-engine.sh start DIR   # prints the DOCKER_HOST to use
#   scripts/docker-engine.sh stop DIR
# Needs root and docker.io (dockerd). No iptables rules are touched; builds
# must use --network host. overlay2 is tried first, vfs where it does not work.
# The engine gets a bridge of its own (CAW_BRIDGE, CAW_BRIDGE_CIDR), so a system
# dockerd and its docker0 are left alone.
set -euo pipefail
cmd="${1:?start|stop}"
dir="${2:?directory}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
sock="$dir/docker.sock"
bridge="${CAW_BRIDGE:-cawdocker0}"
bridge_cidr="${CAW_BRIDGE_CIDR:-172.31.213.1/24}"

case "$cmd" in
start)
  command -v dockerd >/dev/null || { echo "dockerd not found: apt-get install docker.io" >&2; exit 1; }
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add name "$bridge" type bridge
    ip addr add "$bridge_cidr" dev "$bridge"
  fi
  ip link set "$bridge" up
  for driver in ${CAW_STORAGE_DRIVER:-overlay2 vfs}; do
    mkdir -p "$dir/root" "$dir/exec"
    setsid dockerd --data-root "$dir/root" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
      -H "unix://$sock" --iptables=false --bridge="$bridge" --storage-driver="$driver" >"$dir/dockerd.log" 2>&1 < /dev/null &
    for _ in $(seq 1 100); do
      if docker -H "unix://$sock" info >/dev/null 2>&1; then
        echo "unix://$sock"
        exit 0
      fi
      kill -0 $! 2>/dev/null || break
      sleep 0.2
    done
    kill "$!" 2>/dev/null || true
    wait "$!" 2>/dev/null || true
    echo "dockerd with $driver did not start: $(tail -n 3 "$dir/dockerd.log")" >&2
  done
  exit 1
  ;;
stop)
  if [ -f "$dir/dockerd.pid" ]; then
    pid="$(cat "$dir/dockerd.pid")"
    # Containers first, so nothing is left mounted under the data root.
    docker -H "unix://$sock" ps -aq 2>/dev/null | xargs -r docker -H "unix://$sock" rm -f >/dev/null 2>&1 || true
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  # What the engine leaves mounted (its network namespace), so the directory can be removed.
  awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n 1 umount -l
  ip link delete "$bridge" 2>/dev/null || true
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2
  exit 2
  ;;
esac

/**
 * The one health probe: the recipe runs it after provisioning (waiting for
 * Apache), the container image runs it as its HEALTHCHECK (one try), and the
 * local runner's `serve --check` runs it too, so "healthy" means one thing.
 *
 * Arguments: [--wait SECONDS] [--header NAME VALUE] HOST (CODES URL)...; CODES
 * is a list such as "200-399,401,403". With --header, an answer counts only if
 * it carries that header value (the local runner's proof that its own Apache
 * answered). Exit 0 when every URL answered with one of its codes.
 */
export const HEALTH_PROBE_PY = `import ssl, sys, time, urllib.error, urllib.request
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None
# The probe asks this host's own Apache over loopback whether the apps answer; the
# certificate names the public domain, not 127.0.0.1, so it is not verified here.
loopback_tls = ssl.create_default_context()
loopback_tls.check_hostname = False
loopback_tls.verify_mode = ssl.CERT_NONE
opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=loopback_tls))
def accepted(codes, status):
    if not isinstance(status, int):
        return False
    for part in codes.split(","):
        low, _, high = part.partition("-")
        if int(low) <= status <= int(high or low):
            return True
    return False
def status_of(url, host):
    try:
        r = opener.open(urllib.request.Request(url, headers={"Host": host}), timeout=5)
    except urllib.error.HTTPError as e:
        r = e
    except OSError:
        return None
    if header and r.headers.get(header[0]) != header[1]:
        return "%s (not from this server: no %s header)" % (r.status, header[0])
    return r.status
args = sys.argv[1:]
wait = 0.0
header = None
if args[:1] == ["--wait"]:
    wait, args = float(args[1]), args[2:]
if args[:1] == ["--header"]:
    header, args = (args[1], args[2]), args[3:]
host, checks = args[0], list(zip(args[1::2], args[2::2]))
failed = 0
for codes, url in checks:
    deadline = time.monotonic() + wait
    while True:
        status = status_of(url, host)
        if accepted(codes, status) or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    ok = accepted(codes, status)
    failed += 0 if ok else 1
    print("[health] %s %s -> %s (healthy: %s)" % ("ok  " if ok else "FAIL", url, status, codes))
sys.exit(1 if failed else 0)
`;

/** One URL the probe checks and the status codes that count as healthy there. */
export interface HealthCheck {
  readonly url: string;
  /** e.g. "200-399,401,403" */
  readonly healthyHttpCodes: string;
}

/** The probe's arguments after the interpreter and script. */
export function healthProbeArgs(host: string, checks: readonly HealthCheck[], waitSec?: number, header?: readonly [string, string]): string[] {
  return [
    ...(waitSec !== undefined ? ['--wait', String(waitSec)] : []),
    ...(header ? ['--header', ...header] : []),
    host, ...checks.flatMap((c) => [c.healthyHttpCodes, c.url]),
  ];
}

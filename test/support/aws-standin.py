"""Local stand-ins for the AWS parts an EC2 first boot talks to, for tests only.

  imds  ADDRESS PORT                 IMDSv2: token, role credentials, region
  s3    ADDRESS PORT ROOT            S3 GetObject and PutObject (path-style) of ROOT/<bucket>/<key>,
                                     answering 403 unless the SigV4 signature checks out; PutObject
                                     honours If-None-Match: * and If-Match like S3 (412), atomically
                                     across stand-ins sharing ROOT; ETag and Last-Modified as S3 sends them
  proxy ADDRESS PORT                 a plain HTTP forward proxy (apt inside a network namespace)

Each prints "ready" once listening and one line per request.
"""
import datetime, email.utils, fcntl, hashlib, hmac, http.client, http.server, json, os, socketserver, sys, urllib.parse

ACCESS_KEY = "ASIASTANDINEXAMPLE00"
SECRET_KEY = "standin/secret/key/for/tests/only/000000"
SESSION_TOKEN = "standin-session-token"
ROLE = "caw-standin-role"
IMDS_TOKEN = "standin-imds-token"


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        # HTTPServer's own server_bind looks the address up in DNS, which hangs where there is none.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class Quiet(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        print("%s %s" % (self.command, self.path), flush=True)

    def reply(self, status, body, content_type="text/plain", headers=None):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Imds(Quiet):
    def do_PUT(self):
        if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(200, IMDS_TOKEN)
        self.reply(400, "bad token request")

    def do_GET(self):
        if self.headers.get("X-aws-ec2-metadata-token") != IMDS_TOKEN:
            return self.reply(401, "IMDSv2 token required")
        base = "/latest/meta-data/"
        now = datetime.datetime.now(datetime.timezone.utc)
        answers = {
            base + "iam/security-credentials/": ROLE,
            base + "iam/security-credentials/" + ROLE: json.dumps({
                "Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": ACCESS_KEY, "SecretAccessKey": SECRET_KEY,
                "Token": SESSION_TOKEN, "Expiration": (now + datetime.timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }),
            base + "placement/region": "us-east-1",
        }
        if self.path in answers:
            return self.reply(200, answers[self.path])
        self.reply(404, "not found")


def expected_signature(method, path, query, headers, signed_names, amz_date, scope):
    """SigV4 recomputed from the request as received."""
    canonical_query = "&".join(
        "%s=%s" % (urllib.parse.quote(k, safe="-_.~"), urllib.parse.quote(v, safe="-_.~"))
        for k, v in sorted(urllib.parse.parse_qsl(query, keep_blank_values=True)))
    canonical_headers = "".join("%s:%s\n" % (n, " ".join(headers.get(n, "").split())) for n in signed_names)
    request = "\n".join([method, path, canonical_query, canonical_headers, ";".join(signed_names), headers.get("x-amz-content-sha256", "")])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(request.encode()).hexdigest()])
    key = ("AWS4" + SECRET_KEY).encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class S3(Quiet):
    root = "."

    def authorized(self, url, body=b""):
        auth = self.headers.get("Authorization", "")
        fields = dict(part.strip().split("=", 1) for part in auth[len("AWS4-HMAC-SHA256 "):].split(",") if "=" in part)
        credential = fields.get("Credential", "").split("/", 1)
        signed = fields.get("SignedHeaders", "").split(";")
        headers = {k.lower(): v for k, v in self.headers.items()}
        if (not auth.startswith("AWS4-HMAC-SHA256 ") or credential[0] != ACCESS_KEY or len(credential) < 2
                or headers.get("x-amz-security-token") != SESSION_TOKEN or "host" not in signed
                or headers.get("x-amz-content-sha256") != hashlib.sha256(body).hexdigest()
                or fields.get("Signature") != expected_signature(self.command, url.path, url.query, headers, signed, headers.get("x-amz-date", ""), credential[1])):
            print("refused: bad signature", flush=True)
            self.reply(403, "<Error><Code>SignatureDoesNotMatch</Code></Error>", "application/xml")
            return False
        return True

    def object_path(self, url):
        rel = urllib.parse.unquote(url.path).lstrip("/")
        path = os.path.realpath(os.path.join(self.root, rel))
        return path if path.startswith(os.path.realpath(self.root) + os.sep) else None

    @staticmethod
    def etag(data):
        return '"%s"' % hashlib.md5(data).hexdigest()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if not self.authorized(url):
            return
        path = self.object_path(url)
        if path is None or not os.path.isfile(path):
            return self.reply(404, "<Error><Code>NoSuchKey</Code></Error>", "application/xml")
        with open(path, "rb") as f:
            data = f.read()
        self.reply(200, data, "application/gzip" if path.endswith(".gz") else "application/json",
                   {"ETag": self.etag(data), "Last-Modified": email.utils.formatdate(os.stat(path).st_mtime, usegmt=True)})

    def do_PUT(self):
        url = urllib.parse.urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if not self.authorized(url, body):
            return
        path = self.object_path(url)
        if path is None:
            return self.reply(400, "<Error><Code>InvalidArgument</Code></Error>", "application/xml")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # One lock for every stand-in sharing the root: a condition check and its write are one step, as in S3.
        with open(os.path.join(self.root, ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = None
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    current = self.etag(f.read())
            if_none_match, if_match = self.headers.get("If-None-Match"), self.headers.get("If-Match")
            if (if_none_match == "*" and current is not None) or (if_match is not None and if_match != current):
                print("precondition failed: %s %s" % (self.command, url.path), flush=True)
                return self.reply(412, "<Error><Code>PreconditionFailed</Code></Error>", "application/xml")
            with open(path + ".new", "wb") as f:
                f.write(body)
            os.replace(path + ".new", path)
        self.reply(200, b"", "application/xml", {"ETag": self.etag(body)})


class Proxy(Quiet):
    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.scheme != "http" or not url.hostname:
            return self.reply(400, "absolute http URLs only")
        conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=60)
        conn.request("GET", url.path + ("?" + url.query if url.query else ""),
                     headers={k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")})
        response = conn.getresponse()
        self.send_response(response.status)
        for k, v in response.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "keep-alive"):
                self.send_header(k, v)
        body = response.read()
        if response.getheader("Content-Length") is None:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        conn.close()

    do_HEAD = do_GET


def main():
    mode, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    handler = {"imds": Imds, "s3": S3, "proxy": Proxy}[mode]
    if mode == "s3":
        S3.root = sys.argv[4]
    server = Server((address, port), handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

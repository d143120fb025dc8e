/**
 * A Python standard-library AWS client for the hosts: credentials of the
 * instance role from IMDSv2, Signature Version 4, and S3 GetObject streamed
 * to a file. No SDK is needed on the image, and nothing is written but the object.
 *
 * Endpoint overrides, honoured only when set (the AWS SDKs' conventions):
 * AWS_EC2_METADATA_SERVICE_ENDPOINT for IMDS, AWS_ENDPOINT_URL_S3 for S3
 * (path-style requests then).
 */
export const AWS_CLIENT_PY = `import datetime, hashlib, hmac, json, os, time, urllib.error, urllib.parse, urllib.request

IMDS = os.environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://169.254.169.254").rstrip("/")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

def retrying(what, call, attempts=30, delay=2.0):
    # A new instance profile can take seconds to reach IMDS and S3 (IAM is eventually consistent).
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except (OSError, KeyError, ValueError, IndexError) as e:
            if attempt == attempts:
                raise
            print("[aws] %s failed (%s), retrying" % (what, e), flush=True)
            time.sleep(delay)

def imds_get(path, token):
    req = urllib.request.Request(IMDS + "/latest/" + path, headers={"X-aws-ec2-metadata-token": token})
    return urllib.request.urlopen(req, timeout=5).read().decode()

def imds_token():
    req = urllib.request.Request(IMDS + "/latest/api/token", method="PUT", headers={"X-aws-ec2-metadata-token-ttl-seconds": "300"})
    return urllib.request.urlopen(req, timeout=5).read().decode()

def instance_credentials():
    """The instance role's temporary credentials and the instance's region, from IMDSv2."""
    def fetch():
        token = imds_token()
        role = imds_get("meta-data/iam/security-credentials/", token).split()[0]
        c = json.loads(imds_get("meta-data/iam/security-credentials/" + role, token))
        region = imds_get("meta-data/placement/region", token).strip()
        return {"key": c["AccessKeyId"], "secret": c["SecretAccessKey"], "token": c.get("Token"), "region": region}
    return retrying("instance credentials", fetch)

def _quote(text, safe="-_.~"):
    return urllib.parse.quote(text, safe=safe)

def sigv4_headers(method, url, region, service, creds, headers=None, payload_sha256=EMPTY_SHA256, now=None):
    """Headers (with Authorization) that sign a request with AWS Signature Version 4.
    The URL's path must already be URI-encoded as sent."""
    parts = urllib.parse.urlsplit(url)
    amz_date = (now or datetime.datetime.now(datetime.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    h = {"host": parts.netloc, "x-amz-date": amz_date}
    if service == "s3":
        h["x-amz-content-sha256"] = payload_sha256
    if creds.get("token"):
        h["x-amz-security-token"] = creds["token"]
    h.update({k.lower(): v for k, v in (headers or {}).items()})
    names = sorted(h)
    canonical_headers = "".join("%s:%s\\n" % (n, " ".join(str(h[n]).split())) for n in names)
    signed_headers = ";".join(names)
    query = sorted(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    canonical_query = "&".join("%s=%s" % (_quote(k), _quote(v)) for k, v in query)
    request = "\\n".join([method, parts.path or "/", canonical_query, canonical_headers, signed_headers, payload_sha256])
    scope = "%s/%s/%s/aws4_request" % (amz_date[:8], region, service)
    to_sign = "\\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(request.encode()).hexdigest()])
    key = ("AWS4" + creds["secret"]).encode()
    for part in (amz_date[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    h["authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (creds["key"], scope, signed_headers, signature)
    return h

def s3_object_url(bucket, key, region, version_id=None):
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3")
    path = "/" + _quote(key, safe="/-_.~")
    if endpoint:
        url = endpoint.rstrip("/") + "/" + bucket + path
    elif "." in bucket:
        url = "https://s3.%s.amazonaws.com/%s%s" % (region, bucket, path)
    else:
        url = "https://%s.s3.%s.amazonaws.com%s" % (bucket, region, path)
    return url + ("?versionId=" + _quote(version_id) if version_id else "")

def s3_get_object(bucket, key, target, creds, version_id=None):
    """Streams an S3 object to \`target\`; returns the hex SHA-256 of what was written."""
    def fetch():
        url = s3_object_url(bucket, key, creds["region"], version_id)
        req = urllib.request.Request(url, headers=sigv4_headers("GET", url, creds["region"], "s3", creds))
        digest = hashlib.sha256()
        with urllib.request.urlopen(req, timeout=60) as response, open(target, "wb") as out:
            while True:
                chunk = response.read(1 << 20)
                if not chunk:
                    break
                digest.update(chunk)
                out.write(chunk)
        return digest.hexdigest()
    return retrying("s3://%s/%s" % (bucket, key), fetch, attempts=10)
`;

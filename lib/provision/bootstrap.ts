import { AWS_CLIENT_PY } from './aws-client';
import { BUNDLE } from './recipe';

/**
 * First-boot program of an EC2 host: fetch the site's bundle (a gzipped tar
 * in S3) with the instance role, refuse it unless its SHA-256 is the one in
 * the user data, unpack only plain files inside the bundle directory, then
 * run the recipe. Argument: the path of its JSON config.
 */
export const BOOTSTRAP_PY = `${AWS_CLIENT_PY}
import shutil, subprocess, sys, tarfile

def unpack(archive, target):
    """Plain files only, no absolute paths, no '..': the archive cannot write outside target."""
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            parts = member.name.split("/")
            if not member.isfile() or member.name.startswith("/") or ".." in parts or "" in parts:
                raise ValueError("refusing archive member %r" % member.name)
            path = os.path.join(target, *parts)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with tar.extractfile(member) as src, open(path, "wb") as out:
                shutil.copyfileobj(src, out)
            os.chmod(path, 0o755 if member.mode & 0o111 else 0o644)

def main(config_path):
    with open(config_path) as f:
        config = json.load(f)
    target = config["bundleDir"]
    archive = target + ".tar.gz"
    creds = instance_credentials()
    print("[bootstrap] fetching s3://%s/%s" % (config["bucket"], config["key"]), flush=True)
    digest = s3_get_object(config["bucket"], config["key"], archive, creds, config.get("versionId") or None)
    if digest != config["sha256"]:
        os.remove(archive)
        print("[bootstrap] ERROR: bundle SHA-256 is %s, expected %s: refusing it" % (digest, config["sha256"]), file=sys.stderr, flush=True)
        return 1
    print("[bootstrap] bundle verified: sha256 %s" % digest, flush=True)
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target, mode=0o755)
    unpack(archive, target)
    os.remove(archive)
    return subprocess.call(["sh", os.path.join(target, config["script"])])

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
`;

/** Where the bootstrap finds the bundle; Terraform references are fine in every field. */
export interface BundleLocation {
  readonly bucket: string;
  readonly key: string;
  /** S3 version of the object, so a rollback can still fetch an older bundle. */
  readonly versionId?: string;
  /** Hex SHA-256 of the archive. */
  readonly sha256: string;
}

/** Where the bootstrap's files go on the instance. */
export const BOOTSTRAP = {
  script: '/opt/cdktf-apache-wsgi/bootstrap.py',
  config: (site: string) => `/etc/cdktf-apache-wsgi/${site}.json`,
};

/**
 * The #cloud-config user data of an EC2 host: only the bootstrap and where the
 * bundle is (bucket, key, version, SHA-256), a few KB whatever the site's size.
 * JSON is valid YAML, and rendering it from data keeps every value quoted.
 */
export function bootstrapUserData(site: string, bundleDir: string, location: BundleLocation): string {
  const config = {
    bucket: location.bucket, key: location.key, versionId: location.versionId ?? '', sha256: location.sha256,
    bundleDir, script: BUNDLE.script,
  };
  const doc = {
    write_files: [
      { path: BOOTSTRAP.script, owner: 'root:root', permissions: '0700', content: BOOTSTRAP_PY },
      { path: BOOTSTRAP.config(site), owner: 'root:root', permissions: '0600', content: `${JSON.stringify(config, undefined, 1)}\n` },
    ],
    runcmd: [['python3', BOOTSTRAP.script, BOOTSTRAP.config(site)]],
  };
  return `#cloud-config\n${JSON.stringify(doc, undefined, 1)}\n`;
}

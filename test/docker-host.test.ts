import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Testing } from 'cdktf';
import { DockerSiteStack } from '../examples/docker-site/main';

describe('DockerHost', () => {
  const stack = new DockerSiteStack(Testing.app(), 'docker-site');
  const synth = () => JSON.parse(Testing.synth(stack, true));

  test('builds the image from a context path relative to the stack output', () => {
    const [image] = Object.values(synth().resource.docker_image) as any[];
    expect(image.build).toEqual({ context: 'docker/site' });
    expect(image.triggers.content).toMatch(/^[0-9a-f]{64}$/);
    expect(image.name).toMatch(/^site:[0-9a-f]{12}$/);
  });

  test('publishes the unprivileged container port on 127.0.0.1 only', () => {
    const [container] = Object.values(synth().resource.docker_container) as any[];
    expect(container.ports).toEqual([{ internal: 8080, external: 8080, ip: '127.0.0.1' }]);
    expect(container.restart).toBe('unless-stopped');
    expect(container.security_opts).toEqual(['no-new-privileges:true']);
    expect(container.capabilities).toEqual({ drop: ['ALL'], add: ['CHOWN', 'SETUID', 'SETGID', 'KILL'] });
    // One health check: the image's HEALTHCHECK, over every app
    expect(container.healthcheck).toBeUndefined();
  });

  test('the image health check probes every app with the one health probe', () => {
    const dockerfile = stack.host.buildContext().get('Dockerfile')!.content.toString();
    expect(dockerfile).toContain('CMD ["/usr/bin/python3.11","/opt/cdktf-apache-wsgi/site/health.py","localhost","200-399,401,403","http://127.0.0.1:8080/api","200-399,401,403","http://127.0.0.1:8080/"]\n');
    expect(stack.host.buildContext().get('bundle/health.py')).toBeDefined();
  });

  test('the Dockerfile runs the shared recipe at build time and Apache in the foreground', () => {
    const dockerfile = stack.host.buildContext().get('Dockerfile')!.content.toString();
    expect(dockerfile).toContain('FROM debian:12-slim\n');
    expect(dockerfile).toContain('RUN sh /opt/cdktf-apache-wsgi/site/provision.sh\n');
    // The host's CPU count is recorded at every start (the image runs elsewhere than it was built), then
    // exec: Apache is PID 1 and gets docker stop's SIGWINCH (verified: stop in < 1 s, exit 0)
    expect(dockerfile).toContain('CMD ["/bin/sh","-c","printf \'Define %s %s\\\\n\' WSGI_HOST_PROCESSES \\"$((2 * $(nproc)))\\" > /srv/wsgi/site/host.conf && exec \\"$@\\"","sh",'
      + '"/bin/sh","-c",". /etc/apache2/envvars && mkdir -p \\"$APACHE_RUN_DIR\\" \\"$APACHE_LOCK_DIR\\" && exec /usr/sbin/apache2 -D FOREGROUND"]\n');
  });

  test('the recipe in the image builds without starting Apache and logs to stdout/stderr', () => {
    const context = stack.host.buildContext();
    const script = context.get('bundle/provision.sh')!.content.toString();
    expect(script).toContain("printf 'Listen %s\\n' 8080 > /etc/apache2/ports.conf");
    expect(script).not.toContain('apache2ctl -k start');
    const siteConf = context.get('bundle/apache/site.conf')!.content.toString();
    expect(siteConf).toContain('<VirtualHost *:8080>');
    expect(siteConf).toContain('    ErrorLog /proc/self/fd/2\n');
    expect(siteConf).toContain('    CustomLog /proc/self/fd/1 wsgi_combined\n');
  });

  test('the generated recipe is valid POSIX shell', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-sh-'));
    try {
      fs.writeFileSync(path.join(dir, 'provision.sh'), stack.host.buildContext().get('bundle/provision.sh')!.content);
      expect(() => execFileSync('sh', ['-n', path.join(dir, 'provision.sh')])).not.toThrow();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('synth writes the build context next to cdk.tf.json, with no checkout path in it', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-docker-'));
    try {
      const app = new App({ outdir });
      new DockerSiteStack(app, 'docker-site');
      app.synth();
      const stackDir = path.join(outdir, 'stacks', 'docker-site');
      expect(fs.existsSync(path.join(stackDir, 'docker', 'site', 'Dockerfile'))).toBe(true);
      expect(fs.existsSync(path.join(stackDir, 'docker', 'site', 'bundle', 'apps', 'api-app', 'wsgi.py'))).toBe(true);
      expect(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')).not.toContain(path.resolve(__dirname, '..'));
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});

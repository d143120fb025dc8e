import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Testing } from 'cdktf';
import { DockerSiteStack } from '../examples/docker-site/main';
import { DockerHost } from '../lib/docker';

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
    expect(dockerfile).toContain('FROM debian:12-slim AS system\n');
    expect(dockerfile).toContain('RUN ["sh","/opt/cdktf-apache-wsgi/site/phases/system.sh"]\n');
    // The host's CPU count is recorded at every start (the image runs elsewhere than it was built), then
    // exec: Apache is PID 1 and gets docker stop's SIGWINCH (verified: stop in < 1 s, exit 0)
    expect(dockerfile).toContain('CMD ["/bin/sh","-c","printf \'Define %s %s\\\\n\' WSGI_HOST_PROCESSES \\"$((2 * $(nproc)))\\" > /srv/wsgi/site/host.conf && exec \\"$@\\"","sh",'
      + '"/bin/sh","-c",". /etc/apache2/envvars && mkdir -p \\"$APACHE_RUN_DIR\\" \\"$APACHE_LOCK_DIR\\" && exec /usr/sbin/apache2 -D FOREGROUND"]\n');
  });

  test('each recipe phase is its own layer: packages, then each venv in its own stage, then the app', () => {
    // GIVEN the generated Dockerfile
    const lines = stack.host.buildContext().get('Dockerfile')!.content.toString().split('\n');
    const at = (line: string) => {
      const i = lines.indexOf(line);
      expect(i).toBeGreaterThanOrEqual(0);
      return i;
    };
    // THEN a venv stage sees only its own requirements and its phase script
    const apiStage = at('FROM system AS venv-api-env');
    expect(lines.slice(apiStage + 1, apiStage + 4)).toEqual([
      'COPY ["bundle/phases/venv-api-env.sh","/opt/cdktf-apache-wsgi/site/phases/venv-api-env.sh"]',
      'COPY ["bundle/venvs/api-env","/opt/cdktf-apache-wsgi/site/venvs/api-env"]',
      'RUN ["sh","/opt/cdktf-apache-wsgi/site/phases/venv-api-env.sh"]',
    ]);
    // AND the final image copies just the built venvs, then the code, and runs the app phase last
    const final = at('FROM system');
    expect(at('COPY --from=venv-web-env ["/srv/wsgi/site/venvs/web-env","/srv/wsgi/site/venvs/web-env"]')).toBeGreaterThan(final);
    expect(at('COPY ["bundle/apps/web-app","/opt/cdktf-apache-wsgi/site/apps/web-app"]')).toBeGreaterThan(at('COPY --from=venv-web-env ["/srv/wsgi/site/venvs/web-env","/srv/wsgi/site/venvs/web-env"]'));
    expect(lines.filter((l) => l !== '').at(-1)).toBe('RUN ["sh","/opt/cdktf-apache-wsgi/site/phases/app.sh"]');
    // AND run-time settings come before the app phase, so a code change reuses them
    expect(at('STOPSIGNAL SIGWINCH')).toBeLessThan(at('COPY ["bundle/phases/app.sh","/opt/cdktf-apache-wsgi/site/phases/app.sh"]'));
  });

  test('every file the Dockerfile copies is in the build context', () => {
    const context = stack.host.buildContext();
    const sources = [...context.get('Dockerfile')!.content.toString().matchAll(/^COPY (\[.*\])$/gm)].map((m) => JSON.parse(m[1])[0] as string);
    expect(sources.length).toBe(11);
    for (const source of sources) {
      expect([...context.keys()].some((rel) => rel === source || rel.startsWith(`${source}/`))).toBe(true);
    }
  });

  test('the health check probes every app every 5 s after start, with a start period', () => {
    const dockerfile = stack.host.buildContext().get('Dockerfile')!.content.toString();
    expect(dockerfile).toContain('HEALTHCHECK --interval=5s --timeout=10s --start-period=60s --retries=3 CMD ');
  });

  test('a redeploy builds the new image first, stops the old container gracefully and waits until the new one is healthy', () => {
    const resources = synth().resource;
    const [image] = Object.values(resources.docker_image) as any[];
    const [container] = Object.values(resources.docker_container) as any[];
    expect(image.lifecycle).toEqual({ create_before_destroy: true });
    // daemon groups' graceful-timeout 15 + shutdown-timeout 5, plus 5
    expect(container.destroy_grace_seconds).toBe(25);
    expect([container.wait, container.wait_timeout, container.must_run]).toEqual([true, 80, true]);
    expect(container.lifecycle).toBeUndefined();
  });

  test('fails on a stop grace period below 1 s', () => {
    const app = Testing.app();
    const other = new DockerSiteStack(app, 'docker-site');
    expect(() => new DockerHost(other, 'Other', { site: other.site, stopGraceSec: 0 })).toThrow(/stopGraceSec.*0/);
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
    // Apache's server-wide error log too (start-up and shutdown notices)
    expect(context.get('bundle/apache/server.conf')!.content.toString()).toContain('\nErrorLog /proc/self/fd/2\n');
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

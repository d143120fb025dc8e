import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { App, TerraformStack, Testing } from 'cdktf';
import { DockerSiteStack } from '../examples/docker-site/main';
import { ApacheSite, AppSecret, DaemonGroup, Platform, VirtualEnv, WsgiApp } from '../lib';
import { synthForTerraform } from './provision/terraform';
import { fakeClis, FIXTURE_APP } from './util';
import { DockerHost, DockerHostProps, RestartPolicy } from '../lib/docker';
import { DOCKER_RELEASE_SH } from '../lib/private/container';
import { renderSiteFiles } from '../lib/private/render-site';

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

  test('the Dockerfile runs the shared recipe at build time and its start phase as the command', () => {
    const dockerfile = stack.host.buildContext().get('Dockerfile')!.content.toString();
    expect(dockerfile).toContain('FROM debian:12-slim AS system\n');
    expect(dockerfile).toContain('RUN ["sh","/opt/cdktf-apache-wsgi/site/phases/system.sh"]\n');
    expect(dockerfile).toContain('CMD ["sh","/opt/cdktf-apache-wsgi/site/phases/start.sh"]\n');
  });

  test('the start script records the host\'s CPU count, then execs Apache in the foreground without AWS credentials', () => {
    const start = stack.host.buildContext().get('bundle/phases/start.sh')!.content.toString();
    // The image runs elsewhere than it was built: the host facts are written at every start
    expect(start).toContain('printf \'Define %s %s\\n\' WSGI_HOST_PROCESSES "$((2 * $(nproc)))" > /srv/wsgi/site/host.conf\n');
    // exec: Apache is PID 1 and gets docker stop's SIGWINCH
    expect(start).toContain('\nunset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SHARED_CREDENTIALS_FILE AWS_PROFILE '
      + 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN\n'
      + 'exec /bin/sh -c \'. /etc/apache2/envvars && mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" && exec /usr/sbin/apache2 -D FOREGROUND\'\n');
    // The example has no secrets, release commands or data directories: nothing else runs
    expect(start).not.toMatch(/runuser|aws_client|chown/);
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
    expect(at('RUN ["sh","/opt/cdktf-apache-wsgi/site/phases/app.sh"]')).toBeGreaterThan(at('COPY ["bundle/apps/web-app","/opt/cdktf-apache-wsgi/site/apps/web-app"]'));
    // AND the start script is only copied, last: the container runs it
    expect(lines.filter((l) => l !== '').at(-1)).toBe('COPY ["bundle/phases/start.sh","/opt/cdktf-apache-wsgi/site/phases/start.sh"]');
    // AND run-time settings come before the app phase, so a code change reuses them
    expect(at('STOPSIGNAL SIGWINCH')).toBeLessThan(at('COPY ["bundle/phases/app.sh","/opt/cdktf-apache-wsgi/site/phases/app.sh"]'));
  });

  test('every file the Dockerfile copies is in the build context', () => {
    const context = stack.host.buildContext();
    const sources = [...context.get('Dockerfile')!.content.toString().matchAll(/^COPY (\[.*\])$/gm)].map((m) => JSON.parse(m[1])[0] as string);
    expect(sources.length).toBe(12);
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

describe('DockerHost with secrets, release commands and data directories', () => {
  const PARAM = 'arn:aws:ssm:us-east-1:123456789012:parameter/site/secret-key';
  const build = (hostProps: Partial<DockerHostProps> = {}) => {
    const stack = new TerraformStack(Testing.app(), 'docker');
    new DockerProvider(stack, 'Docker');
    const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'localhost' });
    const group = new DaemonGroup(site, 'Web', { virtualEnv: new VirtualEnv(stack, 'Env'), dataDirectories: { UPLOADS: 'uploads' } });
    new WsgiApp(site, 'App', {
      mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: group,
      secrets: { SECRET_KEY: AppSecret.fromSsmParameter(PARAM) },
      releaseCommands: [['python', 'manage.py', 'migrate', '--noinput']],
    });
    const host = new DockerHost(stack, 'Host', { site, ...hostProps });
    return { stack, site, host };
  };
  const { stack, host } = build();
  const context = host.buildContext();
  const start = context.get('bundle/phases/start.sh')!.content.toString();

  test('the release phase resolves the secrets as root into a 0400 file of the group\'s user, then runs the release as that user; the serving start skips it', () => {
    // GIVEN the release phase script (the host's one-off container), in order
    const releaseScript = context.get('bundle/phases/release.sh')!.content.toString();
    const secrets = releaseScript.indexOf('python3.11 /opt/cdktf-apache-wsgi/site/aws_client.py secrets /opt/cdktf-apache-wsgi/site/secrets/web.json /srv/wsgi/site/secrets/web.json.new\n');
    const release = releaseScript.indexOf('quiet runuser -u wsgi-web -- env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 HOME=/srv/wsgi/site /srv/wsgi/site/venvs/env/bin/python '
      + '/srv/wsgi/site/boot/caw_boot.py /srv/wsgi/site/boot/app.json -- python manage.py migrate --noinput\n');
    // THEN the secrets come first (mode set before the owner: no CAP_FOWNER), then the release
    // (quiet: a failure stops it with its output), and no server
    expect(secrets).toBeGreaterThan(0);
    expect(releaseScript).toContain('chmod 0400 /srv/wsgi/site/secrets/web.json.new\nchown wsgi-web:wsgi-web /srv/wsgi/site/secrets/web.json.new\n');
    expect(release).toBeGreaterThan(secrets);
    expect(releaseScript).not.toContain('exec ');
    expect(releaseScript).toMatch(/^set -eu$/m);
    // AND the serving container's start resolves the secrets too, but never runs the release
    expect(start).toContain('aws_client.py secrets /opt/cdktf-apache-wsgi/site/secrets/web.json /srv/wsgi/site/secrets/web.json.new\n');
    expect(start).not.toMatch(/migrate|runuser|release-done/);
    // AND the image holds the release phase beside the start phase
    expect(context.get('Dockerfile')!.content.toString()).toContain('COPY ["bundle/phases/release.sh","/opt/cdktf-apache-wsgi/site/phases/release.sh"]\n');
  });

  test('the image holds the ARN list and the client, copied after the app phase and never run at build', () => {
    const dockerfile = context.get('Dockerfile')!.content.toString();
    const lines = dockerfile.split('\n');
    const appRun = lines.indexOf('RUN ["sh","/opt/cdktf-apache-wsgi/site/phases/app.sh"]');
    expect(lines.indexOf('COPY ["bundle/aws_client.py","/opt/cdktf-apache-wsgi/site/aws_client.py"]')).toBeGreaterThan(appRun);
    expect(lines.indexOf('COPY ["bundle/secrets/web.json","/opt/cdktf-apache-wsgi/site/secrets/web.json"]')).toBeGreaterThan(appRun);
    expect(JSON.parse(context.get('bundle/secrets/web.json')!.content.toString())).toEqual([{ envVar: 'SECRET_KEY', store: 'ssm-parameter', arn: PARAM }]);
    // The build-time scripts neither fetch secrets nor run release commands
    for (const script of ['bundle/provision.sh', 'bundle/phases/app.sh', 'bundle/phases/system.sh']) {
      expect(context.get(script)!.content.toString()).not.toMatch(/aws_client|migrate/);
    }
  });

  test('each data directory is a named volume, given to the group\'s user (0700) at every start', () => {
    const json = JSON.parse(Testing.synth(stack, true));
    const volumes = Object.values(json.resource.docker_volume) as any[];
    expect(volumes.map((v) => v.name)).toEqual(['site-web-uploads']);
    const [container] = Object.values(json.resource.docker_container) as any[];
    expect(container.volumes).toEqual([{ volume_name: expect.stringMatching(/^\$\{docker_volume\.Host_Data-web-uploads_[0-9A-F]+\.name\}$/), container_path: '/srv/wsgi/site/data/web/uploads' }]);
    expect(container.env).toBeUndefined();
    // Root takes a wrong directory back before changing its mode (no CAP_FOWNER), then gives it to the user
    expect(start).toContain("if [ \"$(stat -c '%U:%G %a' /srv/wsgi/site/data/web/uploads)\" != 'wsgi-web:wsgi-web 700' ]; then\n"
      + '  chown root:root /srv/wsgi/site/data/web/uploads\n  chmod 0700 /srv/wsgi/site/data/web/uploads\n  chown -R wsgi-web:wsgi-web /srv/wsgi/site/data/web/uploads\nfi\n');
  });

  test('the start script is valid POSIX shell', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-sh-'));
    try {
      fs.writeFileSync(path.join(dir, 'start.sh'), start);
      expect(() => execFileSync('sh', ['-n', path.join(dir, 'start.sh')])).not.toThrow();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an AWS credentials file on the Docker host is mounted read-only under root\'s home; only its path is in cdk.tf.json', () => {
    const withFile = build({ awsCredentialsFile: '/etc/caw/aws-credentials', awsProfile: 'deploy' });
    const [container] = Object.values(JSON.parse(Testing.synth(withFile.stack, true)).resource.docker_container) as any[];
    expect(container.volumes).toContainEqual({ host_path: '/etc/caw/aws-credentials', container_path: '/root/.aws/credentials', read_only: true });
    expect(container.env).toEqual(['AWS_SHARED_CREDENTIALS_FILE=/root/.aws/credentials', 'AWS_PROFILE=deploy']);
  });

  test('a restart policy other than the default is the container\'s restart', () => {
    // GIVEN a host that asks for RestartPolicy.ON_FAILURE
    const onFailure = build({ restart: RestartPolicy.ON_FAILURE });
    // THEN its container has Docker's on-failure policy
    const [container] = Object.values(JSON.parse(Testing.synth(onFailure.stack, true)).resource.docker_container) as any[];
    expect(container.restart).toBe('on-failure');
  });

  test.each([
    ['a restart given as the string of Docker\'s policy', { restart: 'always' }, /Host: restart "always" is invalid; expected a RestartPolicy: RestartPolicy.NO, ON_FAILURE, ALWAYS or UNLESS_STOPPED/],
    ['a restart that only looks like a RestartPolicy', { restart: { value: 'always; rm -rf /' } }, /Host: restart .* is invalid; expected a RestartPolicy/],
    ['a relative credentials file', { awsCredentialsFile: 'creds' }, /Host: awsCredentialsFile "creds" is invalid; expected an absolute path/],
    ['a credentials path with a Terraform template', { awsCredentialsFile: '/etc/${file("x")}' }, /awsCredentialsFile .* is invalid/],
    ['a profile without a credentials file', { awsProfile: 'deploy' }, /Host: awsProfile "deploy" is invalid; expected no awsProfile without awsCredentialsFile/],
  ])('fails on %s', (_name, props, message) => {
    expect(() => build(props as Partial<DockerHostProps>)).toThrow(message);
  });

  test('fails at synth when a daemon group with data directories comes after the DockerHost', () => {
    // GIVEN a group declared after the host
    const late = build();
    new DaemonGroup(late.site, 'Late', { virtualEnv: new VirtualEnv(late.stack, 'LateEnv'), dataDirectories: { CACHE: 'cache' } });
    // THEN synth names it
    expect(() => Testing.synth(late.stack, true)).toThrow(/data directory cache of daemon group late was declared after the DockerHost/);
  });
});

describe('DockerHost release commands: once per new image, in a one-off container, before the switch', () => {
  const HOSTILE = ['python', 'manage.py', 'migrate', "$(reboot) it's ${file(\"/etc/passwd\")}"];
  const build = (releaseCommands: string[][], siteName = 'shop') => {
    const stack = new TerraformStack(Testing.app(), 'docker');
    new DockerProvider(stack, 'Docker');
    const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'localhost', siteName });
    const group = new DaemonGroup(site, 'Web', { virtualEnv: new VirtualEnv(stack, 'Env'), dataDirectories: { UPLOADS: 'uploads' } });
    new WsgiApp(site, 'App', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: group, releaseCommands });
    const host = new DockerHost(stack, 'Host', { site, awsCredentialsFile: '/etc/caw/aws-credentials', awsProfile: 'deploy' });
    const json = JSON.parse(Testing.synth(stack, true));
    const data = json.resource.terraform_data ?? {};
    const key = (prefix: string) => Object.keys(data).find((k) => k.startsWith(prefix))!;
    return { host, json, data, first: data[key('Host_FirstRelease_')], release: data[key('Host_Release_')], key };
  };

  test('a dependent of the container, replaced with every image, runs the new image\'s release phase from its destroy: before the old container is touched', () => {
    // GIVEN a site with a release command
    const { json, release, key } = build([['python', 'manage.py', 'migrate']]);
    const [image] = Object.values(json.resource.docker_image) as any[];
    const [container] = Object.values(json.resource.docker_container) as any[];
    // THEN it depends on the container, so Terraform runs its destroy before the container's
    // (a replaced container is destroyed before anything it depends on is created)
    expect(release.depends_on).toEqual([expect.stringMatching(/^docker_container\.Host_Container_/)]);
    expect(release.triggers_replace).toEqual({ content: image.triggers.content });
    const exec = release.provisioner[0]['local-exec'];
    expect([exec.command, exec.when, exec.interpreter]).toEqual([DOCKER_RELEASE_SH, 'destroy', ['/bin/sh', '-c']]);
    // AND its destroy compares its own (old) content hash with the configuration's new one, and runs the new image by name
    expect(exec.environment).toMatchObject({
      OLD_CONTENT: '${self.triggers_replace.content}', NEW_CONTENT: image.triggers.content, IMAGE: image.name, CONTEXT: 'docker/shop',
      SCRIPT: '/opt/cdktf-apache-wsgi/site/phases/release.sh', NAME: 'shop-release', SITE: 'shop',
    });
    // AND a site's first image releases before its first container, once (never replaced)
    expect(container.depends_on).toEqual([`terraform_data.${key('Host_FirstRelease_')}`]);
  });

  test('the one-off container runs with the serving container\'s volumes, credentials file, capabilities and security options', () => {
    const { json, first, release } = build([['python', 'manage.py', 'migrate']]);
    const [container] = Object.values(json.resource.docker_container) as any[];
    for (const resource of [first, release]) {
      const flags: string[] = resource.provisioner[0]['local-exec'].environment.RUN_FLAGS.split('\n');
      expect(flags).toEqual([
        '--cap-drop', 'ALL', ...container.capabilities.add.flatMap((c: string) => ['--cap-add', c]),
        ...container.security_opts.flatMap((o: string) => ['--security-opt', o]),
        '-v', 'shop-web-uploads:/srv/wsgi/shop/data/web/uploads', '-v', '/etc/caw/aws-credentials:/root/.aws/credentials:ro',
        ...container.env.flatMap((e: string) => ['-e', e]),
      ]);
    }
    expect(container.capabilities.drop).toEqual(['ALL']);
    expect(first.provisioner[0]['local-exec'].environment.IMAGE).toMatch(/^\$\{docker_image\.Host_Image_[0-9A-F]+\.image_id\}$/);
    expect(first.depends_on).toEqual([expect.stringMatching(/^docker_volume\.Host_Data-web-uploads_/)]);
  });

  test('no release command or site value reaches a local-exec command; without release commands the step before the switch only builds', () => {
    // GIVEN a release command with a command substitution, quotes and a Terraform template
    const { json } = build([HOSTILE]);
    // THEN the release command is in the image only, and the command texts are the fixed script
    expect(JSON.stringify(json)).not.toContain('reboot');
    for (const resource of Object.values(json.resource.terraform_data) as any[]) {
      expect(resource.provisioner[0]['local-exec'].command).toBe(DOCKER_RELEASE_SH);
    }
    // AND the script holds no Terraform template of its own
    expect(DOCKER_RELEASE_SH).not.toMatch(/[$%]\{/);
    // AND a site name that would carry shell or a template never gets that far
    expect(() => build([HOSTILE], "$(reboot)'${x}")).toThrow(/siteName .* is invalid/);
    // AND without release commands only the step before the switch is there, with no script to run:
    // it builds the new image; the first container depends on nothing
    const plain = build([]);
    expect(Object.keys(plain.json.resource.terraform_data)).toEqual([expect.stringMatching(/^Host_Release_/)]);
    expect(plain.host.firstRelease).toBeUndefined();
    expect((Object.values(plain.json.resource.terraform_data)[0] as any).provisioner[0]['local-exec'].environment.SCRIPT).toBe('');
    expect((Object.values(plain.json.resource.docker_container)[0] as any).depends_on).toBeUndefined();
  });

  test('render\'s README tells how to run the release phase of an image that has one', () => {
    // GIVEN a DockerHost site with release commands, and the example without
    const readme = (host: DockerHost) => renderSiteFiles(host.site, host.buildContext()).get('README.txt')!.content.toString();
    // THEN only the first says to run the release phase once per new image, before its container serves
    expect(readme(build([['python', 'manage.py', 'migrate']]).host)).toContain('`sh /opt/cdktf-apache-wsgi/site/phases/release.sh` once in a one-off container of it');
    expect(readme(new DockerSiteStack(Testing.app(), 'docker-site').host)).not.toContain('release.sh');
  });

  test('the release script runs the image once with the flags, skips an unchanged image, and fails the step with the output of a failing release', () => {
    // GIVEN a fake docker CLI whose run prints the release's output and exits with $RUN_EXIT
    const cli = fakeClis({ docker: '[ "$1" = run ] || exit 0; echo "[provision] ERROR: migration failed" >&2; exit "$RUN_EXIT"' });
    const env = {
      SITE: 'shop', NAME: 'shop-release', IMAGE: 'shop:abc', CONTEXT: 'docker/shop', SCRIPT: '/opt/cdktf-apache-wsgi/site/phases/release.sh',
      RUN_FLAGS: '--cap-drop\nALL\n-v\nshop-web-uploads:/srv/wsgi/shop/data/web/uploads\n-e\nAWS_PROFILE=a b', OLD_CONTENT: 'old', NEW_CONTENT: 'new',
    };
    try {
      // WHEN the release succeeds
      const ok = cli.run(DOCKER_RELEASE_SH, { ...env, RUN_EXIT: '0' });
      // THEN the image (present) is run once, each flag one argument, without the image's health check
      expect(ok.status).toBe(0);
      expect(cli.calls()).toEqual([
        'docker image inspect shop:abc', 'docker rm -f shop-release',
        'docker run --rm --name shop-release --no-healthcheck --cap-drop ALL -v shop-web-uploads:/srv/wsgi/shop/data/web/uploads -e AWS_PROFILE=a b shop:abc sh /opt/cdktf-apache-wsgi/site/phases/release.sh',
      ]);
      // WHEN it fails, THEN the step fails with the release's own output and says the serving container was not touched
      const failed = cli.run(DOCKER_RELEASE_SH, { ...env, RUN_EXIT: '3' });
      expect(failed.status).toBe(1);
      expect(failed.stderr).toBe('[provision] ERROR: migration failed\nsite shop: the release commands failed (exit 3) in the new image; the serving container was not touched\n');
      // WHEN there are no release commands and the image is not built yet, THEN it is built and nothing runs
      cli.reset();
      cli.tool('docker', '[ "$1 $2" = "image inspect" ] && exit 1; exit 0');
      const buildOnly = cli.run(DOCKER_RELEASE_SH, { ...env, SCRIPT: '' });
      expect([buildOnly.status, cli.calls()]).toEqual([0, ['docker image inspect shop:abc', 'docker build -q -t shop:abc docker/shop']]);
      // WHEN the image did not change (a destroy), THEN nothing runs
      cli.reset();
      const same = cli.run(DOCKER_RELEASE_SH, { ...env, OLD_CONTENT: 'new', RUN_EXIT: '3' });
      expect([same.status, cli.calls()]).toEqual([0, []]);
    } finally {
      cli.cleanup();
    }
  });
});

describe('DockerHost release order with real terraform (the docker resources played by terraform_data)', () => {
  // The docker provider is not installed here: its image, volume and container become terraform_data
  // stand-ins that log their create and destroy; the release resources are DockerHost's own, their
  // script run against a fake docker CLI. What is checked is the order Terraform itself derives.
  /** A site whose image changes with `version`: with it as a release command, or (release false) only as an environment variable. */
  const synthJson = (version: string, release = true) => {
    const stack = new TerraformStack(Testing.app(), 'docker');
    new DockerProvider(stack, 'Docker');
    const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'localhost', siteName: 'shop' });
    const group = new DaemonGroup(site, 'Web', { virtualEnv: new VirtualEnv(stack, 'Env'), dataDirectories: { UPLOADS: 'uploads' } });
    new WsgiApp(site, 'App', {
      mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: group, environment: { VERSION: version },
      releaseCommands: release ? [['python', version]] : [],
    });
    new DockerHost(stack, 'Host', { site });
    return Testing.synth(stack, true);
  };
  const standIns = (synthesized: string, log: string) => {
    const json = JSON.parse(synthesized.replace(/docker_image\.([\w-]+)\.image_id/g, 'terraform_data.$1.output')
      .replace(/docker_volume\.([\w-]+)\.name/g, 'terraform_data.$1.output').replace(/"docker_(container|volume|image)\./g, '"terraform_data.'));
    const logged = (what: string, input: string, extra: object = {}) => ({
      input, ...extra,
      provisioner: [
        { 'local-exec': { command: `echo "${what}-create $IN" >> ${log}`, environment: { IN: '${self.output}' } } },
        { 'local-exec': { when: 'destroy', command: `echo "${what}-destroy $IN" >> ${log}`, environment: { IN: '${self.output}' } } },
      ],
    });
    const data = json.resource.terraform_data;
    for (const [id, image] of Object.entries(json.resource.docker_image) as [string, any][]) {
      data[id] = logged('image', image.name, { triggers_replace: image.triggers, lifecycle: image.lifecycle });
    }
    for (const [id, volume] of Object.entries(json.resource.docker_volume) as [string, any][]) {
      data[id] = { input: volume.name };
    }
    for (const [id, container] of Object.entries(json.resource.docker_container) as [string, any][]) {
      data[id] = logged('container', container.image, { triggers_replace: [container.image], depends_on: container.depends_on });
    }
    delete json.resource.docker_image; delete json.resource.docker_volume; delete json.resource.docker_container;
    delete json.provider; delete json.terraform.required_providers;
    return JSON.stringify(json);
  };

  /** Terraform applies of synthJson's stand-ins against a fake docker CLI (on PATH) that runs `docker`'s script. */
  const terraformWithFakeDocker = (docker: (dir: string) => string) => {
    const cli = fakeClis();
    cli.tool('docker', docker(cli.dir));
    const savedPath = process.env.PATH;
    process.env.PATH = `${cli.dir}:${savedPath}`;
    // A directory and environment to run terraform in (the fake CLI on PATH); each apply writes its configuration
    const run = synthForTerraform((app) => new TerraformStack(app, 'docker'));
    process.env.PATH = savedPath;
    const log = path.join(cli.dir, 'calls');
    const apply = (version: string, runExit: number, release = true) => {
      fs.writeFileSync(path.join(cli.dir, 'run-exit'), String(runExit));
      fs.writeFileSync(path.join(run.dir, 'cdk.tf.json'), standIns(synthJson(version, release), log));
      cli.reset();
      try {
        if (!fs.existsSync(path.join(run.dir, '.terraform'))) {
          run.terraform('init', '-input=false', '-no-color');
        }
        run.terraform('apply', '-auto-approve', '-input=false', '-no-color');
        return { ok: true, calls: cli.calls() };
      } catch (e) {
        return { ok: false, calls: cli.calls(), error: String(e) };
      }
    };
    return { cli, run, apply };
  };

  test('without release commands the new image is built while the old container still exists', () => {
    // GIVEN a fake docker CLI on which no image exists yet, and the first deploy applied
    const { cli, run, apply } = terraformWithFakeDocker(() => '[ "$1 $2" = "image inspect" ] && exit 1; exit 0');
    try {
      const first = apply('v1', 0, false);
      expect(first.ok).toBe(true);
      const [image1] = first.calls.filter((c) => c.startsWith('image-create')).map((c) => c.split(' ')[1]);
      // WHEN the code changes
      const second = apply('v2', 0, false);
      // THEN the new image was built before the old container was destroyed, and nothing was run in it
      expect(second.ok).toBe(true);
      const [image2] = second.calls.filter((c) => c.startsWith('image-create')).map((c) => c.split(' ')[1]);
      expect(second.calls.filter((c) => c.startsWith('docker build') || c.startsWith('docker run') || c.startsWith('container'))).toEqual([
        `docker build -q -t ${image2} docker/shop`, `container-destroy ${image1}`, `container-create ${image2}`,
      ]);
    } finally {
      run.cleanup();
      cli.cleanup();
    }
  });

  test('a new image\'s release runs while the old container exists; when it fails, the old container is never destroyed', () => {
    // GIVEN a fake docker CLI whose `run` exits with the code in run-exit, and the first deploy applied
    const { cli, run, apply } = terraformWithFakeDocker((dir) => `[ "$1" = run ] || exit 0; exit "$(cat ${dir}/run-exit)"`);
    const short = (calls: string[]) => calls.map((c) => c.replace(/^docker run .* (shop:\w+) sh .*$/, 'docker run $1').split(' ').slice(0, 3).join(' '))
      .filter((c) => !c.startsWith('docker image') && !c.startsWith('docker rm'));
    try {
      const first = apply('migrate_1', 0);
      // THEN the first image is released before the first container
      expect(first.ok).toBe(true);
      const [image1] = first.calls.filter((c) => c.startsWith('image-create')).map((c) => c.split(' ')[1]);
      expect(short(first.calls).filter((c) => !c.startsWith('image'))).toEqual([`docker run ${image1}`, `container-create ${image1}`]);
      // WHEN a new image's release succeeds
      const second = apply('migrate_2', 0);
      const [image2] = second.calls.filter((c) => c.startsWith('image-create')).map((c) => c.split(' ')[1]);
      // THEN it ran on the new image before the old container was destroyed, and only once
      expect(second.ok).toBe(true);
      expect(short(second.calls).filter((c) => !c.startsWith('image'))).toEqual([`docker run ${image2}`, `container-destroy ${image1}`, `container-create ${image2}`]);
      // WHEN the next image's release fails
      const third = apply('migrate_3', 3);
      // THEN the deploy fails after the release, and the serving container is never destroyed
      expect(third.ok).toBe(false);
      expect(third.error).toContain('the serving container was not touched');
      expect(short(third.calls).filter((c) => c.startsWith('docker run') || c.startsWith('container'))).toEqual([expect.stringMatching(/^docker run shop:/)]);
    } finally {
      run.cleanup();
      cli.cleanup();
    }
  });
});

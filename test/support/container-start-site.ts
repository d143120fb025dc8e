import * as path from 'path';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { ApacheSite, AppSecret, DaemonGroup, Platform, VirtualEnv, WsgiApp } from '../../lib';
import { DockerHost } from '../../lib/docker';

/** The parameter the check's stand-in serves: an ARN only, the value is given at `docker run`. */
export const START_SECRET_ARN = 'arn:aws:ssm:us-east-1:123456789012:parameter/caw-start/app-secret';

/**
 * The site scripts/docker-start-check.sh builds (synthesized to CDKTF_OUTDIR):
 * one app that reads an AppSecret and a data directory at import, with a release
 * command that appends to the data directory. With CAW_FAIL_RELEASE=1 a second
 * release command fails with a message of its own; CAW_AWS_CREDENTIALS_FILE and
 * CAW_AWS_PROFILE become DockerHost's awsCredentialsFile and awsProfile.
 */
const app = new App();
const stack = new TerraformStack(app, 'start-site');
new DockerProvider(stack, 'Docker');
const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'localhost', siteName: 'startsite' });
const group = new DaemonGroup(site, 'Web', {
  virtualEnv: new VirtualEnv(stack, 'Env', {}),
  processes: 1,
  threads: 2,
  dataDirectories: { APP_DATA: 'state' },
});
new WsgiApp(site, 'App', {
  mountPath: '/',
  source: path.join(__dirname, '..', 'fixtures', 'container-start-app'),
  scriptFile: 'wsgi.py',
  daemonGroup: group,
  secrets: { APP_SECRET: AppSecret.fromSsmParameter(START_SECRET_ARN) },
  releaseCommands: [
    ['python', 'release.py'],
    ...(process.env.CAW_FAIL_RELEASE === '1'
      ? [['python', '-c', 'import sys; sys.stderr.write("migration failed: no such table: caw_items\\n"); sys.exit(3)']]
      : []),
  ],
});
// The check also gives the credentials as a file on the Docker host, as a user off AWS would.
new DockerHost(stack, 'Host', { site, awsCredentialsFile: process.env.CAW_AWS_CREDENTIALS_FILE, awsProfile: process.env.CAW_AWS_PROFILE });
app.synth();

import * as path from 'path';
import { AnnotationMetadataEntryType, Testing, TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { ApacheSite, ApacheSiteProps, DaemonGroup, DaemonGroupProps, Platform, VirtualEnv } from '../lib';

export const FIXTURE_APP = path.join(__dirname, 'fixtures', 'app');

/** A fresh stack holding one ApacheSite on Debian 12. */
export function newSite(props: Partial<ApacheSiteProps> = {}): { stack: TerraformStack; site: ApacheSite } {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'example.com', ...props });
  return { stack, site };
}

/** A daemon group with its own venv in the site. */
export function newGroup(site: ApacheSite, id: string, props: Partial<DaemonGroupProps> = {}): DaemonGroup {
  const stack = TerraformStack.of(site);
  const env = props.virtualEnv ?? new VirtualEnv(stack, `${id}Env`);
  return new DaemonGroup(site, id, { ...props, virtualEnv: env });
}

/** Warning annotations recorded on one construct. */
export function warningsOf(scope: IConstruct): string[] {
  return scope.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data));
}

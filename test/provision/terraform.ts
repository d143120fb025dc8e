import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';

/** Where this machine's filesystem mirror of hashicorp/aws 5.100.0 lives. */
export const PLUGIN_DIR = process.env.CAW_TF_PLUGIN_DIR ?? '/opt/tf-plugins';

/** Fake credentials and skip flags: terraform validate and plan run without AWS. */
export const OFFLINE_AWS = {
  access_key: 'AKIAIOSFODNN7EXAMPLE',
  secret_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  skip_credentials_validation: true,
  skip_requesting_account_id: true,
  skip_metadata_api_check: true,
  skip_region_validation: true,
};

export interface TerraformRun {
  readonly dir: string;
  terraform(...args: string[]): string;
  cleanup(): void;
}

/** Synthesizes one stack into a temporary directory and runs terraform there. */
export function synthForTerraform(build: (app: App) => TerraformStack): TerraformRun {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-tf-'));
  const app = new App({ outdir });
  const stack = build(app);
  app.synth();
  const dir = path.join(outdir, 'stacks', stack.node.id);
  const cliConfig = path.join(outdir, 'terraformrc');
  // The offline mirror where there is one; otherwise terraform init downloads the provider.
  const install = fs.existsSync(PLUGIN_DIR) ? `filesystem_mirror {\n    path = "${PLUGIN_DIR}"\n  }` : 'direct {}';
  fs.writeFileSync(cliConfig, `provider_installation {\n  ${install}\n}\n`);
  const env = { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_DATA_DIR: path.join(dir, '.terraform') };
  return {
    dir,
    terraform: (...args: string[]) => {
      try {
        return execFileSync('terraform', args, { cwd: dir, env, encoding: 'utf8', stdio: 'pipe', timeout: 300_000 });
      } catch (e: any) {
        throw new Error(`terraform ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
      }
    },
    cleanup: () => fs.rmSync(outdir, { recursive: true, force: true }),
  };
}

/** The stack with OFFLINE_AWS on its AWS provider: validate and plan need no AWS account. */
export function offlineAws(stack: TerraformStack): TerraformStack {
  const provider = stack.node.findAll().find((c) => c instanceof AwsProvider) as AwsProvider;
  for (const [key, value] of Object.entries(OFFLINE_AWS)) {
    provider.addOverride(key, value);
  }
  return stack;
}

/**
 * Synthesizes the stack (made offline), then terraform init, validate (which must
 * say the configuration is valid) and plan; returns the plan's text.
 */
export function planOffline(build: (app: App) => TerraformStack): string {
  const run = synthForTerraform((app) => offlineAws(build(app)));
  try {
    run.terraform('init', '-input=false', '-no-color');
    const validate = run.terraform('validate', '-no-color');
    if (!validate.includes('Success! The configuration is valid.')) {
      throw new Error(`terraform validate did not find the configuration valid:\n${validate}`);
    }
    return run.terraform('plan', '-input=false', '-lock=false', '-refresh=false', '-no-color');
  } finally {
    run.cleanup();
  }
}

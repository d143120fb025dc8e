import * as path from 'path';
import { ISynthesisSession, TerraformStack } from 'cdktf';
// The hook TerraformAsset uses to write files next to cdk.tf.json (also in CDK Terrain's cdktn/lib/...).
import { addCustomSynthesis } from 'cdktf/lib/synthesize/synthesizer';
import { IConstruct } from 'constructs';

/**
 * Calls `write` at synth with the directory of the construct's stack output
 * (where cdk.tf.json goes), so generated files sit beside it.
 */
export function onStackOutput(construct: IConstruct, write: (stackDir: string) => void): void {
  addCustomSynthesis(construct, {
    onSynthesize: (session: ISynthesisSession) => {
      const stack = TerraformStack.of(construct);
      write(path.join(session.outdir, session.manifest.forStack(stack).synthesizedStackPath, '..'));
    },
  });
}

import { Testing } from 'cdktf';
import { SingleAppStack } from '../examples/single-app/main';
import { TwoAppsStack } from '../examples/two-apps/main';

// The rendered configs use deploy paths (/srv/wsgi/...), so these snapshots do
// not depend on where the repository is checked out.
describe('examples', () => {
  test('single-app renders the reviewed config', () => {
    const stack = new SingleAppStack(Testing.app(), 'single-app');
    expect(() => Testing.synth(stack, true)).not.toThrow();
    expect(stack.site.renderConfigFiles()).toMatchSnapshot();
  });

  test('two-apps renders the reviewed config', () => {
    const stack = new TwoAppsStack(Testing.app(), 'two-apps');
    expect(() => Testing.synth(stack, true)).not.toThrow();
    expect(stack.site.renderConfigFiles()).toMatchSnapshot();
  });

  test('two-apps gives each app its own daemon group and venv', () => {
    const stack = new TwoAppsStack(Testing.app(), 'two-apps');
    expect(stack.site.apps.map((a) => [a.mountPath, a.daemonGroup?.name, a.daemonGroup?.virtualEnv.venvName]))
      .toEqual([['/api', 'api', 'api-env'], ['/', 'web', 'web-env']]);
  });
});

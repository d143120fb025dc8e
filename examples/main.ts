import { App } from 'cdktf';
import { SingleAppStack } from './single-app/main';
import { TwoAppsStack } from './two-apps/main';

// Every example stack in one app: `cdktf synth` (or `npm run synth`) writes them all.
const app = new App();
new SingleAppStack(app, 'single-app');
new TwoAppsStack(app, 'two-apps');
app.synth();

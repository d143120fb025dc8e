import { App } from 'cdktf';
import { DockerSiteStack } from './docker-site/main';
import { Ec2SiteStack } from './ec2-site/main';
import { EcsSiteStack } from './ecs-site/main';
import { FleetSiteStack } from './fleet-site/main';
import { SingleAppStack } from './single-app/main';
import { TwoAppsStack } from './two-apps/main';

// Every example stack in one app: `cdktf synth` (or `npm run synth`) writes them all.
const app = new App();
new SingleAppStack(app, 'single-app');
new TwoAppsStack(app, 'two-apps');
new DockerSiteStack(app, 'docker-site');
new Ec2SiteStack(app, 'ec2-site');
new FleetSiteStack(app, 'fleet-site');
new EcsSiteStack(app, 'ecs-site');
app.synth();

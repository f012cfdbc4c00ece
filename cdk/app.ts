import { App } from 'aws-cdk-lib';
import { FerryStack } from './ferry-stack.ts';

const app = new App();
new FerryStack(app, 'Ferry', {
  description: 'Ferry: GitOps release manager',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();

import { App } from 'aws-cdk-lib';
import { FerryStack } from './ferry-stack.ts';

/**
 * Install settings come from CDK context (`cdk deploy -c gitopsRepoUrl=https://github.com/acme/gitops.git`)
 * or cdk.json. A placeholder keeps `cdk synth` working before they are filled in.
 */
const app = new App();
const context = (key: string) => app.node.tryGetContext(key) as string | undefined;
new FerryStack(app, 'Ferry', {
  description: 'Ferry: GitOps release manager',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  gitops: {
    repoUrl: context('gitopsRepoUrl') ?? 'https://github.com/example/gitops.git',
    branch: context('gitopsBranch') ?? 'main',
  },
});
app.synth();

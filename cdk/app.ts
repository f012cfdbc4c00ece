import { App } from 'aws-cdk-lib';
import { ConfigError } from '../lib/domain/errors.ts';
import { readInstallConfig } from './config.ts';
import { FerryStack } from './ferry-stack.ts';

/**
 * Install settings come from CDK context: cdk.json holds the defaults, `cdk deploy -c key=value` overrides
 * them (`-c gitopsRepoUrl=https://github.com/acme/gitops.git`). cdk/config.ts lists and checks them.
 */
const app = new App();
try {
  const config = readInstallConfig((key) => app.node.tryGetContext(key));
  new FerryStack(app, 'Ferry', {
    description: 'Ferry: GitOps release manager',
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    ...config,
  });
  app.synth();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // The message names the key; a stack trace would only bury it.
  console.error(`ferry: ${error.message}`);
  process.exitCode = 1;
}

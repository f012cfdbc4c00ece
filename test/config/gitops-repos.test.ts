import { describe, expect, it } from 'vitest';
import { ENV_GITOPS_BRANCH, ENV_GITOPS_REPO_URL } from '../../lib/config/env.ts';
import { ENV_GITOPS_REPOS, loadGitopsRepos } from '../../lib/config/gitops-repos.ts';

const base = {
  [ENV_GITOPS_REPO_URL]: 'https://git.example.com/acme/gitops.git',
  [ENV_GITOPS_BRANCH]: 'main',
};

describe('several gitops repositories', () => {
  it('writes every environment to the one default repository when nothing else is configured', () => {
    const repos = loadGitopsRepos(base);
    expect(repos.forEnv('staging')).toEqual({ url: base[ENV_GITOPS_REPO_URL], branch: 'main', path: '' });
    expect(repos.all()).toHaveLength(1);
  });

  it('maps listed environments to their repository, branch and folder, the rest to the default', () => {
    const repos = loadGitopsRepos({
      ...base,
      [ENV_GITOPS_REPOS]: JSON.stringify([
        {
          envs: ['production', 'production-eu'],
          url: 'https://git.example.com/acme/prod.git',
          branch: 'live',
          path: '/clusters/prod/',
          tokenSecretId: 'ferry/prod-git-token',
        },
      ]),
    });
    const prod = repos.forEnv('production-eu');
    expect(prod).toEqual({
      url: 'https://git.example.com/acme/prod.git',
      branch: 'live',
      path: 'clusters/prod',
      tokenSecretId: 'ferry/prod-git-token',
    });
    expect(repos.forEnv('production')).toBe(prod);
    expect(repos.forEnv('staging').url).toBe(base[ENV_GITOPS_REPO_URL]);
    expect(repos.keyOf(prod)).not.toBe(repos.keyOf(repos.forEnv('staging')));
    expect(repos.all()).toHaveLength(2);
  });

  it('puts environments in folders of one repository on its one clone (same key, own folder)', () => {
    const repos = loadGitopsRepos({
      ...base,
      [ENV_GITOPS_REPOS]: JSON.stringify([
        { envs: ['production'], url: base[ENV_GITOPS_REPO_URL], path: 'clusters/prod' },
      ]),
    });
    expect(repos.forEnv('production').path).toBe('clusters/prod');
    expect(repos.forEnv('staging').path).toBe('');
    expect(repos.keyOf(repos.forEnv('production'))).toBe(repos.keyOf(repos.forEnv('staging')));
    expect(repos.all()).toEqual([repos.forEnv('staging')]);
  });

  it.each([
    ['not JSON', '{', 'is not valid JSON'],
    [
      'an env twice',
      JSON.stringify([
        { envs: ['a'], url: 'https://x/1.git' },
        { envs: ['a'], url: 'https://x/2.git' },
      ]),
      'environment "a" is mapped twice',
    ],
    [
      'a token in the URL',
      JSON.stringify([{ envs: ['a'], url: 'https://u:t@x/1.git' }]),
      '[0].url must not carry credentials',
    ],
    [
      'a path that climbs',
      JSON.stringify([{ envs: ['a'], url: 'https://x/1.git', path: '../up' }]),
      '[0].path "../up"',
    ],
    [
      'a path with a . segment',
      JSON.stringify([{ envs: ['a'], url: 'https://x/1.git', path: 'clusters/./prod' }]),
      '[0].path "clusters/./prod"',
    ],
    [
      'two tokens for one repository',
      JSON.stringify([
        { envs: ['a'], url: 'https://x/1.git', path: 'one', tokenSecretId: 's1' },
        { envs: ['b'], url: 'https://x/1.git', path: 'two', tokenSecretId: 's2' },
      ]),
      '[1].tokenSecretId must be the same as for the other environments of https://x/1.git (main)',
    ],
    [
      'a token for a folder of the default repository',
      JSON.stringify([{ envs: ['a'], url: base[ENV_GITOPS_REPO_URL], path: 'one', tokenSecretId: 's1' }]),
      '[0].tokenSecretId must be the same',
    ],
    [
      'a bad env name',
      JSON.stringify([{ envs: ['Prod'], url: 'https://x/1.git' }]),
      '"Prod" is not a DNS-1123 label',
    ],
    [
      'an unknown field',
      JSON.stringify([{ envs: ['a'], url: 'https://x/1.git', repo: 'y' }]),
      '[0].repo is not a known field',
    ],
  ])('refuses %s, naming the entry and the field', (_, value, message) => {
    expect(() => loadGitopsRepos({ ...base, [ENV_GITOPS_REPOS]: value })).toThrow(message);
  });
});

import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact } from '../fixtures/artifacts.ts';
import { launchChromium, SCREENSHOTS } from '../support/browser.ts';
import { envKey, fluxEventBody, postFluxEvent, sign } from '../support/flux.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const KEY = 'flux-hmac-key-for-dashboard-tests';
const ENV = 'staging';
const APP = 'web';
const cm = (value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${APP}\ndata:\n  value: "${value}"\n`;
const release = (tag: string, value: string, message: string) =>
  artifact({ tag, event: 'tag', message, authorName: 'Ada Lovelace', url: 'https://ci.example.com/run/1' }, [
    { app: APP, env: ENV, manifests: cm(value) },
    { app: APP, env: 'production', manifests: cm(value) },
  ]);
/** Issue 16: the first load (page, script, stylesheet) stays under 150 KB gzipped. */
const FIRST_LOAD_BUDGET = 150 * 1024;

/**
 * The dashboard in a real headless Chromium against the whole local stack: what a person sees and can do,
 * and that hiding a button is never the only defence.
 */
describe('the dashboard in Chromium', () => {
  let t: TestStack;
  let browser: Browser;
  let viewerToken: string;
  let first: { sha: string; id: string };
  let second: { id: string };

  beforeAll(async () => {
    // Code in page.evaluate runs in the page; `globalThis as any` is its window (no DOM types here).
    [t, browser] = await Promise.all([startTestStack({ fluxHmacKey: KEY }), launchChromium()]);
    const viewer = await t.request('POST', '/api/user', { body: { login: 'vera', role: 'viewer' } });
    viewerToken = viewer.body.token;
    // v1.0.0 runs in staging (a release to roll back to); v1.1.0 waits to be deployed from the dashboard.
    const v1 = await t.ship(release('v1.0.0', '1', 'First release\n\nwith a body'));
    const deployed = await t.request('POST', '/api/releases', {
      body: { env: ENV, app: APP, artifactId: v1.id },
    });
    first = { sha: (await t.settle(deployed.body.id)).gitopsSha, id: v1.id };
    second = await t.ship(release('v1.1.0', '2', 'Faster checkout'));
    // A pull request's preview runs in staging too: the matrix lists it under staging, not as an app row.
    const pr = await t.ship(
      artifact({ event: 'pr', branch: 'feature-x', message: 'Try a new header' }, [
        { app: 'web-pr-7', env: ENV, manifests: cm('pr') },
      ]),
    );
    const preview = await t.request('POST', '/api/releases', {
      body: { env: ENV, app: 'web-pr-7', artifactId: pr.id },
    });
    await t.settle(preview.body.id);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signIn(token: string, viewport = { width: 1200, height: 760 }): Promise<Page> {
    const page = await (await browser.newContext({ viewport })).newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${t.url}/ui/`);
    // By keyboard: the token field takes focus once the page has rendered, Enter submits.
    await page.getByLabel('Ferry token').waitFor();
    await expect
      .poll(() => page.evaluate(() => (globalThis as any).document.activeElement?.id))
      .toBe('token');
    await page.keyboard.type(token);
    await page.keyboard.press('Enter');
    await page
      .getByRole('heading', { name: 'Environments' })
      .waitFor()
      .catch(async (error: Error) => {
        throw new Error(`${error.message}\npage says: ${await page.locator('body').innerText()}`);
      });
    return page;
  }

  it('signs in, shows the matrix, deploys with a dry-run diff, follows it live to succeeded, shows each release’s diff, promotes, rolls back and shows the hold', async () => {
    const page = await signIn(t.adminToken);
    // What the browser fetched for the first load, as sent over the wire (gzipped): under budget.
    const firstLoad = await page.evaluate(() => {
      const perf = (globalThis as any).performance;
      const entries = [...perf.getEntriesByType('navigation'), ...perf.getEntriesByType('resource')].filter(
        (e: any) => new URL(e.name).pathname.startsWith('/ui'),
      );
      return {
        files: entries.length,
        bytes: entries.reduce((n: number, e: any) => n + e.encodedBodySize, 0),
      };
    });
    process.stdout.write(`dashboard first load in Chromium: ${firstLoad.bytes} bytes over the wire\n`);
    expect(firstLoad.files).toBe(3);
    expect(firstLoad.bytes).toBeGreaterThan(0);
    expect(firstLoad.bytes).toBeLessThan(FIRST_LOAD_BUDGET);
    // The token lives in sessionStorage only, never in the URL or localStorage.
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('ferry.token'))).toBe(
      t.adminToken,
    );
    expect(await page.evaluate(() => (globalThis as any).localStorage.length)).toBe(0);
    expect(page.url()).not.toContain(t.adminToken);
    const cell = page.locator(`[data-cell="${ENV}/${APP}"]`);
    await expect.poll(() => cell.textContent()).toContain('v1.0.0');
    expect(await cell.textContent()).toContain('First release');
    expect(await cell.textContent()).toContain('Ada Lovelace');
    expect(await cell.getByRole('link', { name: 'CI' }).getAttribute('href')).toBe(
      'https://ci.example.com/run/1',
    );
    const previews = page.getByRole('region', { name: `previews in ${ENV}` });
    expect(await previews.textContent()).toContain('web-pr-7');
    expect(await page.locator('table.matrix').textContent()).not.toContain('web-pr-7');

    // v1.0.0 runs in staging, so for production the artifact offers a promotion, dry run first.
    await page.getByRole('link', { name: 'Artifacts' }).click();
    const promote = page.locator(`[data-artifact="${first.id}"] button[data-deploy="production"]`);
    await expect.poll(() => promote.textContent()).toBe(`Promote from ${ENV} to production (${APP})…`);
    await promote.click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.locator('pre.diff').textContent()).toContain('+  value: "1"');
    expect(await dialog.getByRole('heading').first().textContent()).toBe(
      `Promote v1.0.0: ${ENV} → production`,
    );
    await dialog.getByRole('region', { name: 'policy explanation' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // Deploy v1.1.0: the dialog shows the dry-run diff and what the policies say before anything is written.
    await page.locator(`[data-artifact="${second.id}"] button[data-deploy="${ENV}"]`).click();
    await expect.poll(() => dialog.locator('pre.diff').textContent()).toContain('+  value: "2"');
    expect(await dialog.locator('pre.diff').textContent()).toContain('-  value: "1"');
    const explain = dialog.getByRole('region', { name: 'policy explanation' });
    await expect.poll(() => explain.textContent()).toContain('No branch restriction blocks this release');
    expect(await explain.textContent()).toContain(`${ENV}/${APP}: not released automatically`);
    await page.screenshot({ path: join(SCREENSHOTS, 'deploy-dry-run.png') });
    await dialog.getByRole('button', { name: 'Confirm deploy' }).click();
    const tracker = dialog.locator('.tracker');
    await tracker.locator('[data-state="committed"]').first().waitFor();
    const id = (await tracker.getAttribute('data-request')) as string;
    const { body: committed } = await t.request('GET', `/api/releases/${id}`);
    await dialog.getByRole('button', { name: 'Close' }).click();

    // Live activity: the request sits at committed; Flux reports (signed as notification-controller
    // signs) and the same page, never reloaded, moves it to succeeded with the time of each state.
    await page.getByRole('link', { name: 'Activity' }).click();
    const item = page.locator(`article[data-request="${id}"]`);
    await item.locator('header [data-state="committed"]').waitFor();
    await page.evaluate(() => {
      (globalThis as any).notReloaded = true;
    });
    const event = fluxEventBody({
      reason: 'ReconciliationSucceeded',
      message: 'Reconciliation finished in 1.2s',
      metadata: { revision: `main@sha1:${committed.gitopsSha}` },
    });
    expect(
      (await postFluxEvent(t.url, event, { signature: sign(event, envKey(KEY, ENV)), query: `env=${ENV}` }))
        .status,
    ).toBe(200);
    await item.locator('header [data-state="succeeded"]').waitFor();
    expect(await page.evaluate(() => (globalThis as any).notReloaded)).toBe(true);
    expect(
      await item.locator('.timeline [data-state]').evaluateAll((els) => els.map((e) => e.textContent)),
    ).toEqual(expect.arrayContaining(['requested', 'committed', 'succeeded']));
    expect(await item.locator('.timeline time').count()).toBeGreaterThanOrEqual(3);

    // The app's history: who and why, and the diff each release made, opened by keyboard.
    await page.goto(`${t.url}/ui/#/apps/${ENV}/${APP}`);
    const latest = page.locator(`tr[data-gitops="${committed.gitopsSha}"]`);
    await expect.poll(() => latest.textContent()).toContain('manual deploy');
    expect(await latest.textContent()).toContain('admin');
    await latest.getByRole('button', { name: 'Diff' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => dialog.locator('pre.diff').textContent()).toContain('+  value: "2"');
    expect(await dialog.locator('pre.diff').textContent()).toContain('-  value: "1"');
    expect(await dialog.locator('.changes').textContent()).toContain(`modified ${ENV}/${APP}/`);
    await page.screenshot({ path: join(SCREENSHOTS, 'release-diff.png') });
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    // The first release's own diff: everything added.
    await page.locator(`tr[data-gitops="${first.sha}"]`).getByRole('button', { name: 'Diff' }).click();
    await expect.poll(() => dialog.locator('pre.diff').textContent()).toContain('+  value: "1"');
    await dialog.getByRole('button', { name: 'Close' }).click();

    // Promote what staging runs to production: dry-run diff and policy explanation, then the commit.
    await page.getByLabel('Promote what staging runs to').selectOption('production');
    await page.getByRole('button', { name: 'Promote…' }).click();
    await expect.poll(() => dialog.locator('pre.diff').textContent()).toContain('+  value: "2"');
    await expect
      .poll(() => dialog.getByRole('region', { name: 'policy explanation' }).textContent())
      .toContain('production/web');
    await dialog.getByRole('button', { name: 'Confirm promotion' }).click();
    await dialog.locator('.tracker [data-state="committed"]').first().waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.goto(`${t.url}/ui/#/apps/production/${APP}`);
    await expect
      .poll(() => page.locator('table.history tbody').textContent())
      .toContain('promotion from staging');

    // Roll back staging to v1.0.0 from the app's history: the dialog says it holds automation.
    await page.goto(`${t.url}/ui/#/apps/${ENV}/${APP}`);
    const row = page.locator(`tr[data-gitops="${first.sha}"]`);
    await row.getByRole('button', { name: 'Roll back to this' }).click();
    await expect.poll(() => dialog.textContent()).toContain('holds automatic releases');
    await dialog.getByRole('button', { name: 'Roll back and hold' }).click();
    await dialog.locator('.tracker [data-state="committed"]').first().waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    const hold = page.locator('[data-hold]');
    await expect.poll(() => hold.textContent()).toContain('rolled back to');
    expect(await hold.getByRole('button', { name: 'Resume automatic releases' }).count()).toBe(1);
    await expect
      .poll(() => page.locator('table.history tbody tr').first().textContent())
      .toContain('rollback to');
    await page.screenshot({ path: join(SCREENSHOTS, 'app-held.png') });

    // The matrix shows v1.0.0 running again, held.
    await page.getByRole('link', { name: 'Environments' }).click();
    await expect.poll(() => cell.textContent()).toContain('v1.0.0');
    expect(await cell.locator('.badge.held').count()).toBe(1);
    // The state is the rollback's own (committed), not that of the release it restored (succeeded).
    expect(await cell.locator('[data-state]').textContent()).toBe('committed');
    await page.screenshot({ path: join(SCREENSHOTS, 'matrix.png') });
  }, 90_000);

  it('lets an admin edit policies, branch restrictions, holds and users, and read the audit log', async () => {
    const page = await signIn(t.adminToken);
    await page.getByRole('link', { name: 'Policies' }).click();
    const form = page.getByRole('form', { name: 'add a policy' });
    // A branch restriction for production…
    await form.getByLabel('Kind').selectOption('branch-restriction');
    await form.getByLabel('Environment').fill('production');
    await form.getByLabel('Branch (regular expression)').fill('^main$');
    await form.getByRole('button', { name: 'Save policy' }).click();
    await page.locator('tr[data-policy="branch-restriction.production.*"]').waitFor();
    // …refuses an auto-release from a pattern there, in words; one branch is accepted.
    await form.getByLabel('Kind').selectOption('auto-release');
    await form.getByLabel('App').fill(APP);
    await form.getByLabel('Branch (name or glob)').fill('release/*');
    await form.getByRole('button', { name: 'Save policy' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toContain('must name one branch');
    await form.getByLabel('Branch (name or glob)').fill('main');
    await form.getByRole('button', { name: 'Save policy' }).click();
    const rule = page.locator(`tr[data-policy="auto-release.${APP}.production"]`);
    await expect.poll(() => rule.textContent()).toContain('main');
    expect((await t.request('GET', '/api/policies')).body.map((p: { id: string }) => p.id)).toEqual(
      expect.arrayContaining(['branch-restriction.production.*', `auto-release.${APP}.production`]),
    );
    // A push from main now releases to production by itself; its history names the rule that matched.
    await t.ship(
      artifact({ message: 'Released by policy' }, [{ app: APP, env: 'production', manifests: cm('3') }]),
    );
    await page.goto(`${t.url}/ui/#/apps/production/${APP}`);
    await expect
      .poll(() => page.locator('table.history tbody tr').first().textContent(), { timeout: 20_000 })
      .toContain(`policy: auto-release ${APP} → production: branch main matches "main"`);
    expect(await page.locator('table.history tbody tr').first().textContent()).toContain(
      'Released by policy',
    );
    await page.getByRole('link', { name: 'Policies' }).click();
    // Removing asks once more, in place.
    await rule.getByRole('button', { name: 'Remove' }).click();
    await rule.getByRole('button', { name: 'Yes, remove' }).click();
    await expect.poll(() => rule.count()).toBe(0);
    // The hold the rollback left is listed and lifted from here.
    const held = page.locator(`li[data-hold="${ENV}/${APP}"]`);
    await held.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => held.count()).toBe(0);
    expect((await t.request('GET', `/api/status?env=${ENV}&app=${APP}`)).body[APP].hold).toBeUndefined();
    await page.screenshot({ path: join(SCREENSHOTS, 'policies.png'), fullPage: true });

    // Users: add one (its token shown once, and it works), then remove it (the token stops working).
    await page.getByRole('link', { name: 'Users' }).click();
    const add = page.getByRole('form', { name: 'add a user' });
    await add.getByLabel('Login').fill('otto');
    await add.getByLabel('Role').selectOption('deployer');
    await add.getByLabel('Environments').fill('staging');
    await add.getByRole('button', { name: 'Add user' }).click();
    const issued = page.locator('[data-issued="otto"] code');
    await issued.waitFor();
    const token = (await issued.textContent()) as string;
    const me = await t.request('GET', '/api/me', { token });
    expect(me.body).toMatchObject({ login: 'otto', role: 'deployer', environments: ['staging'] });
    expect(page.url()).not.toContain(token);
    const user = page.locator('tr[data-user="otto"]');
    await expect.poll(() => user.textContent()).toContain('staging');
    await user.getByRole('button', { name: 'Remove' }).click();
    await user.getByRole('button', { name: 'Yes, remove' }).click();
    await expect.poll(() => user.count()).toBe(0);
    expect((await t.request('GET', '/api/me', { token })).status).toBe(401);

    // The audit log names all of it.
    await page.getByRole('link', { name: 'Audit' }).click();
    const audit = page.locator('table.audit');
    await expect.poll(() => audit.textContent()).toContain('policy.apply');
    for (const action of ['policy.delete', 'user.create', 'user.delete', 'release.rollback']) {
      expect(await audit.textContent()).toContain(action);
    }
  }, 45_000);

  it('offers a viewer no actions, and the API refuses one forged from the page', async () => {
    const page = await signIn(viewerToken);
    await page.locator(`[data-cell="${ENV}/${APP}"]`).waitFor();
    const actions = page.getByRole('button', { name: /deploy|roll back|resume|promote|remove/i });
    expect(await actions.count()).toBe(0);
    await page.goto(`${t.url}/ui/#/apps/${ENV}/${APP}`);
    await page.locator('table.history tbody tr').first().waitFor();
    expect(await actions.count()).toBe(0);
    // Details opens a dialog that holds the focus; Escape closes it.
    await page.getByRole('button', { name: 'Details' }).first().click();
    await page.getByRole('dialog').locator('.timeline').waitFor();
    expect(
      await page.evaluate(() => !!(globalThis as any).document.activeElement?.closest('[role="dialog"]')),
    ).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await page.getByRole('link', { name: 'Artifacts' }).click();
    await page.locator(`[data-artifact="${second.id}"]`).waitFor();
    expect(await actions.count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Audit' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Policies' }).click();
    await page.getByRole('heading', { name: 'Policies and holds' }).waitFor();
    expect(await page.getByRole('form').count()).toBe(0);
    expect(await actions.count()).toBe(0);
    // Forbidden, readably: a viewer who types the audit view's address is told what its role may not do.
    await page.goto(`${t.url}/ui/#/audit`);
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('Not allowed');
    expect(await page.getByRole('alert').first().textContent()).toContain('role viewer may not audit read');

    const status = await page.evaluate(
      async ({ env, app, sha }) => {
        const res = await fetch('/api/rollback', {
          method: 'POST',
          headers: {
            authorization: `Bearer ${(globalThis as any).sessionStorage.getItem('ferry.token')}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ env, app, sha }),
        });
        return res.status;
      },
      { env: ENV, app: APP, sha: first.sha },
    );
    expect(status).toBe(403);
  });

  it('says plainly when a token is refused, when it expires mid-session and when Ferry is unreachable', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${t.url}/ui/`);
    await page.getByLabel('Ferry token').fill('ferry_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not accepted');
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.length)).toBe(0);

    // A token that expires while the page is open: the next call says so and goes back to sign-in.
    const expiresAt = Date.now() + 6000;
    const shortLived = await t.request('POST', '/api/user', {
      body: { login: 'brief', role: 'viewer', expiresAt: new Date(expiresAt).toISOString() },
    });
    const expiring = await signIn(shortLived.body.token);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now() + 200)));
    // The next call: a view change, unless the page's own polling got there first and already left the
    // view (a click on its nav link would then wait for a link that is gone).
    await expiring.evaluate(() => {
      (globalThis as any).location.hash = '#/policies';
    });
    await expect.poll(() => expiring.getByRole('alert').textContent()).toContain('token expired at');
    expect(await expiring.getByLabel('Ferry token').count()).toBe(1);

    // Ferry unreachable: the last view stays, with a note saying so.
    const other = await signIn(viewerToken, { width: 390, height: 844 });
    await other.locator(`[data-cell="${ENV}/${APP}"]`).waitFor();
    // Phone width: nothing wider than the screen.
    expect(
      await other.evaluate(() => {
        const { document, innerWidth } = globalThis as any;
        return document.documentElement.scrollWidth <= innerWidth;
      }),
    ).toBe(true);
    await other.screenshot({ path: join(SCREENSHOTS, 'matrix-phone.png'), fullPage: true });
    await other.route('**/api/**', (route) => route.abort('connectionrefused'));
    await other.getByRole('link', { name: 'Policies' }).click();
    await expect.poll(() => other.getByRole('alert').first().textContent()).toContain('unreachable');
    await other.unroute('**/api/**');

    // The viewer's token is revoked: the next call answers 401 and the page goes back to sign-in.
    expect((await t.request('DELETE', '/api/user/vera')).status).toBe(204);
    await other.getByRole('link', { name: 'Activity' }).click();
    await expect.poll(() => other.getByRole('alert').textContent()).toContain('not accepted');
    expect(await other.getByLabel('Ferry token').count()).toBe(1);
    expect(await other.evaluate(() => (globalThis as any).sessionStorage.getItem('ferry.token'))).toBeNull();
  }, 45_000);
});

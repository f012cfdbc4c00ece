import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.ts';
import { gitopsCommitUrl, safeUrl, sourceCommitUrl, stateTone, time } from './format.ts';
import type { Release, StateChange } from './types.ts';

export { html };

/** A failed refresh waits twice as long as the last one, up to this; the first success restores the pace. */
export const MAX_BACKOFF_MS = 60_000;

/**
 * Loads with `load` now and then every `everyMs` (0: once) while the page is visible; keeps the last good
 * data through a failed refresh so a network blip shows a note instead of blanking the view. After a
 * failure the next refresh waits twice as long (up to a minute), so an unreachable Ferry is not hammered.
 */
export function usePoll<T>(load: () => Promise<T>, deps: unknown[], everyMs = 0) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const alive = useRef(true);
  const failures = useRef(0);
  const refresh = useCallback(async () => {
    try {
      const value = await load();
      if (!alive.current) return;
      failures.current = 0;
      setData(value);
      setError(undefined);
    } catch (e) {
      failures.current += 1;
      if (alive.current) setError(e instanceof ApiError ? e : new ApiError('refused', 0, String(e)));
    }
  }, deps);
  useEffect(() => {
    alive.current = true;
    failures.current = 0;
    setData(undefined);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const next = () => {
      if (!everyMs || !alive.current) return;
      const wait = Math.min(everyMs * 2 ** failures.current, Math.max(everyMs, MAX_BACKOFF_MS));
      timer = setTimeout(async () => {
        if (document.visibilityState === 'visible') await refresh();
        next();
      }, wait);
    };
    void refresh().then(next);
    return () => {
      alive.current = false;
      if (timer) clearTimeout(timer);
    };
  }, [refresh, everyMs]);
  return { data, error, refresh };
}

export const State = ({ state, reason }: { state?: string; reason?: string }) =>
  state
    ? html`<span class=${`badge ${stateTone(state)}`} data-state=${state} title=${reason ?? state}>${state}</span>`
    : null;

export const Timeline = ({ states }: { states: StateChange[] }) => html`
  <ol class="timeline" aria-label="state timeline">
    ${states.map(
      (s) => html`<li class=${stateTone(s.state)}>
        <${State} state=${s.state} /> <time datetime=${s.at}>${time(s.at)}</time>
        ${s.reason ? html` <span class="reason">${s.reason}</span>` : null}
      </li>`,
    )}
  </ol>`;

export const ErrorNote = ({ error }: { error?: ApiError | undefined }) =>
  error ? html`<p class=${`error ${error.kind}`} role="alert">${error.message}</p>` : null;

export const Loading = () => html`<p class="muted" aria-busy="true">Loading…</p>`;

/** CI, source and gitops commit links for a running release; only those that can be built. */
export function Links({ release }: { release: Release }) {
  const ci = safeUrl(release.version?.url);
  const source = sourceCommitUrl(release.version);
  const gitops = gitopsCommitUrl(release.gitopsRepo, release.gitopsRef);
  return html`<span class="links">
    ${ci ? html`<a href=${ci} target="_blank" rel="noopener noreferrer">CI</a>` : null}
    ${source ? html`<a href=${source} target="_blank" rel="noopener noreferrer">source</a>` : null}
    ${
      gitops
        ? html`<a href=${gitops} target="_blank" rel="noopener noreferrer">gitops</a>`
        : html`<span class="sha" title=${`gitops commit ${release.gitopsRef}`}>${release.gitopsRef.slice(0, 7)}</span>`
    }
  </span>`;
}

/** A modal that takes focus on open, keeps Tab inside, and closes on Escape. */
export function Modal({
  title,
  onClose,
  children,
}: {
  title: string;
  onClose: () => void;
  children: unknown;
}) {
  const box = useRef<HTMLDivElement>(null);
  // Parents re-render on every poll with a new onClose; focus must be taken once, not at each render.
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const first = box.current?.querySelector<HTMLElement>('[autofocus], button, input, select, textarea');
    first?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') close.current();
      if (e.key !== 'Tab' || !box.current) return;
      const focusable = [
        ...box.current.querySelectorAll<HTMLElement>('button, a[href], input, select, textarea'),
      ];
      const [head, tail] = [focusable[0], focusable.at(-1)];
      if (e.shiftKey && document.activeElement === head) {
        e.preventDefault();
        tail?.focus();
      } else if (!e.shiftKey && document.activeElement === tail) {
        e.preventDefault();
        head?.focus();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      before?.focus();
    };
  }, []);
  return html`<div class="backdrop" onClick=${(e: MouseEvent) => e.target === e.currentTarget && onClose()}>
    <div class="modal" role="dialog" aria-modal="true" aria-label=${title} ref=${box}>
      <h2>${title}</h2>
      ${children}
    </div>
  </div>`;
}

const lineClass = (line: string) =>
  line.startsWith('+++') || line.startsWith('---')
    ? 'file'
    : line.startsWith('@@')
      ? 'hunk'
      : line.startsWith('+')
        ? 'add'
        : line.startsWith('-')
          ? 'del'
          : undefined;

/** A unified diff, one span a line so additions and removals are told apart by more than colour (+/-). */
export const Diff = ({ text, label }: { text: string; label: string }) =>
  html`<pre class="diff" tabindex="0" aria-label=${label}>${
    text
      ? text
          .replace(/\n$/, '')
          .split('\n')
          .map((line) => html`<span class=${lineClass(line)}>${`${line}\n`}</span>`)
      : '(no differences)'
  }</pre>`;

import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.ts';
import { gitopsCommitUrl, safeUrl, sourceCommitUrl, stateTone, time } from './format.ts';
import type { Release, StateChange } from './types.ts';

export { html };

/**
 * Loads with `load` now and then every `everyMs` (0: once) while the page is visible; keeps the last good
 * data through a failed refresh so a network blip shows a note instead of blanking the view.
 */
export function usePoll<T>(load: () => Promise<T>, deps: unknown[], everyMs = 0) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const alive = useRef(true);
  const refresh = useCallback(async () => {
    try {
      const value = await load();
      if (!alive.current) return;
      setData(value);
      setError(undefined);
    } catch (e) {
      if (alive.current) setError(e instanceof ApiError ? e : new ApiError('refused', 0, String(e)));
    }
  }, deps);
  useEffect(() => {
    alive.current = true;
    setData(undefined);
    void refresh();
    const timer = everyMs
      ? setInterval(() => {
          if (document.visibilityState === 'visible') void refresh();
        }, everyMs)
      : undefined;
    return () => {
      alive.current = false;
      if (timer) clearInterval(timer);
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

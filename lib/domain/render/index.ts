export { RenderError } from './errors.ts';
export { type RenderedFile, renderManifest } from './render.ts';
export { resolveManifest } from './resolve.ts';
export { renderTemplate, sanitizeDnsName } from './template.ts';

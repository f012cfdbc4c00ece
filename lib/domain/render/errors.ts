import { ValidationError } from '../errors.ts';

/**
 * A manifest that cannot be turned into gitops files: a template that does not resolve, a name that is not
 * a DNS label once rendered, YAML that is not Kubernetes objects. The artifact is at fault, never the
 * server, so it is a ValidationError (400 at the HTTP door) and a worker must not retry it.
 */
export class RenderError extends ValidationError {}

/**
 * A template problem not yet tied to a field: template.ts catches it and throws a RenderError whose message
 * starts with the field path, so helpers and the parser need not carry paths around.
 */
export class TemplateProblem extends ValidationError {}

/**
 * The log level variable, in a module of its own: the logger is in every bundle, and lib/config/env.ts
 * would bring its validation (and yaml) into bundles that read no other setting.
 */
export const ENV_LOG_LEVEL = 'FERRY_LOG_LEVEL';

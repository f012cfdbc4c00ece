/** Items of Flux events as received (pk `FLUXEVENT#<env>`); see the store below. */
export const FLUX_EVENT_PREFIX = 'FLUXEVENT#';

/**
 * The action ids of the Approve and Reject buttons on a release message: the notifier puts them on the
 * buttons, the interactivity route reads them back. A module of their own, so the API function that
 * receives button presses does not carry the message templates (and Handlebars) to know two strings.
 */
export const APPROVE_ACTION = 'ferry-approve';
export const REJECT_ACTION = 'ferry-reject';

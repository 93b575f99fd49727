/**
 * Limits the server enforces and the browser respects. Documented in docs/api.md.
 */

/**
 * Largest WebSocket message the sync server accepts. A 2 MB paste becomes an update of about
 * the same size (Yjs stores strings as UTF-8), so 8 MiB leaves room for multi-byte text.
 */
export const MAX_SYNC_MESSAGE_BYTES = 8 * 1024 * 1024;

/** Largest awareness (presence) state one client may publish, as JSON. */
export const MAX_AWARENESS_STATE_BYTES = 16 * 1024;

/** Largest JSON body the HTTP API accepts. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/** Longest incident title, entry text in one add, annotation, and user fields (characters). */
export const MAX_TITLE_LENGTH = 200;
export const MAX_NAME_LENGTH = 100;
export const MAX_EMAIL_LENGTH = 254;
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 1024;

/** How many log events one page of `GET /api/incidents/:id/log` returns at most. */
export const MAX_LOG_PAGE = 1000;

/** Longest checklist step label (templates and steps added in the room). */
export const MAX_CHECKLIST_LABEL = MAX_TITLE_LENGTH;

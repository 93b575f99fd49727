/**
 * WebSocket close codes the sync server uses, shared with the browser so the room can say what
 * happened. The stock y-websocket client treats 4400–4499 as final (it stops reconnecting and
 * emits `closed`) and every other code as transient, so the ranges below are chosen for that:
 * 44xx when reconnecting cannot help, 45xx when a reconnect (and resync) is the cure.
 */
export const CLOSE_CODES = {
	/** The server is shutting down or restarting; reconnect. (RFC 6455 "going away".) */
	GOING_AWAY: 1001,
	/** A message could not be decoded or broke the protocol. Reconnecting would repeat it. */
	BAD_MESSAGE: 4400,
	/** The session ended or was never valid. */
	UNAUTHORIZED: 4401,
	/** The connection may not do what it tried (for example write under another user's clientID). */
	FORBIDDEN: 4403,
	/** The incident does not exist (or is not visible to this user). */
	NOT_FOUND: 4404,
	/** This user was removed from a restricted incident (or it became restricted without them). */
	REMOVED: 4410,
	/** A message was larger than the server accepts. */
	TOO_LARGE: 4413,
	/** The incident is closed (archived): its document is frozen and changes are refused. */
	INCIDENT_CLOSED: 4423,
	/** A change would have taken the server too long to apply (crafted to be expensive). */
	TOO_COSTLY: 4422,
	/** The connection sent more, or more costly, messages than the server accepts. */
	TOO_MANY: 4429,
	/** The server could not keep this room consistent (for example a commit failed for good); reconnect and resync. */
	RESYNC: 4500,
	/** This user's access changed (for example their role); reconnect to continue with the new access. */
	ACCESS_CHANGED: 4501,
	/** The server is overloaded or the database is unavailable for too long; reconnect later. */
	TRY_AGAIN: 4503
} as const;

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/** Words for the room's status line, keyed by close code. */
export const CLOSE_REASONS: Record<number, string> = {
	[CLOSE_CODES.GOING_AWAY]: 'The server is restarting; reconnecting.',
	[CLOSE_CODES.BAD_MESSAGE]: 'The server refused a malformed message from this tab. Reload to continue.',
	[CLOSE_CODES.UNAUTHORIZED]: 'Your session has ended. Sign in again.',
	[CLOSE_CODES.FORBIDDEN]: 'The server refused a change from this tab. Reload to continue.',
	[CLOSE_CODES.NOT_FOUND]: 'This incident does not exist or you may not see it.',
	[CLOSE_CODES.REMOVED]: 'You were removed from this incident.',
	[CLOSE_CODES.ACCESS_CHANGED]: 'Your access changed; reconnecting with it.',
	[CLOSE_CODES.TOO_LARGE]: 'A change was too large for the server. Reload to continue.',
	[CLOSE_CODES.INCIDENT_CLOSED]: 'This incident is closed: it is read-only now. Changes made after it closed were not saved.',
	[CLOSE_CODES.TOO_COSTLY]: 'The server refused a change that would have taken it too long to apply. Reload to continue.',
	[CLOSE_CODES.TOO_MANY]: 'This tab sent more than the server accepts at once. Reload to continue.',
	[CLOSE_CODES.RESYNC]: 'The server asked this tab to resync; reconnecting.',
	[CLOSE_CODES.TRY_AGAIN]: 'The server is busy; reconnecting.'
};

/** True when the stock y-websocket client will not reconnect after this code. */
export function isFinalCloseCode(code: number): boolean {
	return code >= 4400 && code < 4500;
}

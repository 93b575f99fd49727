/**
 * Expected failures of the JSON API. Every error response is `{error: {code, message}}` with a
 * stable `code` a script can branch on and a `message` a person can act on.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export class ApiError extends Error {
	override name = 'ApiError';
	constructor(
		readonly status: ContentfulStatusCode,
		readonly code: string,
		message: string,
		/** Further fields of the error object (for example the list of missing closing gates). */
		readonly details: Record<string, unknown> = {}
	) {
		super(message);
	}

	toJSON(): { error: { code: string; message: string } & Record<string, unknown> } {
		return { error: { ...this.details, code: this.code, message: this.message } };
	}
}

export const unauthenticated = () => new ApiError(401, 'unauthenticated', 'sign in first');
export const forbidden = (message = 'you may not do this') => new ApiError(403, 'forbidden', message);
export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

/**
 * Cross-site request forgery guard for the JSON API: a state-changing request from a browser
 * must come from our own pages. Browsers send Origin (and Sec-Fetch-Site) on such requests;
 * scripts using curl send neither and are let through, since they must hold a session anyway.
 */
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './api-error';
import type { AppEnv } from './context';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function sameOrigin(publicUrl: string | undefined): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		if (!SAFE.has(c.req.method)) {
			const origin = c.req.header('origin');
			const site = c.req.header('sec-fetch-site');
			// With a public URL configured, that is the only origin; otherwise the Host the browser used.
			const allowed = publicUrl ? origin === publicUrl : origin !== undefined && sameHost(origin, c.req.header('host'));
			if (origin !== undefined && !allowed) {
				throw new ApiError(403, 'cross_origin', `requests from ${origin} are not accepted`);
			}
			if (origin === undefined && site !== undefined && site !== 'same-origin' && site !== 'none') {
				throw new ApiError(403, 'cross_origin', 'cross-site requests are not accepted');
			}
		}
		await next();
	};
}

/** Origin `http://h:p` against the Host header `h:p` the browser sent this request to. */
function sameHost(origin: string, host: string | undefined): boolean {
	if (!host) return false;
	try {
		return new URL(origin).host === host;
	} catch {
		return false;
	}
}

/**
 * Which browser origins may act on this server: cross-site request forgery on the JSON API and
 * cross-site WebSocket hijacking on /sync. A browser always sends Origin on a WebSocket upgrade
 * and on state-changing fetches; scripts using curl or a Node client send none and are let through,
 * since they must hold a session anyway.
 *
 * Allowed: the configured public URL (if set), else the origin matching the Host the browser
 * used, and in both cases any origin in VIGILES_ALLOWED_ORIGINS.
 */
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './api-error';
import type { AppEnv } from './context';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface OriginPolicy {
	publicUrl: string | undefined;
	allowedOrigins: readonly string[];
}

/** True when a request carrying this Origin (and sent to this Host) may act. */
export function originAllowed(policy: OriginPolicy, origin: string, host: string | undefined): boolean {
	if (policy.allowedOrigins.includes(origin)) return true;
	if (policy.publicUrl) return origin === policy.publicUrl;
	return sameHost(origin, host);
}

export function sameOrigin(policy: OriginPolicy): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		if (!SAFE.has(c.req.method)) {
			const origin = c.req.header('origin');
			const site = c.req.header('sec-fetch-site');
			if (origin !== undefined && !originAllowed(policy, origin, c.req.header('host'))) {
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

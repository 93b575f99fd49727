/**
 * Security headers for pages and the stakeholder link's responses.
 *
 * Every HTML page gets a Content-Security-Policy header: the policy SvelteKit writes into the
 * built page (with the hash of its one inline script) plus `frame-ancestors 'none'`, which a
 * <meta> policy cannot express. A stakeholder link's page (/share) and its API (/api/share/*)
 * also send no referrer (the token is in the URL's fragment, but the page must not leak even
 * where it came from), ask robots not to index, and forbid caching.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './context';

const FALLBACK_CSP = "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'";
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** The policy the built UI declares for itself, read once from its index.html. */
export function builtPagePolicy(uiDir: string | null): string {
	let policy = FALLBACK_CSP;
	if (uiDir) {
		try {
			const html = fs.readFileSync(path.join(uiDir, 'index.html'), 'utf8');
			const match = /<meta http-equiv="content-security-policy" content="([^"]+)"/i.exec(html);
			if (match) policy = match[1];
		} catch {
			// no built UI: the fallback policy
		}
	}
	return `${policy}; frame-ancestors 'none'`;
}

export function pageHeaders(uiDir: string | null): MiddlewareHandler<AppEnv> {
	const pagePolicy = builtPagePolicy(uiDir);
	return async (c, next) => {
		await next();
		const isLinkPage = c.req.path === '/share' || c.req.path.startsWith('/share/');
		const isLinkApi = c.req.path.startsWith('/api/share/');
		if (c.res.headers.get('content-type')?.startsWith('text/html')) c.header('Content-Security-Policy', pagePolicy);
		else if (isLinkApi) c.header('Content-Security-Policy', API_CSP);
		if (isLinkPage || isLinkApi) {
			c.header('Referrer-Policy', 'no-referrer');
			c.header('X-Robots-Tag', 'noindex, nofollow');
			c.header('Cache-Control', 'no-store');
		}
	};
}

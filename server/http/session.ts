/**
 * The session cookie: HttpOnly, SameSite=Lax, Secure when Vigiles is served over https.
 * `loadSession` runs on every API request; `requireUser` / `requireAdmin` guard routes.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { SessionStore } from '../auth/session-store';
import type { User } from '../users/user-store';
import type { Incident, IncidentStore } from '../incidents/incident-store';
import { forbidden, notFound, unauthenticated } from './api-error';
import type { AppEnv } from './context';

export const SESSION_COOKIE = 'vigiles_session';

/** Reads the session token from a Cookie header (used by the WebSocket upgrade, which has no Hono context). */
export function sessionTokenFromCookieHeader(header: string | undefined): string | null {
	if (!header) return null;
	for (const part of header.split(';')) {
		const eq = part.indexOf('=');
		if (eq === -1) continue;
		if (part.slice(0, eq).trim() === SESSION_COOKIE) {
			try {
				return decodeURIComponent(part.slice(eq + 1).trim());
			} catch {
				return null;
			}
		}
	}
	return null;
}

export function loadSession(sessions: SessionStore): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		const token = getCookie(c, SESSION_COOKIE);
		c.set('session', token ? await sessions.lookup(token) : null);
		await next();
	};
}

export function isHttps(c: Context, publicUrl: string | undefined): boolean {
	if (publicUrl) return publicUrl.startsWith('https://');
	return new URL(c.req.url).protocol === 'https:';
}

export function setSessionCookie(c: Context, token: string, expiresAt: Date, secure: boolean): void {
	setCookie(c, SESSION_COOKIE, token, { httpOnly: true, sameSite: 'Lax', secure, path: '/', expires: expiresAt });
}

export function clearSessionCookie(c: Context, secure: boolean): void {
	deleteCookie(c, SESSION_COOKIE, { path: '/', secure, httpOnly: true, sameSite: 'Lax' });
}

export function currentToken(c: Context): string | undefined {
	return getCookie(c, SESSION_COOKIE);
}

export function requireUser(c: Context<AppEnv>): User {
	const session = c.get('session');
	if (!session) throw unauthenticated();
	return session.user;
}

export function requireAdmin(c: Context<AppEnv>): User {
	const user = requireUser(c);
	if (user.role !== 'admin') throw forbidden('only an admin may do this');
	return user;
}

/** The incident named by `:id` if the signed-in user may see it; otherwise 404, exactly as if it did not exist. */
export async function requireVisibleIncident(c: Context<AppEnv>, incidents: IncidentStore): Promise<Incident> {
	const user = requireUser(c);
	const incident = await incidents.getVisible(c.req.param('id') ?? '', user.id);
	if (!incident) throw notFound('incident');
	return incident;
}

/** Observers read; they never write. */
export function requireWriter(c: Context<AppEnv>): User {
	const user = requireUser(c);
	if (user.role === 'observer') throw forbidden('observers may read but not change incidents');
	return user;
}

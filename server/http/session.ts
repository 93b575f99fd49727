/**
 * The session cookie: HttpOnly, SameSite=Lax, Secure when Vigiles is served over https.
 * `loadSession` runs on every API request; `requireUser` / `requireAdmin` guard routes.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { tokenSessionId, type ApiTokenStore } from '../auth/api-token-store';
import type { SessionStore, SessionUser } from '../auth/session-store';
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

/** The token of an `Authorization: Bearer …` header, if any. */
export function bearerToken(header: string | undefined): string | null {
	const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
	return match ? match[1] : null;
}

/**
 * Who is asking: an API token (`Authorization: Bearer vgt_…`, for scripts) or else the session
 * cookie (browsers). A token's requests are tracked under `token:<id>` so revoking it closes them.
 */
export async function resolveCaller(
	sessions: SessionStore,
	tokens: ApiTokenStore,
	authorization: string | undefined,
	sessionToken: string | null | undefined
): Promise<SessionUser | null> {
	const bearer = bearerToken(authorization);
	if (bearer) {
		const found = await tokens.lookup(bearer);
		return found ? { sessionId: tokenSessionId(found.tokenId), user: found.user } : null;
	}
	return sessionToken ? sessions.lookup(sessionToken) : null;
}

export function loadSession(sessions: SessionStore, tokens: ApiTokenStore): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		c.set('session', await resolveCaller(sessions, tokens, c.req.header('authorization'), getCookie(c, SESSION_COOKIE)));
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

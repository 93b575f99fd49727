/**
 * Sign-in, sign-out, the current user, and the one-time first-admin setup.
 */
import type { IncomingMessage } from 'node:http';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { MAX_EMAIL_LENGTH, MAX_NAME_LENGTH, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../src/lib/shared/limits';
import type { User } from '../users/user-store';
import { ApiError } from './api-error';
import type { AppDeps, AppEnv } from './context';
import { readBody, storable } from './read-body';
import { clearSessionCookie, currentToken, isHttps, requireUser, setSessionCookie } from './session';

export const emailField = z
	.email({ error: 'must be an email address' })
	.max(MAX_EMAIL_LENGTH)
	.refine(...storable);
export const nameField = z
	.string()
	.trim()
	.min(1, 'must not be empty')
	.max(MAX_NAME_LENGTH)
	.refine(...storable);
export const passwordField = z
	.string()
	.min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
	.max(MAX_PASSWORD_LENGTH);

const loginBody = z.object({
	email: z.string().max(MAX_EMAIL_LENGTH),
	password: z.string().max(MAX_PASSWORD_LENGTH)
});

const passwordChangeBody = z.object({
	currentPassword: z.string().max(MAX_PASSWORD_LENGTH),
	newPassword: passwordField
});

/** The address a request came from (the TCP peer; a proxy in front of Vigiles is one address). */
export function clientAddress(c: Context): string {
	return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress ?? 'unknown';
}

const setupBody = z.object({
	token: z.string().min(1).max(200),
	email: emailField,
	name: nameField,
	password: passwordField
});

export function publicUser(user: User) {
	return { id: user.id, email: user.email, name: user.name, role: user.role, disabled: user.disabledAt !== null };
}

export function authRoutes(deps: AppDeps): Hono<AppEnv> {
	const app = new Hono<AppEnv>();

	app.post('/auth/login', async (c) => {
		const body = await readBody(c, loginBody);
		const address = clientAddress(c);
		const wait = deps.loginThrottle.retryAfter(body.email, address);
		if (wait > 0) {
			c.header('Retry-After', String(Math.ceil(wait / 1000)));
			throw new ApiError(429, 'too_many_attempts', `too many sign-in attempts; try again in ${Math.ceil(wait / 1000)} s`);
		}
		const user = await deps.users.authenticate(body.email, body.password);
		if (!user) {
			deps.loginThrottle.failed(body.email, address);
			throw new ApiError(401, 'invalid_credentials', 'the email or password is not right');
		}
		deps.loginThrottle.succeeded(body.email);
		const session = await deps.sessions.create(user.id);
		setSessionCookie(c, session.token, session.expiresAt, isHttps(c, deps.publicUrl));
		return c.json({ user: publicUser(user) });
	});

	app.post('/auth/logout', async (c) => {
		const token = currentToken(c);
		if (token) await deps.sessions.revoke(token);
		clearSessionCookie(c, isHttps(c, deps.publicUrl));
		const session = c.get('session');
		if (session) deps.connections.closeSession(session.sessionId);
		return c.json({ ok: true });
	});

	app.get('/me', (c) => c.json({ user: publicUser(requireUser(c)) }));

	/** Changing one's password ends every other session of the account and closes its sockets. */
	app.post('/me/password', async (c) => {
		const user = requireUser(c);
		const body = await readBody(c, passwordChangeBody);
		if (!(await deps.users.passwordMatches(user.id, body.currentPassword))) {
			throw new ApiError(403, 'invalid_credentials', 'the current password is not right');
		}
		await deps.users.setPassword(user.id, body.newPassword);
		const session = c.get('session');
		for (const ended of await deps.sessions.revokeAllOf(user.id, session?.sessionId)) deps.connections.closeSession(ended, 'the password changed');
		deps.logger.info('password changed', { userId: user.id });
		return c.json({ ok: true });
	});

	app.get('/setup', async (c) => c.json({ needed: deps.setupToken.active && (await deps.users.count()) === 0 }));

	app.post('/setup', async (c) => {
		const body = await readBody(c, setupBody);
		if (!deps.setupToken.consume(body.token)) {
			throw new ApiError(403, 'setup_unavailable', 'this setup link is not valid any more; an admin already exists or the server restarted');
		}
		let user: User | null;
		try {
			user = await deps.users.createFirstAdmin(body);
		} catch (error) {
			deps.setupToken.restore(body.token);
			throw error;
		}
		if (!user) throw new ApiError(403, 'setup_unavailable', 'an admin already exists; sign in instead');
		deps.logger.info('first admin created through the setup link', { userId: user.id });
		const session = await deps.sessions.create(user.id);
		setSessionCookie(c, session.token, session.expiresAt, isHttps(c, deps.publicUrl));
		return c.json({ user: publicUser(user) }, 201);
	});

	return app;
}

/**
 * Admins list and add users.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { EmailTakenError, ROLES } from '../users/user-store';
import { CLOSE_CODES } from '../../src/lib/shared/close-codes';
import { ApiError, notFound } from './api-error';
import { emailField, nameField, passwordField, publicUser } from './auth-routes';
import type { AppDeps, AppEnv } from './context';
import { readBody } from './read-body';
import { requireAdmin, requireUser } from './session';

const createUserBody = z.object({
	email: emailField,
	name: nameField,
	password: passwordField,
	role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }).default('responder')
});

const updateUserBody = z
	.object({
		role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }).optional(),
		disabled: z.boolean({ error: 'must be true or false' }).optional()
	})
	.refine((body) => body.role !== undefined || body.disabled !== undefined, { error: 'give a role or disabled' });

export function usersRoutes(deps: AppDeps): Hono<AppEnv> {
	const app = new Hono<AppEnv>();

	/** Names to pick members from: any signed-in user may see who can be added (no emails). */
	app.get('/people', async (c) => {
		requireUser(c);
		const people = (await deps.users.list()).filter((u) => !u.disabledAt).map((u) => ({ id: u.id, name: u.name, role: u.role }));
		return c.json({ people });
	});

	app.get('/users', async (c) => {
		requireAdmin(c);
		return c.json({ users: (await deps.users.list()).map(publicUser) });
	});

	app.post('/users', async (c) => {
		const admin = requireAdmin(c);
		const body = await readBody(c, createUserBody);
		try {
			const user = await deps.users.create(body);
			deps.logger.info('user created', { userId: user.id, role: user.role, by: admin.id });
			return c.json({ user: publicUser(user) }, 201);
		} catch (error) {
			if (error instanceof EmailTakenError) throw new ApiError(409, 'email_taken', error.message);
			throw error;
		}
	});

	/**
	 * Changes a user's role or disables them. Takes effect at once: a new role reconnects their
	 * open rooms with it (4501), disabling ends their sessions and closes their sockets (4401).
	 * The last active admin can be neither demoted nor disabled.
	 */
	app.patch('/users/:id', async (c) => {
		const admin = requireAdmin(c);
		const body = await readBody(c, updateUserBody);
		const target = await deps.users.findById(c.req.param('id'));
		if (!target) throw notFound('user');
		const losesAdmin = target.role === 'admin' && !target.disabledAt && ((body.role !== undefined && body.role !== 'admin') || body.disabled === true);
		if (losesAdmin && (await deps.users.activeAdminCount()) <= 1) {
			throw new ApiError(409, 'last_admin', 'this is the last active admin; make someone else admin first');
		}
		const updated = await deps.users.update(target.id, body);
		if (!updated) throw notFound('user');
		if (body.disabled === true) {
			for (const ended of await deps.sessions.revokeAllOf(target.id)) deps.connections.closeSession(ended, 'the account was disabled');
			deps.connections.closeWhere(null, (conn) => conn.user.id === target.id, CLOSE_CODES.UNAUTHORIZED, 'the account was disabled');
		} else if (body.role !== undefined && body.role !== target.role) {
			deps.connections.closeWhere(null, (conn) => conn.user.id === target.id, CLOSE_CODES.ACCESS_CHANGED, `your role is now ${body.role}`);
		}
		deps.logger.info('user updated', { userId: target.id, by: admin.id, role: body.role, disabled: body.disabled });
		return c.json({ user: publicUser(updated) });
	});

	return app;
}

/**
 * Admins list and add users.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { EmailTakenError, ROLES } from '../users/user-store';
import { ApiError } from './api-error';
import { emailField, nameField, passwordField, publicUser } from './auth-routes';
import type { AppDeps, AppEnv } from './context';
import { readBody } from './read-body';
import { requireAdmin } from './session';

const createUserBody = z.object({
	email: emailField,
	name: nameField,
	password: passwordField,
	role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }).default('responder')
});

export function usersRoutes(deps: AppDeps): Hono<AppEnv> {
	const app = new Hono<AppEnv>();

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

	return app;
}

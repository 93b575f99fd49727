/**
 * A user's API tokens, for scripts: create (the token is shown in this one response), list, revoke.
 * Revoking closes the sync connections opened with the token at once.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { CLOSE_CODES } from '../../src/lib/shared/close-codes';
import { tokenSessionId } from '../auth/api-token-store';
import { notFound } from './api-error';
import type { AppDeps, AppEnv } from './context';
import { readBody, storable } from './read-body';
import { requireUser } from './session';

const createTokenBody = z.object({
	name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').refine(...storable)
});

export function tokensRoutes(deps: AppDeps): Hono<AppEnv> {
	const app = new Hono<AppEnv>();

	app.get('/tokens', async (c) => {
		const user = requireUser(c);
		return c.json({ tokens: await deps.tokens.list(user.id) });
	});

	app.post('/tokens', async (c) => {
		const user = requireUser(c);
		const { name } = await readBody(c, createTokenBody);
		const { token, record } = await deps.tokens.create(user.id, name);
		deps.logger.info('API token created', { userId: user.id, tokenId: record.id });
		return c.json({ ...record, token }, 201);
	});

	app.delete('/tokens/:id', async (c) => {
		const user = requireUser(c);
		const id = c.req.param('id');
		if (!(await deps.tokens.revoke(id, user.id))) throw notFound('token');
		deps.connections.closeWhere(null, (conn) => conn.user.sessionId === tokenSessionId(id), CLOSE_CODES.UNAUTHORIZED, 'the API token was revoked');
		return c.json({ ok: true });
	});

	return app;
}

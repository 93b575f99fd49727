/**
 * The HTTP application: the JSON API under /api and the built UI for everything else.
 * Routes are grouped by resource and mounted with `app.route()`.
 */
import path from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { MAX_JSON_BODY_BYTES } from '../../src/lib/shared/limits';
import { ApiError } from './api-error';
import { EngineStoppedError } from '../sync/doc-engine';
import { authRoutes } from './auth-routes';
import type { AppDeps, AppEnv } from './context';
import { incidentsRoutes } from './incidents-routes';
import { membersRoutes } from './members-routes';
import { pageHeaders } from './page-headers';
import { shareRoutes } from './share-routes';
import { responseRoutes } from './response-routes';
import { reviewRoutes } from './review-routes';
import { tokensRoutes } from './tokens-routes';
import { sameOrigin } from './same-origin';
import { loadSession } from './session';
import { usersRoutes } from './users-routes';

export function createApp(deps: AppDeps): Hono<AppEnv> {
	const app = new Hono<AppEnv>();

	// Outermost, so its headers (no referrer, no-store on link pages) are set last and win.
	app.use('*', pageHeaders(deps.uiDir));
	app.use('*', async (c, next) => {
		await next();
		c.header('X-Content-Type-Options', 'nosniff');
		c.header('Referrer-Policy', 'same-origin');
		c.header('X-Frame-Options', 'DENY');
	});

	const api = new Hono<AppEnv>();
	api.use('*', async (c, next) => {
		await next();
		c.header('Cache-Control', 'no-store');
	});
	api.use('*', sameOrigin({ publicUrl: deps.publicUrl, allowedOrigins: deps.allowedOrigins }));
	// Streams the body and stops at the limit, so a huge chunked body never sits in memory.
	api.use(
		'*',
		bodyLimit({
			maxSize: MAX_JSON_BODY_BYTES,
			onError: () => {
				throw new ApiError(413, 'body_too_large', `the body is larger than ${MAX_JSON_BODY_BYTES} bytes`);
			}
		})
	);
	api.use('*', loadSession(deps.sessions, deps.tokens));
	api.route('/', authRoutes(deps));
	api.route('/', usersRoutes(deps));
	api.route('/', incidentsRoutes(deps));
	api.route('/', membersRoutes(deps));
	api.route('/', responseRoutes(deps));
	api.route('/', reviewRoutes(deps));
	api.route('/', shareRoutes(deps));
	api.route('/', tokensRoutes(deps));
	api.get('/health', (c) => c.json({ ok: true }));
	api.all('*', (c) => {
		throw new ApiError(404, 'not_found', `no API route ${c.req.method} ${c.req.path}`);
	});
	app.route('/api', api);

	if (deps.uiDir) {
		const uiDir = deps.uiDir;
		app.use('/_app/immutable/*', async (c, next) => {
			await next();
			if (c.res.status === 200) c.header('Cache-Control', 'public, max-age=31536000, immutable');
		});
		app.use('*', async (c, next) => {
			await next();
			if (c.res.headers.get('content-type')?.startsWith('text/html')) c.header('Cache-Control', 'no-cache');
		});
		app.use('*', serveStatic({ root: uiDir }));
		// The SPA fallback: any other page is rendered in the browser.
		app.get('*', serveStatic({ path: path.join(uiDir, 'index.html') }));
	}

	app.onError((error, c) => {
		if (error instanceof ApiError) return c.json(error.toJSON(), error.status);
		// The room's document worker stopped under this request (a costly update overran it): the
		// room reloads from the log by itself; asking again shortly works.
		if (error instanceof EngineStoppedError) {
			c.header('Retry-After', '2');
			return c.json({ error: { code: 'room_reloading', message: "the incident's room is reloading; try again in a moment" } }, 503);
		}
		deps.logger.error('unhandled error in HTTP request', { method: c.req.method, path: c.req.path, error });
		return c.json({ error: { code: 'internal', message: 'something went wrong on the server; it has been logged' } }, 500);
	});
	app.notFound((c) => c.json({ error: { code: 'not_found', message: `nothing at ${c.req.path}` } }, 404));

	return app;
}

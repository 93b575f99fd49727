/**
 * Stakeholder links: creating, listing and revoking them (members), and what a link's page
 * reads (anyone holding a live link). A link's page never gets a user session: it exchanges its
 * token for a share-session cookie scoped to /api/share, and that cookie opens only the
 * server-built stakeholder view and its live channel, never the incident's document or log.
 */
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { StakeholderView } from '../../src/lib/shared/stakeholder-view';
import { commandItem } from '../log/command-item';
import { DEFAULT_LINK_DAYS, MAX_LINK_DAYS, type ShareLink } from '../share/link-store';
import { ApiError, notFound } from './api-error';
import type { AppDeps, AppEnv } from './context';
import { incidentCommand } from './incident-command';
import { readBody, storable } from './read-body';
import { isHttps, requireVisibleIncident, requireWriter } from './session';

export const SHARE_COOKIE = 'vigiles_share';
const SHARE_COOKIE_PATH = '/api/share';
/** A comment line every so often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 25_000;

const createLinkBody = z.object({
	label: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').refine(...storable),
	expiresInDays: z
		.number({ error: `must be a whole number of days from 1 to ${MAX_LINK_DAYS}` })
		.int(`must be a whole number of days from 1 to ${MAX_LINK_DAYS}`)
		.min(1, `must be a whole number of days from 1 to ${MAX_LINK_DAYS}`)
		.max(MAX_LINK_DAYS, `must be at most ${MAX_LINK_DAYS} days`)
		.default(DEFAULT_LINK_DAYS)
});

const exchangeBody = z.object({ token: z.string().min(1).max(200) });

function noLink(): ApiError {
	return new ApiError(404, 'not_found', 'this link does not exist, has expired or was revoked');
}

export function shareRoutes(deps: AppDeps): Hono<AppEnv> {
	const app = new Hono<AppEnv>();

	app.post('/incidents/:id/links', async (c) => {
		const body = await readBody(c, createLinkBody);
		// Under the incident's lock, so a link is never made just after links were turned off.
		return incidentCommand(c, deps, async (incident, actor) => {
			if (!incident.linksEnabled) {
				throw new ApiError(409, 'links_disabled', 'stakeholder links are off for this incident; a member can turn them on');
			}
			const { link, token } = await deps.links.create({ incidentId: incident.id, label: body.label, days: body.expiresInDays, createdBy: actor.id });
			await deps.rooms.record(incident.id, commandItem(actor.id, { type: 'link.created', linkId: link.id, label: link.label, expiresAt: link.expiresAt }), actor);
			const base = deps.publicUrl ?? new URL(c.req.url).origin;
			return c.json({ id: link.id, url: `${base}/share#${token}`, label: link.label, expiresAt: link.expiresAt }, 201);
		});
	});

	app.get('/incidents/:id/links', async (c) => {
		const incident = await requireVisibleIncident(c, deps.incidents);
		return c.json({ links: await deps.links.list(incident.id) });
	});

	app.delete('/links/:linkId', async (c) => {
		const actor = requireWriter(c);
		const link = await deps.links.get(c.req.param('linkId'));
		if (!link || !(await deps.incidents.getVisible(link.incidentId, actor.id))) throw notFound('link');
		if (await deps.links.revoke(link.id, actor.id)) {
			deps.share.closeLink(link.id, 'this link was revoked');
			await deps.rooms.record(link.incidentId, commandItem(actor.id, { type: 'link.revoked', linkId: link.id, label: link.label }), actor);
		}
		return c.json({ link: await deps.links.get(link.id) });
	});

	// What a link's page reads. These responses carry the link-page headers (see app.ts).
	app.post('/share/exchange', async (c) => {
		const { token } = await readBody(c, exchangeBody);
		const link = await deps.links.findByToken(token);
		if (!link) throw noLink();
		const session = await deps.links.createSession(link);
		setCookie(c, SHARE_COOKIE, session.token, {
			httpOnly: true,
			sameSite: 'Strict',
			secure: isHttps(c, deps.publicUrl),
			path: SHARE_COOKIE_PATH,
			expires: session.expiresAt
		});
		if (await deps.links.markUsed(link.id)) {
			await deps.rooms.record(link.incidentId, commandItem(null, { type: 'link.used', linkId: link.id, label: link.label }), null);
		}
		return c.json({ label: link.label, expiresAt: link.expiresAt });
	});

	app.get('/share/view', async (c) => {
		const link = await shareLink(c);
		return c.json({ label: link.label, expiresAt: link.expiresAt, view: await deps.share.view(link.incidentId) });
	});

	app.get('/share/events', async (c) => {
		const link = await shareLink(c);
		const initial = await deps.share.view(link.incidentId);
		return streamSSE(c, async (stream) => {
			await stream.writeSSE({ event: 'view', data: JSON.stringify(initial) });
			await new Promise<void>((resolve) => {
				const heartbeat = setInterval(() => void stream.write(': keepalive\n\n').catch(() => {}), HEARTBEAT_MS);
				const finish = () => {
					clearInterval(heartbeat);
					remove();
					resolve();
				};
				const remove = deps.share.add({
					linkId: link.id,
					incidentId: link.incidentId,
					expiresAt: link.expiresAt,
					send: (event: 'view', data: StakeholderView) => void stream.writeSSE({ event, data: JSON.stringify(data) }).catch(finish),
					close: (reason: string) => void stream.writeSSE({ event: 'closed', data: JSON.stringify({ reason }) }).then(finish, finish)
				});
				stream.onAbort(finish);
			});
		});
	});

	app.post('/share/leave', (c) => {
		deleteCookie(c, SHARE_COOKIE, { path: SHARE_COOKIE_PATH });
		return c.json({ ok: true });
	});

	/** The live link behind this request's share cookie, or 404. */
	async function shareLink(c: Context<AppEnv>): Promise<ShareLink> {
		const token = getCookie(c, SHARE_COOKIE);
		const link = token ? await deps.links.lookupSession(token) : null;
		if (!link) throw noLink();
		return link;
	}

	return app;
}

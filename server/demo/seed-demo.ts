/**
 * `npm run demo`: a demo admin with a fresh password and an incident holding the GitHub
 * 2018-10-21 timeline (tests/fixtures), entered through the same log path as a responder's
 * typing, one row per entry. Running it again resets the password and keeps the incident.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { nanoid } from 'nanoid';
import { z } from 'zod';
import { PROJECT_ROOT } from '../config';
import type { Vigiles } from '../main';

export const DEMO_EMAIL = 'demo@vigiles.example';
const FIXTURE = path.join(PROJECT_ROOT, 'tests', 'fixtures', 'github-2018-10-21.json');

const timelineFile = z.object({
	incident: z.string(),
	kind: z.enum(['outage', 'security']),
	severity: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]),
	entries: z.array(z.object({ occurredAt: z.iso.datetime(), team: z.string(), text: z.string() }))
});

export async function seedDemo(vigiles: Vigiles): Promise<{ email: string; password: string; incidentId: string }> {
	const timeline = timelineFile.parse(JSON.parse(fs.readFileSync(FIXTURE, 'utf8')));
	const password = randomBytes(12).toString('base64url');
	const existing = (await vigiles.users.list()).find((u) => u.email === DEMO_EMAIL);
	const admin = existing ?? (await vigiles.users.create({ email: DEMO_EMAIL, name: 'Demo Admin', password, role: 'admin' }));
	if (existing) await vigiles.users.setPassword(existing.id, password);

	const found = (await vigiles.incidents.listAll()).find((i) => i.title === timeline.incident);
	if (found) return { email: DEMO_EMAIL, password, incidentId: found.id };

	const incident = await vigiles.incidents.create({
		title: timeline.incident,
		kind: timeline.kind,
		severity: timeline.severity,
		createdBy: admin.id
	});
	const actor = { id: admin.id, name: admin.name };
	for (const entry of timeline.entries) {
		await vigiles.rooms.change(incident.id, actor, {
			type: 'entry.add',
			entry: {
				id: nanoid(10),
				text: `${entry.team}: ${entry.text}`,
				occurredAt: new Date(entry.occurredAt).toISOString(),
				occurredOffset: 'Z',
				precision: 'minute',
				writtenAt: new Date().toISOString()
			}
		});
	}
	// The timeline ends with service restored.
	await vigiles.rooms.change(incident.id, actor, { type: 'meta.set', field: 'status', value: 'resolved' });
	return { email: DEMO_EMAIL, password, incidentId: incident.id };
}

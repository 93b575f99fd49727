/**
 * An outage closed the way a responder closes one: through the stock client, its gates met
 * (impact summary, cause, a follow-up with an owner), then `POST /close`. For tests about what
 * happens to an archive.
 */
import { addFollowUp, metaMap } from '../../src/lib/shared/doc-schema';
import { connectClient, until } from './sync-client';
import type { TestServer, TestUser } from './test-server';

export async function closedOutage(server: TestServer, user: TestUser): Promise<string> {
	const { id } = await server.createIncident(user, { kind: 'outage' });
	const client = connectClient(server.wsUrl, id, user.cookie);
	await client.synced();
	client.doc.transact(() => {
		metaMap(client.doc).set('summary', 'Checkout failed for twenty minutes.');
		metaMap(client.doc).set('cause', 'A bad deploy.');
	});
	addFollowUp(client.doc, { id: 'f1', text: 'Canary deploys', owner: 'Platform' });
	await until(async () => (await server.api(user, 'GET', `/api/incidents/${id}/close-check`)).json.ready === true, 10_000, 'gates met');
	const closed = await server.api(user, 'POST', `/api/incidents/${id}/close`, {});
	client.destroy();
	if (closed.status !== 200) throw new Error(`close failed: ${closed.status} ${JSON.stringify(closed.json)}`);
	return id;
}
